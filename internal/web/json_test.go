package web

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/leads/leads/internal/leads"
)

// TestAppendJSONMatchesEncoding: the answers writeJSON appends without
// reflection are the bytes encoding/json gives for them; any other answer is
// left to encoding/json.
func TestAppendJSONMatchesEncoding(t *testing.T) {
	at := time.Date(2026, 12, 6, 3, 4, 5, 123456000, time.UTC)
	centre, name := "c1", "Abuja <Centre> & \"Co\""
	l := leads.Lead{ID: "0193a0b2-7c3d-7000-8000-000000000001", UserID: "u1", FullName: "Ada \u2028Obi", Email: "ada@example.com",
		CenterID: &centre, CenterName: &name, OnboardingStep: 2, LastSavedAt: at, Status: leads.StatusPending,
		Source: "onboarding_save_and_exit", CreatedAt: at, UpdatedAt: at, ContactedAt: &at, StepReached: 2}
	cases := []struct {
		name     string
		v        any
		appended bool
	}{
		{"a lead", ok("", l), true},
		{"a lead by pointer", ok("", &l), true},
		{"no lead", ok("", (*leads.Lead)(nil)), true},
		{"a page", ok("", leads.LeadPage{Leads: []leads.Lead{l, l}, Total: 2, Page: ptr(1), Limit: 10}), true},
		{"an empty page", ok("", leads.LeadPage{Leads: []leads.Lead{}, Page: ptr(3), Limit: 10}), true},
		{"a page after a cursor", ok("", leads.LeadPage{Leads: []leads.Lead{l}, Total: 4, Limit: 10}), true},
		{"a message", ok("Lead <updated> & \"saved\"", l), true},
		{"a save", saveResponse{Success: true, Message: "Lead saved successfully", Data: l}, true},
		{"a save with warnings", saveResponse{Success: true, Message: "Lead saved successfully", Data: l,
			Warnings: []leads.FieldError{{Field: "selectedCourse.id", Message: "unknown"}}}, false},
		{"other data", ok("", map[string]int{"n": 1}), false},
		{"another type", frontendError{Error: "x"}, false},
	}
	for _, c := range cases {
		got, appended := appendJSON(nil, c.v)
		if appended != c.appended {
			t.Errorf("%s: appended %v, want %v", c.name, appended, c.appended)
			continue
		}
		if !appended {
			continue
		}
		want, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\nappendJSON   %s\njson.Marshal %s", c.name, got, want)
		}
	}
}
