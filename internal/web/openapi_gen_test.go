package web

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/leads/leads/internal/notify"
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

// patterns records the routes the server registers.
type patterns []string

func (p *patterns) Handle(pattern string, _ http.Handler) { *p = append(*p, pattern) }

// Every route of routes.go is an operation of openapi.yaml and every
// operation is a route, so a new endpoint cannot ship undocumented, nor a
// documented one go missing. The demo routes count: the server is built in
// demo mode.
func TestRoutesAreDocumented(t *testing.T) {
	s := NewServer(Config{Demo: &Demo{Secret: testSecret}, Mailbox: notify.NewMailbox(1)})
	var registered patterns
	s.routes(&registered)
	routes := map[string]bool{}
	for _, p := range registered {
		// The mux's "GET /{$}" is the exact path "/".
		routes[strings.Replace(p, "{$}", "", 1)] = true
	}
	doc := loadAPIDoc(t).doc
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(routes)) {
		if !documented[r] {
			t.Errorf("route %q is not in openapi.yaml", r)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(documented)) {
		if !routes[d] {
			t.Errorf("openapi.yaml describes %q, which routes.go does not register", d)
		}
	}
	// The whole table registers on a real mux: ServeMux panics at start on
	// two patterns that overlap with neither more specific.
	s.Handler()
}

// The request check is real: a request the document refuses fails the check
// when the server accepted it, and passes when the server refused it.
func TestAPIDocChecksRequests(t *testing.T) {
	api := loadAPIDoc(t)
	bad := request{method: "GET", path: "/leads?limit=1000", token: "x"}
	ok := response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}},
		body: []byte(`{"success":true,"data":{"leads":[],"total":0,"page":1,"limit":10}}`)}
	if err := api.check(bad.httpRequest(), ok); err == nil || !strings.Contains(err.Error(), "refuses the request") {
		t.Errorf("a refused request answered 200: check says %v, want a refusal", err)
	}
	refused := response{status: http.StatusBadRequest, header: http.Header{"Content-Type": {"application/json"}},
		body: []byte(`{"success":false,"statusCode":400,"error":"Bad Request","message":"Validation failed","errors":[{"field":"limit","message":"must be an integer from 1 to 100"}]}`)}
	if err := api.check(bad.httpRequest(), refused); err != nil {
		t.Errorf("a refused request answered 400: %v", err)
	}
	badBody := request{method: "POST", path: "/leads/save-from-onboarding", token: "x", body: `{"step":"two"}`}
	if err := api.check(badBody.httpRequest(), ok); err == nil {
		t.Error("a body of the wrong type answered 200 passed the check")
	}
}
