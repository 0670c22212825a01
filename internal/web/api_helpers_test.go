package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/uuid"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/postgres"
	"github.com/leads/leads/internal/sqlite"
	"github.com/leads/leads/internal/testdb"
)

// testSecret signs the tokens of these tests.
var testSecret = []byte("web-test-secret-0123456789abcdef")

// engine opens a fresh, migrated store that the test's cleanup closes (and,
// for a server database, drops).
type engine struct {
	name string
	open func(tb testing.TB) leads.Store
}

// engines lists the storage engines every API test runs on. PostgreSQL cases
// skip (through testdb) when LEADS_TEST_DATABASE_URL is unset.
func engines() []engine {
	return []engine{{"sqlite", openSQLite}, {"postgres", openPostgres}}
}

func openSQLite(t testing.TB) leads.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, testdb.SQLiteFile(t))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.MigrateUp(ctx); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return st
}

// openPostgres gives the test its own schema in the test database.
func openPostgres(t testing.TB) leads.Store {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, testdb.PostgresURL(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { st.Close() }) // runs before the schema is dropped
	if err := st.MigrateUp(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return st
}

// openPgBouncer gives the test its own database behind its own PgBouncer in
// transaction mode.
func openPgBouncer(t testing.TB) leads.Store {
	t.Helper()
	ctx := context.Background()
	pooled, direct := testdb.PgBouncer(t)
	st, err := postgres.OpenPooled(ctx, pooled, direct)
	if err != nil {
		t.Fatalf("open postgres through pgbouncer: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.MigrateUp(ctx); err != nil {
		t.Fatalf("migrate postgres through pgbouncer: %v", err)
	}
	return st
}

// forEachEngine runs fn as a parallel subtest per engine, each with its own
// database and server; the API's tests also run on PostgreSQL through
// PgBouncer, as several instances of the service would.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, eng := range append(engines(), engine{"pgbouncer", openPgBouncer}) {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, eng.open(t)))
		})
	}
}

// env is one server over one fresh store, with the OpenAPI document every
// response is checked against.
type env struct {
	t       *testing.T
	store   leads.Store
	srv     *Server
	handler http.Handler
	api     *apiDoc
}

func newEnv(t *testing.T, st leads.Store) *env {
	return newEnvWith(t, Config{Store: st})
}

// newEnvWith is newEnv with a configuration of its own (the verifier is the
// tests' when cfg has none).
func newEnvWith(t *testing.T, cfg Config) *env {
	st := cfg.Store
	if cfg.Verifier == nil {
		cfg.Verifier = auth.NewVerifier(testSecret)
	}
	srv := NewServer(cfg)
	return &env{t: t, store: st, srv: srv, handler: srv.Handler(), api: loadAPIDoc(t)}
}

// token mints a valid token for sub with role and optional profile claims.
func (e *env) token(sub string, role auth.Role, profile ...string) string {
	e.t.Helper()
	p := auth.Principal{UserID: sub, Role: role}
	if len(profile) > 0 {
		p.Name = &profile[0]
	}
	if len(profile) > 1 {
		p.Email = &profile[1]
	}
	if len(profile) > 2 {
		p.Phone = &profile[2]
	}
	tok, err := auth.Mint(testSecret, p, time.Hour, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// request is one call of a scenario.
type request struct {
	method, path string
	token        string // sent as Authorization: Bearer
	cookie       string // sent as the accessToken cookie
	body         string
	header       map[string]string
	remoteAddr   string // the TCP peer, host:port; httptest's 192.0.2.1:1234 when empty
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// data decodes the body's data into v.
func (r response) data(t *testing.T, v any) {
	t.Helper()
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("decode: %v: %s", err, r.body)
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		t.Fatalf("decode data: %v: %s", err, r.body)
	}
}

// leaked are fragments that would show a driver's or Go's error text (or a
// stack) reaching a client.
var leaked = []string{"sql", "sqlite", "pgx", "pq:", "postgres", "syntax error", "constraint",
	"goroutine", "panic", "runtime error", "SQLSTATE", "no rows", "context deadline", "connection refused"}

// randomToken is an unsubscribe link's token, in a URL or a form's action.
var randomToken = regexp.MustCompile(`token=[A-Za-z0-9_-]+`)

// do sends req to the server and checks what every response must satisfy: the
// body conforms to openapi.json for this path, method and status; JSON
// responses are application/json; a request id comes back; and no internal
// error text leaks.
func (e *env) do(req request) response {
	e.t.Helper()
	r := req.httpRequest()
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}

	// Every API answer is JSON but the CSV export (whose type the document
	// check below holds it to).
	ct := res.header.Get("Content-Type")
	if page := pagePath(r.URL.Path) && strings.HasPrefix(ct, "text/html"); !page && ct != "application/json" && !strings.HasPrefix(ct, "text/csv") {
		e.t.Errorf("%s %s: Content-Type %q, want application/json", req.method, req.path, ct)
	}
	if res.header.Get("X-Request-Id") == "" {
		e.t.Errorf("%s %s: no X-Request-Id in the response", req.method, req.path)
	}
	if req.path != "/openapi.json" {
		// An unsubscribe link's token is random base64 and may spell any of
		// them ("…-PGxC…"): it is not error text.
		lower := strings.ToLower(randomToken.ReplaceAllString(string(res.body), "token=…"))
		for _, l := range leaked {
			if strings.Contains(lower, strings.ToLower(l)) {
				e.t.Errorf("%s %s: response leaks %q: %s", req.method, req.path, l, res.body)
			}
		}
	}
	if err := e.api.check(req.httpRequest(), res); err != nil {
		e.t.Error(err)
	}
	return res
}

// httpRequest builds the request to send (a fresh one each call, so one can
// be served and another validated).
func (req request) httpRequest() *http.Request {
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(req.method, "http://leads.test"+req.path, body)
	if req.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	if req.cookie != "" {
		r.AddCookie(&http.Cookie{Name: "accessToken", Value: req.cookie})
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	if req.remoteAddr != "" {
		r.RemoteAddr = req.remoteAddr
	}
	return r
}

// apiDoc is openapi.json, loaded and checked, with a router over its paths.
type apiDoc struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

func loadAPIDoc(t *testing.T) *apiDoc {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("openapi router: %v", err)
	}
	formats := map[string]openapi3.StringFormatValidator{
		// kin-openapi's own uuid format rejects UUIDv7.
		"uuid": openapi3.NewCallbackValidator(func(s string) error { _, err := uuid.Parse(s); return err }),
		"date-time": openapi3.NewCallbackValidator(func(s string) error {
			tm, err := time.Parse(time.RFC3339Nano, s)
			if err == nil && tm.Location() != time.UTC {
				err = fmt.Errorf("%q is not in UTC", s)
			}
			return err
		}),
	}
	opts := &openapi3filter.Options{
		// Security is the server's to check; the document only names the schemes.
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus:   true, // an undocumented status is drift
		MultiError:              true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidators(formats)},
	}
	return &apiDoc{doc: doc, router: router, opts: opts}
}

// check checks a request and its response against the document. A request to
// no documented path must have been answered 404 or 405 in the Error shape. A
// request the server accepted (2xx or 3xx) must be one the document accepts:
// a request the document refuses may only meet a 4xx. (Requests the document
// accepts may still be refused: it cannot say everything, such as an unknown
// student id.)
func (a *apiDoc) check(r *http.Request, res response) error {
	route, params, err := a.router.FindRoute(r)
	if err != nil {
		if res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s is not in openapi.json (%v) but answered %d", r.Method, r.URL.Path, err, res.status)
		}
		var v any
		if err := json.Unmarshal(res.body, &v); err != nil {
			return fmt.Errorf("%s %s: body is not JSON: %s", r.Method, r.URL.Path, res.body)
		}
		if err := a.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			return fmt.Errorf("%s %s: %d body is not an Error: %v\n%s", r.Method, r.URL.Path, res.status, err, res.body)
		}
		return nil
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: a.opts}
	if err := openapi3filter.ValidateRequest(context.Background(), reqIn); err != nil && res.status < 400 {
		return fmt.Errorf("%s %s: answered %d, but openapi.json refuses the request: %v", r.Method, r.URL.Path, res.status, err)
	}
	opts := a.opts
	if mt, _, _ := mime.ParseMediaType(res.header.Get("Content-Type")); mt != "" && mt != "application/json" && mt != "text/csv" {
		// A page or a static file: the document must say this status
		// answers this type; the markup is the browser tests' to check.
		// (A redirect's body is net/http's courtesy note.)
		doc := route.Operation.Responses.Status(res.status)
		if doc == nil || doc.Value == nil || doc.Value.Content.Get(mt) == nil && (res.status < 300 || res.status > 399) {
			return fmt.Errorf("%s %s: answered %s with %d, which openapi.json does not document", r.Method, r.URL.Path, mt, res.status)
		}
		o := *a.opts
		o.ExcludeResponseBody = true
		opts = &o
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.status,
		Header:                 res.header,
		Body:                   io.NopCloser(bytes.NewReader(res.body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s: %d response does not match openapi.json: %v\n%s", r.Method, r.URL.Path, res.status, err, res.body)
	}
	return nil
}

// scenario is one row of a table: a request and what must come back.
type scenario struct {
	name   string
	req    request
	status int
	want   []string // fragments the compact JSON body must contain
	deny   []string // fragments it must not contain
}

// run sends the scenario and checks the status and fragments.
func (e *env) run(t *testing.T, sc scenario) response {
	t.Helper()
	res := e.do(sc.req)
	if res.status != sc.status {
		t.Errorf("%s: status %d, want %d: %s", sc.name, res.status, sc.status, res.body)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, res.body); err != nil {
		t.Fatalf("%s: body is not JSON: %s", sc.name, res.body)
	}
	for _, w := range sc.want {
		if !strings.Contains(compact.String(), w) {
			t.Errorf("%s: body lacks %s: %s", sc.name, w, compact.String())
		}
	}
	for _, d := range sc.deny {
		if strings.Contains(compact.String(), d) {
			t.Errorf("%s: body must not contain %s: %s", sc.name, d, compact.String())
		}
	}
	return res
}

// runAll runs scenarios in order (they may build on each other) as subtests.
func (e *env) runAll(t *testing.T, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) { e.run(t, sc) })
	}
}

// mustPut writes reference data through the store, failing the test on error.
func (e *env) seed(ctx context.Context) {
	e.t.Helper()
	st := e.store
	for _, err := range []error{
		second(st.PutUser(ctx, leads.User{ID: "stu-1", FullName: "Mercy Okafor", Email: "mercy@example.com", Phone: ptr("+2348000000001")}, leads.Timestamp(time.Now()))),
		second(st.PutUser(ctx, leads.User{ID: "stu-2", FullName: "Tunde Bello", Email: "tunde@example.com"}, leads.Timestamp(time.Now()))),
		second(st.PutLocation(ctx, leads.Location{ID: "fct", Name: "FCT Abuja"})),
		second(st.PutLocation(ctx, leads.Location{ID: "lagos", Name: "Lagos"})),
		second(st.PutCenter(ctx, leads.Center{ID: "abuja-center", Name: "Abuja Center", LocationID: ptr("fct")})),
		second(st.PutCenter(ctx, leads.Center{ID: "lagos-center", Name: "Lagos Center", LocationID: ptr("lagos")})),
		second(st.PutCourse(ctx, leads.Course{ID: "web-dev", Name: "Web Development", CenterID: ptr("abuja-center")})),
		second(st.PutCourse(ctx, leads.Course{ID: "solar", Name: "Solar Installation", CenterID: ptr("lagos-center")})),
		second(st.PutStudent(ctx, leads.Student{ID: "student-1"}, leads.Timestamp(time.Now()))),
		second(st.PutStudent(ctx, leads.Student{ID: "student-2"}, leads.Timestamp(time.Now()))),
	} {
		if err != nil {
			e.t.Fatalf("seed: %v", err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func ptr[T any](v T) *T { return &v }
