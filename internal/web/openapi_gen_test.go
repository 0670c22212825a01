package web

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/leads/leads/internal/openapigen"
)

// openapi.json is generated from openapi.yaml. The committed copy must be what
// the YAML generates now, or the server serves, and the API tests check
// against, a stale description.
func TestOpenAPIJSONIsGenerated(t *testing.T) {
	src, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := openapigen.Generate(src)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	got, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("openapi.json is not what openapi.yaml generates: run go generate ./internal/web (%s)", firstDiff(got, want))
	}
}

// firstDiff names the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("first difference at line %d: committed %q, generated %q", i+1, gl, wl)
		}
	}
	return "no line differs"
}
