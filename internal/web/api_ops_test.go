package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
)

// The OpenAPI check must fail on drift, or it proves nothing.
func TestOpenAPICheckCatchesDrift(t *testing.T) {
	api := loadAPIDoc(t)
	lead := `{"id":"01a21bd7-6950-766c-b40a-277449dd1028","userId":"u","fullName":"F","email":"e@example.com","phone":null,
"trainingLocation":null,"trainingLocationName":null,"centerId":null,"centerName":null,"studentAddress":null,"courseId":null,
"courseName":null,"hasGuardian":false,"guardianName":null,"guardianPhone":null,"guardianEmail":null,"guardianAddress":null,
"onboardingStep":1,"lastSavedAt":"2026-01-02T10:00:00Z","status":"PENDING","source":"s","notes":null,"contactedAt":null,
"contactedBy":null,"convertedAt":null,"convertedToStudentId":null,"createdAt":"2026-01-02T10:00:00Z","updatedAt":"2026-01-02T10:00:00Z",
"paymentPlan":null,"assignedTo":null,"assignedAt":null,"stepReached":1}`
	json := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		method string
		path   string
		res    response
		ok     bool
	}{
		{"a complete lead", "GET", "/leads/me", response{200, json, []byte(`{"success":true,"data":` + lead + `}`)}, true},
		{"a null lead", "GET", "/leads/me", response{200, json, []byte(`{"success":true,"data":null}`)}, true},
		{"a key missing", "GET", "/leads/me", response{200, json, []byte(`{"success":true,"data":` + strings.Replace(lead, `"notes":null,`, "", 1) + `}`)}, false},
		{"an extra key", "GET", "/leads/me", response{200, json, []byte(`{"success":true,"data":` + strings.Replace(lead, `{`, `{"extra":1,`, 1) + `}`)}, false},
		{"a non-UTC time", "GET", "/leads/me", response{200, json, []byte(`{"success":true,"data":` + strings.Replace(lead, `"2026-01-02T10:00:00Z","status"`, `"2026-01-02T11:00:00+01:00","status"`, 1) + `}`)}, false},
		{"a bad uuid", "GET", "/leads/me", response{200, json, []byte(`{"success":true,"data":` + strings.Replace(lead, `01a21bd7`, `zz`, 1) + `}`)}, false},
		{"an undocumented status", "GET", "/leads/me", response{418, json, []byte(`{}`)}, false},
		{"text instead of JSON", "GET", "/leads/me", response{200, http.Header{"Content-Type": {"text/plain"}}, []byte(`ok`)}, false},
		{"an error without a message", "GET", "/leads/me", response{401, json, []byte(`{"success":false,"statusCode":401,"error":"Unauthorized"}`)}, false},
		{"an unknown path answered 200", "GET", "/nowhere", response{200, json, []byte(`{}`)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := api.check(httptest.NewRequest(tt.method, "http://leads.test"+tt.path, nil), tt.res)
			if (err == nil) != tt.ok {
				t.Errorf("check = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestHealthAndDocument(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.runAll(t, []scenario{
			{name: "healthz", req: request{method: "GET", path: "/healthz"}, status: http.StatusOK, want: []string{`"status":"ok"`}},
			{name: "readyz", req: request{method: "GET", path: "/readyz"}, status: http.StatusOK, want: []string{`"status":"ready"`}},
			{name: "openapi", req: request{method: "GET", path: "/openapi.json"}, status: http.StatusOK, want: []string{`"openapi":"3.0.3"`}},
			{name: "unknown route", req: request{method: "GET", path: "/nowhere"}, status: http.StatusNotFound,
				want: []string{`"success":false`, `"statusCode":404`, `"error":"Not Found"`}},
			{name: "wrong method", req: request{method: "PATCH", path: "/leads/me"}, status: http.StatusMethodNotAllowed,
				want: []string{`"statusCode":405`, `"error":"Method Not Allowed"`}},
		})
		res := e.do(request{method: "DELETE", path: "/healthz"})
		if allow := res.header.Get("Allow"); !strings.Contains(allow, "GET") {
			t.Errorf("405 Allow = %q, want GET listed", allow)
		}
		res = e.do(request{method: "GET", path: "/openapi.json"})
		if !bytes.Equal(res.body, openAPIDoc) {
			t.Error("GET /openapi.json must serve the embedded document")
		}
	})
}

// A closed database: readyz says 503, and an API call is a 503 with
// Retry-After (contract §10) whose cause is only in the log, under the
// request id.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			st := eng.open(t)
			var logs bytes.Buffer
			srv := NewServer(Config{Store: st, Verifier: auth.NewVerifier(testSecret),
				Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			e := &env{t: t, store: st, srv: srv, handler: srv.Handler(), api: loadAPIDoc(t)}
			st.Close()
			e.runAll(t, []scenario{
				{name: "readyz", req: request{method: "GET", path: "/readyz"}, status: http.StatusServiceUnavailable,
					want: []string{`"statusCode":503`, `"message":"Database unavailable"`}},
				{name: "healthz still", req: request{method: "GET", path: "/healthz"}, status: http.StatusOK},
				{name: "api call", req: request{method: "GET", path: "/leads/me", token: e.token("stu-1", auth.RoleStudent),
					header: map[string]string{"X-Request-Id": "req-down-1"}},
					status: http.StatusServiceUnavailable, want: []string{`"statusCode":503`, `"message":"The service is briefly unavailable`},
					deny: []string{`"errors"`, "closed"}},
				{name: "frontend route", req: request{method: "POST", path: "/api/onboarding/save-lead", cookie: e.token("stu-1", auth.RoleStudent), body: `{}`},
					status: http.StatusServiceUnavailable, want: []string{`{"error":"The service is briefly unavailable`}, deny: []string{"closed"}},
			})
			for _, path := range []string{"/leads", "/leads/stats", "/roster"} {
				res := e.do(request{method: "GET", path: path, token: e.token("adm-1", auth.RoleAdmin)})
				if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
					t.Errorf("GET %s with the database down: %d, Retry-After %q; want 503 with Retry-After", path, res.status, res.header.Get("Retry-After"))
				}
			}
			if !strings.Contains(logs.String(), `"request_id":"req-down-1"`) || !strings.Contains(logs.String(), `"msg":"database unavailable"`) {
				t.Errorf("the internal error must be logged with the request id:\n%s", logs.String())
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, openSQLite(t))
	for _, tt := range []struct {
		name, sent string
		kept       bool
	}{
		{"sane id is echoed", "abc-123_x.y:z", true},
		{"none sent", "", false},
		{"header injection", "a\tb", false},
		{"too long", strings.Repeat("a", 129), false},
		{"spaces", "a b", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.sent != "" {
				h["X-Request-Id"] = tt.sent
			}
			got := e.do(request{method: "GET", path: "/healthz", header: h}).header.Get("X-Request-Id")
			if (got == tt.sent) != tt.kept || got == "" {
				t.Errorf("X-Request-Id = %q (sent %q), want kept=%v", got, tt.sent, tt.kept)
			}
		})
	}
}

// A panicking handler answers 500 in the error shape, and the process lives.
func TestPanicRecovery(t *testing.T) {
	var logs bytes.Buffer
	s := NewServer(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	h := withRequestID(s.accessLog(s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom: secret detail")
	}))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.StatusCode != 500 || body.Message != "Internal server error" {
		t.Errorf("body %s (%v)", rec.Body.String(), err)
	}
	if strings.Contains(rec.Body.String(), "boom") {
		t.Error("the panic value must not reach the client")
	}
	if !strings.Contains(logs.String(), "boom: secret detail") || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the panic and the 500 must be logged:\n%s", logs.String())
	}
}

// The access log names the route, status, size, duration and request id, and
// never the token, the query string or the body.
func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	st := openSQLite(t)
	srv := NewServer(Config{Store: st, Verifier: auth.NewVerifier(testSecret), Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	e := &env{t: t, store: st, srv: srv, handler: srv.Handler(), api: loadAPIDoc(t)}
	e.seed(context.Background())
	tok := e.token("stu-1", auth.RoleStudent, "Mercy Okafor", "mercy@example.com")
	e.do(request{method: "POST", path: "/leads/save-from-onboarding", token: tok, body: `{"profile":{"studentAddress":"12 Secret Street"}}`,
		header: map[string]string{"X-Request-Id": "req-log-1"}})
	e.do(request{method: "GET", path: "/leads/user/stu-1?email=mercy@example.com", token: e.token("staff-1", auth.RoleStaff)})
	var line struct {
		Msg, Method, Route, RequestID string
		Status, Bytes                 int
		Duration                      time.Duration
	}
	first, _, _ := strings.Cut(logs.String(), "\n")
	if err := json.Unmarshal([]byte(first), &line); err != nil {
		t.Fatalf("log line %q: %v", first, err)
	}
	if line.Msg != "request" || line.Method != "POST" || line.Route != "POST /leads/save-from-onboarding" || line.Status != 201 || line.Bytes == 0 {
		t.Errorf("access log line %s", first)
	}
	if !strings.Contains(first, `"request_id":"req-log-1"`) || !strings.Contains(first, `"duration"`) {
		t.Errorf("access log line lacks the request id or duration: %s", first)
	}
	for _, secret := range []string{tok, "Secret Street", "mercy@example.com", "Mercy"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"route":"GET /leads/user/{userId}"`) {
		t.Errorf("log must name the route pattern:\n%s", logs.String())
	}
}

// POST /onboarding/complete belongs to the pages, but its JSON answers are in
// openapi.json too; do checks them against it.
func TestOnboardingCompleteMatchesDocument(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		stu := e.token("stu-1", auth.RoleStudent)
		e.runAll(t, []scenario{
			{name: "no token", req: request{method: "POST", path: "/onboarding/complete", body: `{}`}, status: http.StatusUnauthorized},
			{name: "invalid body", req: request{method: "POST", path: "/onboarding/complete", cookie: stu, body: `{"step":0}`}, status: http.StatusBadRequest,
				want: []string{`"field":"step"`}},
			{name: "complete", req: request{method: "POST", path: "/onboarding/complete", cookie: stu, body: `{"selectedCourse":{"id":"web-dev"},"step":3}`},
				status: http.StatusOK, want: []string{`"success":true`, `"message":`, `"status":"CONVERTED"`, `"courseName":"Web Development"`}},
		})
	})
}
