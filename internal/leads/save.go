package leads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Field length limits of the contract.
const (
	MaxAddressLen = 500 // studentAddress, guardianAddress
	MaxStringLen  = 255 // every other string
)

// SaveInput is a validated "Save and Exit" payload. A nil field means "not given":
// the stored value is kept (the guide's frontend sends null for every field it has
// no value for, so null, absent and "" all mean the same). A non-nil field
// overwrites, including HasGuardian=false. Apply holds the whole merge rule.
type SaveInput struct {
	TrainingLocation *string
	CenterID         *string
	CenterIDField    string // the payload field CenterID came from, for warnings
	CenterName       *string
	StudentAddress   *string
	CourseID         *string
	CourseName       *string
	HasGuardian      *bool
	GuardianName     *string
	GuardianPhone    *string
	GuardianEmail    *string
	GuardianAddress  *string
	Step             *int
	Source           *string
	PaymentPlan      *string
}

// ParseOnboarding decodes and validates a Save and Exit body. Unknown fields are
// ignored (a frontend may send userId; the lead always belongs to
// the token's subject). It returns an *Error with CodeInvalid naming every field at
// fault, so nothing is saved when any field is wrong.
func ParseOnboarding(body []byte) (SaveInput, error) {
	var in SaveInput
	top, err := decodeObject(body)
	if err != nil {
		return in, err
	}
	p := parser{}
	profile := p.object(top, "profile", "profile")
	center := p.object(top, "selectedCenter", "selectedCenter")
	course := p.object(top, "selectedCourse", "selectedCourse")

	in.TrainingLocation = p.str(profile, "profile.trainingLocation", "trainingLocation", MaxStringLen)
	centre := p.str(profile, "profile.centre", "centre", MaxStringLen)
	in.StudentAddress = p.str(profile, "profile.studentAddress", "studentAddress", MaxAddressLen)
	in.HasGuardian = p.boolean(profile, "profile.hasGuardian", "hasGuardian")
	in.GuardianName = p.str(profile, "profile.guardianName", "guardianName", MaxStringLen)
	in.GuardianPhone = p.str(profile, "profile.guardianPhone", "guardianPhone", MaxStringLen)
	in.GuardianEmail = p.str(profile, "profile.guardianEmail", "guardianEmail", MaxStringLen)
	in.GuardianAddress = p.str(profile, "profile.guardianAddress", "guardianAddress", MaxAddressLen)

	in.CenterID = p.str(center, "selectedCenter.id", "id", MaxStringLen)
	in.CenterIDField = "selectedCenter.id"
	if in.CenterID == nil && centre != nil {
		in.CenterID, in.CenterIDField = centre, "profile.centre"
	}
	in.CenterName = p.str(center, "selectedCenter.name", "name", MaxStringLen)
	in.CourseID = p.str(course, "selectedCourse.id", "id", MaxStringLen)
	in.CourseName = p.str(course, "selectedCourse.name", "name", MaxStringLen)

	in.Step = p.step(top, "step")
	in.Source = p.str(top, "source", "source", MaxStringLen)
	in.PaymentPlan = p.str(top, "paymentPlan", "paymentPlan", MaxStringLen)

	if in.GuardianEmail != nil && !ValidEmail(*in.GuardianEmail) {
		p.fail("profile.guardianEmail", "must be a valid email address")
	}
	if len(p.errs) > 0 {
		return SaveInput{}, Invalid(p.errs...)
	}
	return in, nil
}

// References are the reference rows a save's ids name: nil for an id that was
// not given or that is not in the reference tables.
type References struct {
	Location *Location
	Center   *Center
	Course   *Course
}

// NewReferences builds References from the ids and names a store read, in the
// order location id, location name, centre id, centre name, course id, course
// name; a nil id means no row.
func NewReferences(r [6]*string) References {
	var refs References
	if r[0] != nil && r[1] != nil {
		refs.Location = &Location{ID: *r[0], Name: *r[1]}
	}
	if r[2] != nil && r[3] != nil {
		refs.Center = &Center{ID: *r[2], Name: *r[3]}
	}
	if r[4] != nil && r[5] != nil {
		refs.Course = &Course{ID: *r[4], Name: *r[5]}
	}
	return refs
}

// Apply returns the lead after a save of in: stored is the user's lead, or nil
// for the first save; user is the user's record; refs the rows in's ids name.
// This is the whole merge rule, and the stores run exactly this function:
//   - fullName and email come from the user's record, and phone too when the
//     record has one (else the lead keeps its phone).
//   - TrainingLocation given: kept as given (it has no foreign key);
//     trainingLocationName is the known location's name, else null.
//   - CenterID given: centerId is that centre if known, else null; centerName
//     is the known centre's name, else CenterName (which may be nil).
//     CenterID not given, CenterName given: centerName is overwritten, centerId
//     kept. CourseID / CourseName: the same.
//   - Every other field given overwrites; a field not given keeps its value.
//   - The first save creates a PENDING lead at step 1 with DefaultSource
//     unless given; later saves move the status by StatusAfterSave.
//   - stepReached is the highest step ever saved.
//   - lastSavedAt and updatedAt move on every save.
func (in SaveInput) Apply(stored *Lead, user User, refs References, now time.Time) Lead {
	var l Lead
	if stored != nil {
		l = *stored
		l.Status = StatusAfterSave(l.Status)
	} else {
		l = Lead{UserID: user.ID, Status: StatusPending, Source: DefaultSource, OnboardingStep: 1, CreatedAt: now}
	}
	l.FullName, l.Email = user.FullName, user.Email
	if user.Phone != nil {
		l.Phone = user.Phone
	}
	if in.TrainingLocation != nil {
		l.TrainingLocation, l.TrainingLocationName = in.TrainingLocation, nil
		if refs.Location != nil {
			l.TrainingLocationName = &refs.Location.Name
		}
	}
	switch {
	case in.CenterID != nil && refs.Center != nil:
		l.CenterID, l.CenterName = &refs.Center.ID, &refs.Center.Name
	case in.CenterID != nil:
		l.CenterID, l.CenterName = nil, in.CenterName
	case in.CenterName != nil:
		l.CenterName = in.CenterName
	}
	switch {
	case in.CourseID != nil && refs.Course != nil:
		l.CourseID, l.CourseName = &refs.Course.ID, &refs.Course.Name
	case in.CourseID != nil:
		l.CourseID, l.CourseName = nil, in.CourseName
	case in.CourseName != nil:
		l.CourseName = in.CourseName
	}
	keep(&l.StudentAddress, in.StudentAddress)
	if in.HasGuardian != nil {
		l.HasGuardian = *in.HasGuardian
	}
	keep(&l.GuardianName, in.GuardianName)
	keep(&l.GuardianPhone, in.GuardianPhone)
	keep(&l.GuardianEmail, in.GuardianEmail)
	keep(&l.GuardianAddress, in.GuardianAddress)
	if in.Step != nil {
		l.OnboardingStep = *in.Step
	}
	if in.Source != nil {
		l.Source = *in.Source
	}
	keep(&l.PaymentPlan, in.PaymentPlan)
	l.StepReached = max(l.StepReached, l.OnboardingStep)
	l.LastSavedAt, l.UpdatedAt = now, now
	return l
}

// keep overwrites *dst with v when v is given.
func keep(dst **string, v *string) {
	if v != nil {
		*dst = v
	}
}

// SaveWarnings explains, after a save, what was saved differently from what was
// sent: reference ids that are not in the reference tables, and a guardian with
// no name or address. in is what was sent and l the lead as saved.
func SaveWarnings(in SaveInput, l Lead) []FieldError {
	var w []FieldError
	if in.TrainingLocation != nil && l.TrainingLocationName == nil {
		w = append(w, FieldError{"profile.trainingLocation", "unknown training location; kept as given, without a name"})
	}
	if in.CenterID != nil && l.CenterID == nil {
		w = append(w, FieldError{in.CenterIDField, "unknown centre; the lead was saved without it"})
	}
	if in.CourseID != nil && l.CourseID == nil {
		w = append(w, FieldError{"selectedCourse.id", "unknown course; the lead was saved without it"})
	}
	if l.HasGuardian && l.GuardianName == nil {
		w = append(w, FieldError{"profile.guardianName", "hasGuardian is true but no guardian name is saved yet"})
	}
	if l.HasGuardian && l.GuardianAddress == nil {
		w = append(w, FieldError{"profile.guardianAddress", "hasGuardian is true but no guardian address is saved yet"})
	}
	return w
}

// ValidEmail reports whether s is a plain address such as name@example.com.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}

// decodeObject reads body as one JSON object, keeping numbers exact.
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	if path, ok := CheckJSONText(body); !ok {
		return nil, Invalid(FieldError{path, TextError})
	}
	top, why := objectMembers(body)
	switch why {
	case notJSON:
		return nil, &Error{Code: CodeInvalid, Message: "Malformed JSON body"}
	case notObject:
		return nil, Invalid(FieldError{"body", "must be a JSON object"})
	}
	return top, nil
}

// parser reads typed fields out of decoded JSON objects, collecting an error per
// field so a client learns about every bad field at once.
type parser struct{ errs []FieldError }

func (p *parser) fail(field, msg string) { p.errs = append(p.errs, FieldError{field, msg}) }

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// object returns the nested object at key, or nil when it is absent or null.
func (p *parser) object(obj map[string]json.RawMessage, path, key string) map[string]json.RawMessage {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return nil
	}
	m, why := objectMembers(raw)
	if why != 0 {
		p.fail(path, "must be an object")
		return nil
	}
	return m
}

// str returns the trimmed string at key; nil when absent, null or blank.
func (p *parser) str(obj map[string]json.RawMessage, path, key string, max int) *string {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return nil
	}
	var s string
	if plain := len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && bytes.IndexByte(raw, '\\') < 0; plain {
		// A valid string literal (the body was decoded whole) with no
		// escape: its text is what lies between the quotes, and the body's
		// text was checked already (CheckJSONText), so this is what
		// Unmarshal would give, without a second pass over it.
		s = string(raw[1 : len(raw)-1])
	} else if err := json.Unmarshal(raw, &s); err != nil {
		p.fail(path, "must be a string")
		return nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if utf8.RuneCountInString(s) > max {
		p.fail(path, fmt.Sprintf("must be at most %d characters", max))
		return nil
	}
	return &s
}

func (p *parser) boolean(obj map[string]json.RawMessage, path, key string) *bool {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return nil
	}
	var b bool
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		b = true
	case "false":
	default:
		p.fail(path, "must be a boolean")
		return nil
	}
	return &b
}

// step returns the onboarding step: an integer from 1 to 3 (2.0 counts as 2).
func (p *parser) step(obj map[string]json.RawMessage, key string) *int {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return nil
	}
	var n json.Number
	if t := bytes.TrimSpace(raw); t[0] == '"' || json.Unmarshal(t, &n) != nil {
		p.fail(key, "must be an integer from 1 to 3")
		return nil
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || f < 1 || f > 3 {
		p.fail(key, "must be an integer from 1 to 3")
		return nil
	}
	step := int(f)
	return &step
}
