package leads

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzLeadJSON holds Lead.AppendJSON and LeadPage.AppendJSON to
// encoding/json, byte for byte: fuzzed text in every kind of field (HTML
// characters, control characters, invalid UTF-8, U+2028), fuzzed times and
// numbers, present and absent optional fields.
func FuzzLeadJSON(f *testing.F) {
	for _, seed := range []struct {
		a, b, c string
		ns      int64
		n       int
		flags   uint8
	}{
		{"Ada Obi", "ada@example.com", "+2348011111111", 1764936000123456789, 2, 0xff},
		{"<script>&amp;</script>", "\"quoted\" \\ back", "tab\there\nnew\rline\b\f\x01\x1f", 0, 1, 0x55},
		{"\xff\xfe invalid", "\u2028\u2029 separators", "Ọlá 😀", -1, 3, 0xaa},
		{"", "", "", 253402300799999999, -7, 0},
	} {
		f.Add(seed.a, seed.b, seed.c, seed.ns, seed.n, seed.flags)
	}
	f.Fuzz(func(t *testing.T, a, b, c string, ns int64, n int, flags uint8) {
		at := time.Unix(0, ns).UTC()
		if at.Year() < 0 || at.Year() > 9999 {
			t.Skip() // encoding/json refuses these; a lead's times are never there
		}
		opt := func(bit uint8, s *string) *string {
			if flags&(1<<bit) == 0 {
				return nil
			}
			return s
		}
		optTime := func(bit uint8) *time.Time {
			if flags&(1<<bit) == 0 {
				return nil
			}
			later := at.Add(time.Duration(n) * time.Millisecond)
			return &later
		}
		l := Lead{ID: a, UserID: b, FullName: c, Email: a + b, Phone: opt(0, &b), TrainingLocation: opt(1, &c),
			TrainingLocationName: opt(2, &a), CenterID: opt(3, &b), CenterName: opt(4, &c), StudentAddress: opt(5, &a),
			CourseID: opt(6, &b), CourseName: opt(7, &c), HasGuardian: flags&1 == 1, GuardianName: opt(1, &a),
			GuardianPhone: opt(2, &b), GuardianEmail: opt(3, &c), GuardianAddress: opt(4, &a), OnboardingStep: n,
			LastSavedAt: at, Status: Status(c), Source: b, Notes: opt(5, &c), ContactedAt: optTime(0),
			ContactedBy: opt(6, &a), ConvertedAt: optTime(1), ConvertedToStudentID: opt(7, &b), CreatedAt: at,
			UpdatedAt: at.Add(time.Duration(n)), PaymentPlan: opt(0, &c), AssignedTo: opt(1, &b), AssignedAt: optTime(2),
			StepReached: -n, AssignedHow: a, UnsubscribedAt: optTime(3)}
		page := n + 1
		for _, v := range []struct {
			name string
			in   any
			got  []byte
		}{
			{"lead", l, l.AppendJSON(nil)},
			{"nil lead", (*Lead)(nil), (*Lead)(nil).AppendJSON(nil)},
			{"page", LeadPage{Leads: []Lead{l, {}, l}, Total: n, Page: &page, Limit: -n}, (&LeadPage{Leads: []Lead{l, {}, l}, Total: n, Page: &page, Limit: -n}).AppendJSON(nil)},
			{"empty page after a cursor", LeadPage{Leads: []Lead{}}, (&LeadPage{Leads: []Lead{}}).AppendJSON(nil)},
		} {
			want, err := json.Marshal(v.in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v.got, want) {
				t.Fatalf("%s:\nAppendJSON   %s\njson.Marshal %s", v.name, v.got, want)
			}
		}
	})
}
