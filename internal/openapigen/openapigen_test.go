package openapigen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const small = `
openapi: 3.0.3
info: {title: t, version: 1.0.0}
paths:
  /x:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/X'}
components:
  schemas:
    X: {type: object, additionalProperties: false, properties: {a: {type: string, nullable: true}}}
`

func TestGenerate(t *testing.T) {
	out, err := Generate([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, []byte("}\n")) || !bytes.HasPrefix(out, []byte("{\n  \"")) {
		t.Errorf("want two-space indented JSON and a trailing newline:\n%s", out)
	}
	if !json.Valid(out) {
		t.Fatalf("not JSON:\n%s", out)
	}
	if !bytes.Contains(out, []byte(`"$ref": "#/components/schemas/X"`)) {
		t.Errorf("the $ref must be kept, not inlined:\n%s", out)
	}
	// JSON in gives the same JSON out: the output is a fixed point.
	again, err := Generate(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, out) {
		t.Errorf("regenerating the output changed it:\n%s\nvs\n%s", out, again)
	}
}

func TestGenerateRejects(t *testing.T) {
	for name, src := range map[string]string{
		"not YAML":       "openapi: [",
		"no info":        "openapi: 3.0.3\npaths: {}\n",
		"a dangling ref": strings.Replace(small, "schemas/X'", "schemas/Y'", 1),
		"a bad schema":   strings.Replace(small, "type: object", "type: objekt", 1),
	} {
		if _, err := Generate([]byte(src)); err == nil {
			t.Errorf("%s: Generate accepted it", name)
		}
	}
}
