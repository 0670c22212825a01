package leads

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// FuzzParseOnboarding: any body is either refused with an *Error (naming the
// fields at fault, unless the JSON itself is malformed), or parsed into input whose every string keeps the rule
// for text (so nothing a database would refuse or rewrite gets through) and
// that passes the save rules without a panic.
func FuzzParseOnboarding(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"profile":{"trainingLocation":"fct","centre":"abuja-center","studentAddress":"12 Road","hasGuardian":true,"guardianName":"G","guardianPhone":"08012345678","guardianEmail":"g@example.com","guardianAddress":"2 Road"},"selectedCenter":{"id":"abuja-center","name":"Abuja Center"},"selectedCourse":{"id":"web-dev","name":"Web"},"step":2,"source":"onboarding_save_and_exit","paymentPlan":"full"}`,
		`{"profile":{"studentAddress":"12\u0000 Road"}}`,
		"{\"profile\":{\"studentAddress\":\"\xff\"}}",
		`{"profile":{"studentAddress":"\ud800"}}`,
		`{"step":1e400}`, `{"step":-1}`, `{"step":"2"}`, `{"profile":[]}`, `[]`, `null`, `{"a":1}{"b":2}`,
		`{"profile":{"guardianEmail":"not-an-email"}}`, `{"selectedCenter":{"id":null,"name":"x"}}`,
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := ParseOnboarding(body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Code != CodeInvalid && e.Code != CodeTooLarge) {
				t.Fatalf("ParseOnboarding(%q) = %v: want a 400 or 413 *Error", body, err)
			}
			for _, fe := range e.Fields {
				if !ValidText(fe.Field) || !ValidText(fe.Message) {
					t.Fatalf("an error echoes bad text: %q", fe)
				}
			}
			return
		}
		v := reflect.ValueOf(in)
		for i := range v.NumField() {
			fv := v.Field(i)
			var s string
			switch {
			case fv.Kind() == reflect.String:
				s = fv.String()
			case fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.String:
				s = fv.Elem().String()
			default:
				continue
			}
			if !ValidText(s) {
				t.Fatalf("ParseOnboarding(%q) accepted %s = %q, which breaks the rule for text", body, v.Type().Field(i).Name, s)
			}
		}
		if in.Step != nil && (*in.Step < 0 || *in.Step > 100) {
			t.Fatalf("step %d accepted", *in.Step)
		}
		// The merge rule runs on anything accepted, first save or not.
		user := User{ID: "u1", FullName: "Ada Obi", Email: "ada@example.com"}
		first := in.Apply(nil, user, References{}, now)
		again := in.Apply(&first, user, References{}, now.Add(time.Minute))
		if first.UserID != "u1" || again.UserID != "u1" || again.StepReached < first.StepReached {
			t.Fatalf("Apply(%q): owner %q/%q, step reached %d then %d", body, first.UserID, again.UserID, first.StepReached, again.StepReached)
		}
	})
}

// FuzzParseListQuery: any query string is refused naming a field, or gives a
// filter within bounds: a page from 1, a limit from 1 to MaxLimit, an offset
// of at most MaxOffset, a known sort, and a search no longer than MaxQLen.
func FuzzParseListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "page=2&limit=50", "page=9223372036854775807", "page=99999999999999999999", "page=100001&limit=100",
		"page=-1", "limit=0", "limit=101", "status=CONTACTED&centerId=abuja-center&courseId=web-dev",
		"q=ada&sort=name", "sort=bogus", "step=3", "overdue=true", "createdFrom=2026-01-01&createdTo=2026-02-01",
		"createdFrom=2026-02-01&createdTo=2026-01-01", "q=" + url.QueryEscape("ab"), "assignedTo=none", "page=1e3",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the server refuses such a query before parsing it (400 query)
		}
		lf, err := ParseListQuery(q, now, 24*time.Hour)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalid || len(e.Fields) == 0 {
				t.Fatalf("ParseListQuery(%q) = %v: want an *Error naming the field", raw, err)
			}
			return
		}
		switch {
		case lf.Page < 1:
			t.Fatalf("ParseListQuery(%q): page %d", raw, lf.Page)
		case lf.Limit < 1 || lf.Limit > MaxLimit:
			t.Fatalf("ParseListQuery(%q): limit %d", raw, lf.Limit)
		case lf.Offset() > MaxOffset || lf.Offset() < 0:
			t.Fatalf("ParseListQuery(%q): offset %d", raw, lf.Offset())
		case len([]rune(lf.Q)) > MaxQLen:
			t.Fatalf("ParseListQuery(%q): a search of %d characters", raw, len([]rune(lf.Q)))
		}
		if _, err := ParseListQuery(q, now, 24*time.Hour); err != nil {
			t.Fatalf("ParseListQuery(%q) is not deterministic: %v", raw, err)
		}
	})
}
