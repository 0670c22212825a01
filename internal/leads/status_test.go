package leads

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestStatusAfterSave(t *testing.T) {
	for cur, want := range map[Status]Status{
		StatusPending: StatusPending, StatusLost: StatusPending,
		StatusContacted: StatusContacted, StatusConverted: StatusConverted,
	} {
		if got := StatusAfterSave(cur); got != want {
			t.Errorf("StatusAfterSave(%s) = %s, want %s", cur, got, want)
		}
	}
}

func TestParseStatusChange(t *testing.T) {
	tests := []struct {
		body    string
		want    StatusChange
		wantErr string // the field named, "" for success
	}{
		{`{"status":"CONTACTED","contactedBy":"staff-1"}`, StatusChange{Status: StatusContacted, ContactedBy: "staff-1"}, ""},
		{`{"status":"LOST","reason":"moved away"}`, StatusChange{Status: StatusLost, Reason: ptr("moved away")}, ""},
		{`{"status":"LOST","reason":7}`, StatusChange{}, "reason"},
		{`{"status":"LOST"}`, StatusChange{Status: StatusLost}, ""},
		{`{"status":"PENDING"}`, StatusChange{Status: StatusPending}, ""},
		{`{"status":"CONVERTED"}`, StatusChange{}, "status"},
		{`{"status":"WON"}`, StatusChange{}, "status"},
		{`{"status":"contacted"}`, StatusChange{}, "status"},
		{`{}`, StatusChange{}, "status"},
		{`{"status":7}`, StatusChange{}, "status"},
		{`{"status":"LOST","contactedBy":1}`, StatusChange{}, "contactedBy"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			got, err := ParseStatusChange([]byte(tt.body))
			if tt.wantErr == "" {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != tt.wantErr {
				t.Fatalf("want an error naming %s, got %v", tt.wantErr, err)
			}
		})
	}
}

func TestStatusChangeApply(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	l, err := StatusChange{Status: StatusContacted, ContactedBy: "staff-1"}.Apply(Lead{Status: StatusPending}, t0)
	if err != nil || l.Status != StatusContacted || !l.ContactedAt.Equal(t0) || *l.ContactedBy != "staff-1" {
		t.Fatalf("first contact: %+v, %v", l, err)
	}
	l, _ = StatusChange{Status: StatusLost, ContactedBy: "staff-2"}.Apply(l, t1)
	l, _ = StatusChange{Status: StatusContacted, ContactedBy: "staff-2"}.Apply(l, t1)
	if !l.ContactedAt.Equal(t0) || *l.ContactedBy != "staff-1" || !l.UpdatedAt.Equal(t1) {
		t.Errorf("later moves must keep the first contact: %+v", l)
	}
	if _, err := (StatusChange{Status: StatusPending}).Apply(Lead{Status: StatusConverted}, t1); !errors.Is(err, ErrLeadConverted) {
		t.Errorf("converted lead: got %v, want ErrLeadConverted", err)
	}
}

func TestParseConvert(t *testing.T) {
	if id, err := ParseConvert([]byte(`{"studentId":"s1"}`)); err != nil || id != "s1" {
		t.Errorf("got %q, %v", id, err)
	}
	for _, body := range []string{`{}`, `{"studentId":""}`, `{"studentId":5}`, `nope`} {
		if _, err := ParseConvert([]byte(body)); ErrorCode(err) != CodeInvalid {
			t.Errorf("%s: got %v, want invalid", body, err)
		}
	}
}

func TestParseReference(t *testing.T) {
	tests := []struct {
		name   string
		parse  func() error
		fields []string
	}{
		{"user ok", func() error {
			_, err := ParseUser("u1", []byte(`{"fullName":"Mercy","email":"m@example.com"}`))
			return err
		}, nil},
		{"user missing both", func() error { _, err := ParseUser("u1", []byte(`{}`)); return err }, []string{"fullName", "email"}},
		{"user bad email", func() error { _, err := ParseUser("u1", []byte(`{"fullName":"M","email":"x"}`)); return err }, []string{"email"}},
		{"user name wrong type", func() error { _, err := ParseUser("u1", []byte(`{"fullName":1,"email":"m@example.com"}`)); return err }, []string{"fullName"}},
		{"location needs a name", func() error { _, err := ParseLocation("l", []byte(`{"name":" "}`)); return err }, []string{"name"}},
		{"center ok", func() error {
			_, err := ParseCenter("c", []byte(`{"name":"Abuja Center","locationId":"fct"}`))
			return err
		}, nil},
		{"course needs a name", func() error { _, err := ParseCourse("k", []byte(`{"centerId":"c"}`)); return err }, []string{"name"}},
		{"student may be empty", func() error { _, err := ParseStudent("s", []byte(`{}`)); return err }, nil},
		{"id too long", func() error { _, err := ParseLocation(string(make([]byte, 256)), []byte(`{"name":"x"}`)); return err }, []string{"id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse()
			var fields []string
			var e *Error
			if errors.As(err, &e) {
				fields = make([]string, 0)
				for _, f := range e.Fields {
					fields = append(fields, f.Field)
				}
			} else if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if len(fields) != len(tt.fields) || (len(fields) > 0 && !reflect.DeepEqual(fields, tt.fields)) {
				t.Errorf("fields %v, want %v", fields, tt.fields)
			}
		})
	}
}
