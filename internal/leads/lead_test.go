package leads

import (
	"encoding/json"
	"testing"
	"time"
)

// The contract: a lead has exactly the guide's camelCase columns, and an unset
// optional field is present as null.
func TestLeadJSONHasEveryColumn(t *testing.T) {
	columns := []string{"id", "userId", "fullName", "email", "phone", "trainingLocation",
		"trainingLocationName", "centerId", "centerName", "studentAddress", "courseId", "courseName",
		"hasGuardian", "guardianName", "guardianPhone", "guardianEmail", "guardianAddress",
		"onboardingStep", "lastSavedAt", "status", "source", "notes", "contactedAt", "contactedBy",
		"convertedAt", "convertedToStudentId", "createdAt", "updatedAt",
		"paymentPlan", "assignedTo", "assignedAt", "stepReached"}
	raw, err := json.Marshal(Lead{CreatedAt: time.Date(2026, 1, 2, 10, 16, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != len(columns) {
		t.Errorf("lead has %d keys, want %d: %s", len(m), len(columns), raw)
	}
	for _, c := range columns {
		if _, ok := m[c]; !ok {
			t.Errorf("key %q missing", c)
		}
	}
	if m["phone"] != nil || m["convertedAt"] != nil {
		t.Errorf("unset optional fields must be null: %s", raw)
	}
	if m["createdAt"] != "2026-01-02T10:16:00Z" {
		t.Errorf("createdAt = %v, want RFC 3339 UTC", m["createdAt"])
	}
}

func TestTimestampIsUTCMicroseconds(t *testing.T) {
	in := time.Date(2026, 1, 2, 11, 16, 0, 123456789, time.FixedZone("WAT", 3600))
	got := Timestamp(in)
	if got.Location() != time.UTC || got.Nanosecond() != 123456000 || !got.Equal(in.Truncate(time.Microsecond)) {
		t.Errorf("Timestamp(%v) = %v", in, got)
	}
}
