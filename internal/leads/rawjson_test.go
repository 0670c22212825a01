package leads

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

// decodeStd is how bodies were read before objectMembers, with encoding/json:
// the reference it must agree with.
func decodeStd(doc []byte) (map[string]json.RawMessage, int) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); ok {
			return nil, notObject
		}
		return nil, notJSON
	}
	if dec.More() {
		return nil, notJSON
	}
	if m == nil {
		return nil, notObject
	}
	return m, 0
}

// FuzzObjectMembers: for any bytes, objectMembers says what encoding/json's
// decoder says (malformed, not an object, or these members with these exact
// values), and so does a nested object read by the parser.
func FuzzObjectMembers(f *testing.F) {
	for _, seed := range []string{
		`{}`, ` { "a" : 1 , "b":[true,false,null,{"c":"d"}] } `, `{"a":1,"a":2}`, `{"k\u00e9y":"v\"\\\/\b\f\n\r\t\u0041"}`,
		`null`, `nullx`, `null]`, `[]`, `"s"`, `123abc`, `1.5.3`, `-`, `-0.0e+1`, `01`, `{"a":01}`, `{"a":1}]`, `{"a":1}}`,
		`{"a":1} x`, `{"a":1}  `, ``, ` `, `{`, `{"a"}`, `{"a":}`, `{,}`, `{"a":1,}`, `[1,]`, `tru`, `trueabc`,
		`{"a":"\u12"}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}", `{"a":1e}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`,
		`{"a":[[[[]]]]}`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		`{"profile":{"studentAddress":"12 Road","hasGuardian":true},"step":2}`, "{\"a\":1}\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, gotWhy := objectMembers(doc)
		want, wantWhy := decodeStd(doc)
		if gotWhy != wantWhy {
			t.Fatalf("%q: objectMembers says %d, encoding/json %d", doc, gotWhy, wantWhy)
		}
		if !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
			t.Fatalf("%q: members %q, encoding/json %q", doc, got, want)
		}
	})
}
