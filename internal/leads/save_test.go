package leads

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestParseOnboardingAccepts(t *testing.T) {
	tests := []struct {
		name string
		body string
		want SaveInput
	}{
		{"guide's full payload", `{"userId":"ignored","profile":{"trainingLocation":"loc1","centre":"c1","studentAddress":"123 Main Street","guardianName":"John Doe","guardianPhone":"08012345678","guardianEmail":"guardian@example.com","guardianAddress":"456 Guardian Street","hasGuardian":true},"selectedCenter":{"id":"c1","name":"Abuja Center"},"selectedCourse":{"id":"k1","name":"Digital Marketing Course"},"step":1,"source":"onboarding_save_and_exit"}`,
			SaveInput{TrainingLocation: ptr("loc1"), CenterID: ptr("c1"), CenterIDField: "selectedCenter.id", CenterName: ptr("Abuja Center"),
				StudentAddress: ptr("123 Main Street"), CourseID: ptr("k1"), CourseName: ptr("Digital Marketing Course"), HasGuardian: ptr(true),
				GuardianName: ptr("John Doe"), GuardianPhone: ptr("08012345678"), GuardianEmail: ptr("guardian@example.com"),
				GuardianAddress: ptr("456 Guardian Street"), Step: ptr(1), Source: ptr("onboarding_save_and_exit")}},
		{"empty object keeps everything", `{}`, SaveInput{CenterIDField: "selectedCenter.id"}},
		{"nulls and blanks mean not given", `{"profile":{"trainingLocation":null,"studentAddress":"  ","guardianEmail":""},"selectedCenter":null,"selectedCourse":null,"step":null,"source":null}`,
			SaveInput{CenterIDField: "selectedCenter.id"}},
		{"hasGuardian false is a value", `{"profile":{"hasGuardian":false}}`, SaveInput{CenterIDField: "selectedCenter.id", HasGuardian: ptr(false)}},
		{"centre from profile when no selectedCenter id", `{"profile":{"centre":"c2"},"selectedCenter":{"name":"Lagos Center"}}`,
			SaveInput{CenterID: ptr("c2"), CenterIDField: "profile.centre", CenterName: ptr("Lagos Center")}},
		{"integral float step", `{"step":2.0}`, SaveInput{CenterIDField: "selectedCenter.id", Step: ptr(2)}},
		{"unknown fields ignored", `{"userId":"someone-else","extra":{"a":[1,2]}}`, SaveInput{CenterIDField: "selectedCenter.id"}},
		{"payment plan kept", `{"paymentPlan":"full","step":3}`, SaveInput{CenterIDField: "selectedCenter.id", PaymentPlan: ptr("full"), Step: ptr(3)}},
		{"limits are inclusive", `{"profile":{"studentAddress":"` + strings.Repeat("é", 500) + `","guardianName":"` + strings.Repeat("a", 255) + `"}}`,
			SaveInput{CenterIDField: "selectedCenter.id", StudentAddress: ptr(strings.Repeat("é", 500)), GuardianName: ptr(strings.Repeat("a", 255))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOnboarding([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseOnboarding: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseOnboardingRejects(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields []string // every field the error must name; nil: no field list
	}{
		{"malformed JSON", `{"step":`, nil},
		{"trailing garbage", `{} {}`, nil},
		{"array body", `[1,2]`, []string{"body"}},
		{"null body", `null`, []string{"body"}},
		{"step zero", `{"step":0}`, []string{"step"}},
		{"step four", `{"step":4}`, []string{"step"}},
		{"step fraction", `{"step":1.5}`, []string{"step"}},
		{"step as string", `{"step":"2"}`, []string{"step"}},
		{"bad guardian email", `{"profile":{"guardianEmail":"not-an-email"}}`, []string{"profile.guardianEmail"}},
		{"email with display name", `{"profile":{"guardianEmail":"Jo <jo@example.com>"}}`, []string{"profile.guardianEmail"}},
		{"address too long", `{"profile":{"studentAddress":"` + strings.Repeat("a", 501) + `"}}`, []string{"profile.studentAddress"}},
		{"guardian address too long", `{"profile":{"guardianAddress":"` + strings.Repeat("a", 501) + `"}}`, []string{"profile.guardianAddress"}},
		{"name too long", `{"profile":{"guardianName":"` + strings.Repeat("a", 256) + `"}}`, []string{"profile.guardianName"}},
		{"wrong types everywhere", `{"profile":{"hasGuardian":"yes","trainingLocation":5},"selectedCenter":"c1","selectedCourse":{"id":7},"source":true}`,
			[]string{"selectedCenter", "profile.trainingLocation", "profile.hasGuardian", "selectedCourse.id", "source"}},
		{"profile not an object", `{"profile":[]}`, []string{"profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOnboarding([]byte(tt.body))
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalid {
				t.Fatalf("want an invalid *Error, got %v", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if !reflect.DeepEqual(got, tt.fields) {
				t.Errorf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestSaveWarnings(t *testing.T) {
	tests := []struct {
		name string
		in   SaveInput
		lead Lead
		want []string
	}{
		{"all known", SaveInput{TrainingLocation: ptr("l"), CenterID: ptr("c"), CourseID: ptr("k")},
			Lead{TrainingLocationName: ptr("FCT"), CenterID: ptr("c"), CourseID: ptr("k")}, nil},
		{"unknown references", SaveInput{TrainingLocation: ptr("l"), CenterID: ptr("c"), CenterIDField: "profile.centre", CourseID: ptr("k")},
			Lead{}, []string{"profile.trainingLocation", "profile.centre", "selectedCourse.id"}},
		{"guardian without name or address", SaveInput{}, Lead{HasGuardian: true}, []string{"profile.guardianName", "profile.guardianAddress"}},
		{"guardian complete", SaveInput{}, Lead{HasGuardian: true, GuardianName: ptr("J"), GuardianAddress: ptr("A")}, nil},
		{"nothing given, nothing to say", SaveInput{}, Lead{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, w := range SaveWarnings(tt.in, tt.lead) {
				got = append(got, w.Field)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings on %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"guardian@example.com": true, "a.b+c@sub.example.ng": true,
		"": false, "plain": false, "a@b": false, "a@b.": false, "@example.com": false,
		"a b@example.com": false, "Jo <jo@example.com>": false,
	} {
		if got := ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestParseOnboardingTextAndBooleans: strings with and without escapes, and
// booleans, read the same whatever the spacing around them.
func TestParseOnboardingTextAndBooleans(t *testing.T) {
	tests := []struct {
		body         string
		address      string
		guardian     *bool
		wantErrField string
	}{
		{`{"profile":{"studentAddress":"12 Road","hasGuardian":true}}`, "12 Road", ptr(true), ""},
		{`{ "profile" : { "studentAddress" :  "  12 Road  " , "hasGuardian" :  false  } }`, "12 Road", ptr(false), ""},
		{`{"profile":{"studentAddress":"Quote \" and \\ back\\slash \u00e9 \ud83d\ude00 \n"}}`, "Quote \" and \\ back\\slash é 😀", nil, ""},
		{`{"profile":{"studentAddress":"Ọlá <b>&amp;</b>"}}`, "Ọlá <b>&amp;</b>", nil, ""},
		{`{"profile":{"studentAddress":"\t"}}`, "", nil, ""},
		{`{"profile":{"hasGuardian":"true"}}`, "", nil, "profile.hasGuardian"},
		{`{"profile":{"hasGuardian":1}}`, "", nil, "profile.hasGuardian"},
		{`{"profile":{"studentAddress":12}}`, "", nil, "profile.studentAddress"},
		{`{"profile":{"studentAddress":["a"]}}`, "", nil, "profile.studentAddress"},
	}
	for _, tt := range tests {
		in, err := ParseOnboarding([]byte(tt.body))
		if tt.wantErrField != "" {
			var e *Error
			if !errors.As(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != tt.wantErrField {
				t.Errorf("%s: error %v, want one naming %s", tt.body, err, tt.wantErrField)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if got := valueOr(in.StudentAddress); got != tt.address {
			t.Errorf("%s: address %q, want %q", tt.body, got, tt.address)
		}
		if (in.HasGuardian == nil) != (tt.guardian == nil) || (in.HasGuardian != nil && *in.HasGuardian != *tt.guardian) {
			t.Errorf("%s: hasGuardian %v, want %v", tt.body, in.HasGuardian, tt.guardian)
		}
	}
}

func valueOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
