package leads

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Staff is a member of the roster: the people who call leads back. Their id
// is their token's sub. Leads of a centre are assigned round robin among its
// active staff.
type Staff struct {
	ID        string   `json:"id"`
	FullName  string   `json:"fullName"`
	Email     string   `json:"email"`
	CenterIDs []string `json:"centerIds"`
	Active    bool     `json:"active"`
}

// JoinCenters fills each staff member's CenterIDs from links of (staff id,
// centre id), which come in the order to keep.
func JoinCenters(staff []Staff, links [][2]string) []Staff {
	byID := make(map[string]*Staff, len(staff))
	for i := range staff {
		staff[i].CenterIDs = []string{}
		byID[staff[i].ID] = &staff[i]
	}
	for _, l := range links {
		if m := byID[l[0]]; m != nil {
			m.CenterIDs = append(m.CenterIDs, l[1])
		}
	}
	return staff
}

// ErrUnknownStaff: an assignment names no active staff member.
var ErrUnknownStaff = Invalid(FieldError{"staffId", "no active staff member with this id"})

// ParseStaff validates the body of PUT /roster/{id}. centerIds defaults to
// none and active to true; whether the centres exist is the store's to check.
func ParseStaff(id string, body []byte) (Staff, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return Staff{}, err
	}
	p := parser{}
	s := Staff{ID: p.pathID(id), FullName: p.required(obj, "fullName"), Email: p.required(obj, "email"),
		CenterIDs: []string{}, Active: true}
	if s.Email != "" && !ValidEmail(s.Email) {
		p.fail("email", "must be a valid email address")
	}
	if b := p.boolean(obj, "active", "active"); b != nil {
		s.Active = *b
	}
	if raw, ok := obj["centerIds"]; ok && !isNull(raw) {
		var ids []json.RawMessage
		if json.Unmarshal(raw, &ids) != nil {
			p.fail("centerIds", "must be an array of centre ids")
		}
		seen := map[string]bool{}
		for i, r := range ids {
			field := fmt.Sprintf("centerIds[%d]", i)
			var c string
			if json.Unmarshal(r, &c) != nil || c == "" || utf8.RuneCountInString(c) > MaxStringLen {
				p.fail(field, "must be a centre id (1 to 255 characters)")
				continue
			}
			if !seen[c] {
				seen[c] = true
				s.CenterIDs = append(s.CenterIDs, c)
			}
		}
	}
	return s, p.err()
}

// UnknownCenters returns the error naming each centerIds entry that is not a
// known centre, or nil.
func (s Staff) UnknownCenters(known map[string]bool) error {
	p := parser{}
	for i, c := range s.CenterIDs {
		if !known[c] {
			p.fail(fmt.Sprintf("centerIds[%d]", i), "no such centre")
		}
	}
	return p.err()
}

// ParseAssign validates the body of PUT /leads/{id}/assign: the staff id to
// assign, or nil to unassign.
func ParseAssign(body []byte) (*string, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	p := parser{}
	raw, ok := obj["staffId"]
	if !ok {
		p.fail("staffId", "is required (null to unassign)")
		return nil, p.err()
	}
	if isNull(raw) {
		return nil, nil
	}
	id := p.str(obj, "staffId", "staffId", MaxStringLen)
	if id == nil && len(p.errs) == 0 {
		p.fail("staffId", "must be a staff id, or null to unassign")
	}
	return id, p.err()
}

// MaxNoteLen bounds a note's or a call's text.
const MaxNoteLen = 5000

// ParseNote validates the body of POST /leads/{id}/notes and returns the text.
func ParseNote(body []byte) (string, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return "", err
	}
	p := parser{}
	text := p.str(obj, "text", "text", MaxNoteLen)
	if text == nil && len(p.errs) == 0 {
		p.fail("text", "is required")
	}
	if err := p.err(); err != nil {
		return "", err
	}
	return *text, nil
}

// CallOutcome is how a call to an applicant went.
type CallOutcome string

// The outcomes of a call.
const (
	CallReached     CallOutcome = "reached"
	CallNoAnswer    CallOutcome = "no_answer"
	CallVoicemail   CallOutcome = "voicemail"
	CallWrongNumber CallOutcome = "wrong_number"
)

// CallOutcomes lists the outcomes in the order a form offers them.
var CallOutcomes = []CallOutcome{CallReached, CallNoAnswer, CallVoicemail, CallWrongNumber}

// Call is a validated body of POST /leads/{id}/calls.
type Call struct {
	Outcome CallOutcome
	Text    *string
}

// ParseCall validates the body of POST /leads/{id}/calls.
func ParseCall(body []byte) (Call, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return Call{}, err
	}
	p := parser{}
	var c Call
	switch o := CallOutcome(p.required(obj, "outcome")); o {
	case CallReached, CallNoAnswer, CallVoicemail, CallWrongNumber:
		c.Outcome = o
	case "":
	default:
		p.fail("outcome", "must be one of reached, no_answer, voicemail, wrong_number")
	}
	c.Text = p.str(obj, "text", "text", MaxNoteLen)
	return c, p.err()
}
