package leads

import "testing"

func TestCheckJSONText(t *testing.T) {
	tests := []struct {
		doc  string
		path string // "" when the text is fine
	}{
		{`{"a":"plain","b":["x","y"],"c":{"d":"Ọlá — 😀"}}`, ""},
		{`{"a":"\ud83d\ude00 a pair is fine"}`, ""},
		{`{"a":"ok","profile":{"guardianName":"x\u0000y"}}`, "profile.guardianName"},
		{"{\"a\":\"raw\x00nul\"}", "a"},
		{"{\"profile\":{\"centre\":\"bad \xff utf-8\"}}", "profile.centre"},
		{`{"centerIds":["ok","ok","\udc00 low alone"]}`, "centerIds[2]"},
		{`{"x":{"y":"\ud800 high alone"}}`, "x.y"},
		{`{"x":"\ud800\u0041 high then not low"}`, "x"},
		{"{\"k\xfe\":\"key itself\"}", "body"},
		{`{"profile":{"a\u0000":1}}`, "profile"},
		{`{"a":"\\u0000 is an escaped backslash, fine"}`, ""},
		{"[\"\xc3\"]", "[0]"},
	}
	for _, tt := range tests {
		path, ok := CheckJSONText([]byte(tt.doc))
		if ok != (tt.path == "") || path != tt.path {
			t.Errorf("CheckJSONText(%q) = %q, %v; want %q", tt.doc, path, ok, tt.path)
		}
	}
	// A body breaking the rule is refused naming the field, never stored.
	_, err := ParseOnboarding([]byte(`{"profile":{"studentAddress":"12\u0000 Road"}}`))
	if e, ok := err.(*Error); !ok || e.Fields[0].Field != "profile.studentAddress" {
		t.Errorf("ParseOnboarding: %v", err)
	}
}
