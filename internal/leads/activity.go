package leads

import (
	"encoding/json"
	"time"
)

// Activity is one entry of a lead's timeline: a change to the lead, written in
// the same transaction as the change.
type Activity struct {
	ID     string    `json:"id"`
	LeadID string    `json:"leadId"`
	Type   string    `json:"type"`
	At     time.Time `json:"at"`
	// Actor is the id of the user whose request caused the change (a rule's
	// consequences included), or ActorSystem.
	Actor string          `json:"actor"`
	Data  json.RawMessage `json:"data"`
}

// ActorSystem is the actor of what no request causes (e-mails, nudges).
const ActorSystem = "system"

// The activity types of the contract's timeline (§7).
const (
	ActivityCreated       = "lead.created"
	ActivitySaved         = "lead.saved"
	ActivityStatusChanged = "status.changed"
	ActivityAssigned      = "lead.assigned"
	ActivityConverted     = "lead.converted"
	ActivityNote          = "note.added"
	ActivityCall          = "call.logged"
	ActivityEmailSent     = "email.sent"
	ActivityEmailFailed   = "email.failed"
)

// ActivityPage is one page of a lead's timeline, newest first.
type ActivityPage struct {
	Activities []Activity `json:"activities"`
	Total      int        `json:"total"`
	Page       int        `json:"page"`
	Limit      int        `json:"limit"`
}

// The data of each activity type.
type (
	createdData struct {
		Step int `json:"step"`
	}
	savedData struct {
		Step   int      `json:"step"`
		Fields []string `json:"fields"`
	}
	statusData struct {
		From   Status  `json:"from"`
		To     Status  `json:"to"`
		Reason *string `json:"reason,omitempty"`
	}
	assignedData struct {
		From *string `json:"from"`
		To   *string `json:"to"`
		How  string  `json:"how"`
	}
	convertedData struct {
		StudentID string `json:"studentId"`
	}
	noteData struct {
		Text string `json:"text"`
	}
	callData struct {
		Outcome CallOutcome `json:"outcome"`
		Text    *string     `json:"text,omitempty"`
	}
	emailData struct {
		Kind string `json:"kind"`
		To   string `json:"to"`
	}
)

// newActivity returns an activity of the lead; data is one of the types above,
// which always encode.
func newActivity(l Lead, typ, actor string, at time.Time, data any) Activity {
	raw, err := json.Marshal(data)
	if err != nil {
		panic("leads: activity data does not encode: " + err.Error())
	}
	return Activity{LeadID: l.ID, Type: typ, At: at, Actor: actor, Data: raw}
}

// EmailActivity records an e-mail sent (or failed for good) about the lead.
func EmailActivity(leadID string, failed bool, kind, to string, at time.Time) Activity {
	typ := ActivityEmailSent
	if failed {
		typ = ActivityEmailFailed
	}
	return newActivity(Lead{ID: leadID}, typ, ActorSystem, at, emailData{kind, to})
}

// statusActivity records a move of the lead's status, if it moved.
func statusActivity(before, after Lead, actor string, reason *string) []Activity {
	if before.Status == after.Status {
		return nil
	}
	return []Activity{newActivity(after, ActivityStatusChanged, actor, after.UpdatedAt,
		statusData{before.Status, after.Status, reason})}
}

// saveActivities records what a save did: the lead's creation, or the fields
// it changed (nothing when it changed none but the save times), and a lost
// lead's return.
func saveActivities(stored *Lead, saved Lead, actor string) []Activity {
	if stored == nil {
		return []Activity{newActivity(saved, ActivityCreated, actor, saved.UpdatedAt, createdData{saved.OnboardingStep})}
	}
	fields := ChangedFields(*stored, saved)
	if len(fields) == 0 {
		return nil
	}
	acts := []Activity{newActivity(saved, ActivitySaved, actor, saved.UpdatedAt, savedData{saved.OnboardingStep, fields})}
	return append(acts, statusActivity(*stored, saved, actor, nil)...)
}

// ChangedFields returns the JSON names (contract §3) of the fields that differ
// between two versions of a lead, in the order of the lead's fields, leaving
// out the save times lastSavedAt and updatedAt.
func ChangedFields(a, b Lead) []string {
	var out []string
	for _, f := range leadFields {
		if !f.same(&a, &b) {
			out = append(out, f.name)
		}
	}
	return out
}

// leadField compares one field of two leads.
type leadField struct {
	name string
	same func(a, b *Lead) bool
}

func sameStr(get func(*Lead) *string) func(a, b *Lead) bool {
	return func(a, b *Lead) bool {
		x, y := get(a), get(b)
		return x == y || (x != nil && y != nil && *x == *y)
	}
}

func sameTime(get func(*Lead) *time.Time) func(a, b *Lead) bool {
	return func(a, b *Lead) bool {
		x, y := get(a), get(b)
		return x == y || (x != nil && y != nil && x.Equal(*y))
	}
}

func sameVal[T comparable](get func(*Lead) T) func(a, b *Lead) bool {
	return func(a, b *Lead) bool { return get(a) == get(b) }
}

// leadFields lists every field a change can touch but the save times.
var leadFields = []leadField{
	{"userId", sameVal(func(l *Lead) string { return l.UserID })},
	{"fullName", sameVal(func(l *Lead) string { return l.FullName })},
	{"email", sameVal(func(l *Lead) string { return l.Email })},
	{"phone", sameStr(func(l *Lead) *string { return l.Phone })},
	{"trainingLocation", sameStr(func(l *Lead) *string { return l.TrainingLocation })},
	{"trainingLocationName", sameStr(func(l *Lead) *string { return l.TrainingLocationName })},
	{"centerId", sameStr(func(l *Lead) *string { return l.CenterID })},
	{"centerName", sameStr(func(l *Lead) *string { return l.CenterName })},
	{"studentAddress", sameStr(func(l *Lead) *string { return l.StudentAddress })},
	{"courseId", sameStr(func(l *Lead) *string { return l.CourseID })},
	{"courseName", sameStr(func(l *Lead) *string { return l.CourseName })},
	{"hasGuardian", sameVal(func(l *Lead) bool { return l.HasGuardian })},
	{"guardianName", sameStr(func(l *Lead) *string { return l.GuardianName })},
	{"guardianPhone", sameStr(func(l *Lead) *string { return l.GuardianPhone })},
	{"guardianEmail", sameStr(func(l *Lead) *string { return l.GuardianEmail })},
	{"guardianAddress", sameStr(func(l *Lead) *string { return l.GuardianAddress })},
	{"onboardingStep", sameVal(func(l *Lead) int { return l.OnboardingStep })},
	{"status", sameVal(func(l *Lead) Status { return l.Status })},
	{"source", sameVal(func(l *Lead) string { return l.Source })},
	{"notes", sameStr(func(l *Lead) *string { return l.Notes })},
	{"contactedAt", sameTime(func(l *Lead) *time.Time { return l.ContactedAt })},
	{"contactedBy", sameStr(func(l *Lead) *string { return l.ContactedBy })},
	{"convertedAt", sameTime(func(l *Lead) *time.Time { return l.ConvertedAt })},
	{"convertedToStudentId", sameStr(func(l *Lead) *string { return l.ConvertedToStudentID })},
	{"createdAt", sameTime(func(l *Lead) *time.Time { return &l.CreatedAt })},
	{"paymentPlan", sameStr(func(l *Lead) *string { return l.PaymentPlan })},
	{"assignedTo", sameStr(func(l *Lead) *string { return l.AssignedTo })},
	{"assignedAt", sameTime(func(l *Lead) *time.Time { return l.AssignedAt })},
	{"stepReached", sameVal(func(l *Lead) int { return l.StepReached })},
}

// LeadFieldNames are the JSON names of a lead's fields in the order of the
// contract (§3), then the fields beyond it: the CSV export's header.
var LeadFieldNames = []string{"id", "userId", "fullName", "email", "phone", "trainingLocation",
	"trainingLocationName", "centerId", "centerName", "studentAddress", "courseId", "courseName",
	"hasGuardian", "guardianName", "guardianPhone", "guardianEmail", "guardianAddress",
	"onboardingStep", "lastSavedAt", "status", "source", "notes", "contactedAt", "contactedBy",
	"convertedAt", "convertedToStudentId", "createdAt", "updatedAt",
	"paymentPlan", "assignedTo", "assignedAt", "stepReached"}
