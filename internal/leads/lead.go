// Package leads is the domain of the service: a lead is what an applicant leaves
// behind when they click "Save and Exit" during onboarding, and what staff then
// follow up until it is converted or lost. This package holds the types, the rules
// and the errors; it does no I/O, so every rule here is tested without a server or a
// database. Storage engines implement Store.
package leads

import "time"

// Status is where a lead stands in the follow-up.
type Status string

// The four statuses of the guide.
const (
	StatusPending   Status = "PENDING"
	StatusContacted Status = "CONTACTED"
	StatusConverted Status = "CONVERTED"
	StatusLost      Status = "LOST"
)

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusContacted, StatusConverted, StatusLost:
		return true
	}
	return false
}

// StatusAfterSave is the status a lead has after the applicant saves again: a
// lead that was PENDING or LOST is live again (PENDING); one staff have contacted
// or converted keeps its status (see SaveInput.Apply).
func StatusAfterSave(current Status) Status {
	if current == StatusPending || current == StatusLost {
		return StatusPending
	}
	return current
}

// StatusesKeptBySave are the statuses StatusAfterSave leaves as they are.
func StatusesKeptBySave() []Status {
	var kept []Status
	for _, s := range []Status{StatusPending, StatusContacted, StatusConverted, StatusLost} {
		if StatusAfterSave(s) == s {
			kept = append(kept, s)
		}
	}
	return kept
}

// DefaultSource is the lead's source when the payload names none.
const DefaultSource = "onboarding_save_and_exit"

// Lead is one applicant's saved onboarding progress, one per user. The JSON names
// are the guide's camelCase columns; an unset optional field is null, never omitted.
type Lead struct {
	ID                   string     `json:"id"`
	UserID               string     `json:"userId"`
	FullName             string     `json:"fullName"`
	Email                string     `json:"email"`
	Phone                *string    `json:"phone"`
	TrainingLocation     *string    `json:"trainingLocation"`
	TrainingLocationName *string    `json:"trainingLocationName"`
	CenterID             *string    `json:"centerId"`
	CenterName           *string    `json:"centerName"`
	StudentAddress       *string    `json:"studentAddress"`
	CourseID             *string    `json:"courseId"`
	CourseName           *string    `json:"courseName"`
	HasGuardian          bool       `json:"hasGuardian"`
	GuardianName         *string    `json:"guardianName"`
	GuardianPhone        *string    `json:"guardianPhone"`
	GuardianEmail        *string    `json:"guardianEmail"`
	GuardianAddress      *string    `json:"guardianAddress"`
	OnboardingStep       int        `json:"onboardingStep"`
	LastSavedAt          time.Time  `json:"lastSavedAt"`
	Status               Status     `json:"status"`
	Source               string     `json:"source"`
	Notes                *string    `json:"notes"`
	ContactedAt          *time.Time `json:"contactedAt"`
	ContactedBy          *string    `json:"contactedBy"`
	ConvertedAt          *time.Time `json:"convertedAt"`
	ConvertedToStudentID *string    `json:"convertedToStudentId"`
	CreatedAt            time.Time  `json:"createdAt"`
	UpdatedAt            time.Time  `json:"updatedAt"`
	// Beyond the guide's columns (contract §5, §7, §8).
	PaymentPlan *string    `json:"paymentPlan"`
	AssignedTo  *string    `json:"assignedTo"`
	AssignedAt  *time.Time `json:"assignedAt"`
	StepReached int        `json:"stepReached"`
	// AssignedHow is how the lead was last assigned or unassigned: "" never,
	// AssignedAuto or AssignedManual. Not shown to clients.
	AssignedHow string `json:"-"`
	// UnsubscribedAt is when the applicant asked for no more nudges.
	UnsubscribedAt *time.Time `json:"-"`
}

// How a lead came to be assigned.
const (
	AssignedAuto   = "auto"
	AssignedManual = "manual"
)

// Timestamp returns t as the stores keep it: in UTC, truncated to microseconds
// (the precision both engines keep), so a time written and read back compares
// equal. It is a normaliser, not a clock: callers pass the time.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
