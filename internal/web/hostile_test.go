package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// Hostile input (contract §10): NUL, invalid UTF-8 and lone surrogates in
// every path parameter, query parameter, body string and token claim; pages
// too deep to count. Each is refused with a 4xx naming the field, the same on
// both engines, and nothing stored changes.

// badPathValues break the rule for text as a path segment: NUL, a byte that
// is not UTF-8, an encoded surrogate, an overlong NUL.
var badPathValues = []string{"%00", "%ff", "a%00b", "%ED%A0%80", "%C0%80"}

// badJSONStrings break it inside a JSON string: escaped NUL, a raw byte that
// is not UTF-8, a lone surrogate escape (high and low), an overlong raw NUL.
var badJSONStrings = []string{`a\u0000b`, "a\xffb", `\ud800`, `x\udc00y`, "\xc0\x80"}

// hostileEnv is a seeded store with a lead, a staff member and a webhook.
type hostileEnv struct {
	*env
	leadID         string
	student, staff string // tokens
	admin          string
}

func newHostileEnv(t *testing.T, e *env) *hostileEnv {
	t.Helper()
	ctx := context.Background()
	e.seed(ctx)
	h := &hostileEnv{env: e, student: e.token("stu-1", auth.RoleStudent), staff: e.token("staff-1", auth.RoleStaff),
		admin: e.token("adm-1", auth.RoleAdmin)}
	res := e.do(request{method: "POST", path: "/leads/save-from-onboarding", token: h.student, body: validBodies["save"]})
	var l leads.Lead
	res.data(t, &l)
	h.leadID = l.ID
	for _, r := range []request{
		{method: "PUT", path: "/roster/staff-1", token: h.admin, body: validBodies["roster"]},
		{method: "PUT", path: "/webhooks/hook-1", token: h.admin, body: validBodies["webhook"]},
		{method: "POST", path: "/leads/" + l.ID + "/notes", token: h.staff, body: validBodies["note"]},
	} {
		if res := e.do(r); res.status >= 300 {
			t.Fatalf("seed %s %s: %d %s", r.method, r.path, res.status, res.body)
		}
	}
	return h
}

// validBodies are well-formed bodies, one per kind; the tests spoil one
// string of each at a time.
var validBodies = map[string]string{
	"save": `{"profile":{"trainingLocation":"fct","centre":"abuja-center","studentAddress":"1 Road","hasGuardian":true,` +
		`"guardianName":"Grace Okafor","guardianPhone":"08012345678","guardianEmail":"grace@example.com","guardianAddress":"2 Road"},` +
		`"selectedCenter":{"id":"abuja-center","name":"Abuja Center"},"selectedCourse":{"id":"web-dev","name":"Web Development"},` +
		`"step":2,"source":"onboarding_save_and_exit","paymentPlan":"full"}`,
	"status":   `{"status":"CONTACTED","reason":"called back","contactedBy":"staff-1"}`,
	"convert":  `{"studentId":"student-1"}`,
	"assign":   `{"staffId":"staff-1"}`,
	"note":     `{"text":"Prefers a call after 5pm"}`,
	"call":     `{"outcome":"NO_ANSWER","text":"rang twice"}`,
	"roster":   `{"fullName":"Sam Staff","email":"sam@example.com","centerIds":["abuja-center"],"active":true}`,
	"webhook":  `{"url":"https://hooks.example.org/leads","events":["lead.created"],"secret":"whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM="}`,
	"user":     `{"fullName":"Kemi Ade","email":"kemi@example.com","phone":"08011112222"}`,
	"location": `{"name":"Kano"}`,
	"center":   `{"name":"Kano Center","locationId":"fct"}`,
	"course":   `{"name":"Plumbing","centerId":"abuja-center"}`,
	"student":  `{"userId":"stu-2"}`,
}

// stringFields lists the dotted path of every string in v, with a function
// that puts a raw JSON string literal (quotes included) in its place.
func stringFields(t *testing.T, body string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("bad valid body %s: %v", body, err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case string:
			out = append(out, prefix)
		case map[string]any:
			for k, x := range v {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", prefix, i), x)
			}
		}
	}
	walk("", v)
	return out
}

// spoil returns body with the string at path replaced by the raw JSON string
// content bad (written between quotes as is, so it can hold bytes and
// escapes that a JSON encoder would not write).
func spoil(t *testing.T, body, path, bad string) string {
	t.Helper()
	var v any
	json.Unmarshal([]byte(body), &v)
	const marker = "\x01SPOILED\x01"
	var set func(v any, parts []string) any
	set = func(v any, parts []string) any {
		if len(parts) == 0 {
			return marker
		}
		head := parts[0]
		if i := strings.Index(head, "["); i > 0 { // key[n]
			var n int
			fmt.Sscanf(head[i:], "[%d]", &n)
			m := v.(map[string]any)
			arr := m[head[:i]].([]any)
			arr[n] = set(arr[n], parts[1:])
			return m
		}
		m := v.(map[string]any)
		m[head] = set(m[head], parts[1:])
		return m
	}
	v = set(v, strings.Split(path, "."))
	b, _ := json.Marshal(v)
	return strings.Replace(string(b), `"\u0001SPOILED\u0001"`, `"`+bad+`"`, 1)
}

// signPayload signs a payload as is (a JSON encoder would repair invalid UTF-8).
func signPayload(payload string) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte(header + "." + body))
	return header + "." + body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// snapshot is everything the store holds that a request could change.
func snapshot(t *testing.T, st leads.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	var all []leads.Lead
	if err := st.ExportLeads(ctx, leads.ListFilter{}, func(l leads.Lead) error { all = append(all, l); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		acts, err := st.Activities(ctx, l.ID, 1, 1000)
		if err != nil {
			t.Fatal(err)
		}
		enc.Encode(l)
		enc.Encode(acts)
	}
	roster, err1 := st.Roster(ctx)
	locs, err2 := st.Locations(ctx)
	centers, err3 := st.Centers(ctx, "")
	courses, err4 := st.Courses(ctx, "")
	hooks, err5 := st.Webhooks(ctx)
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []any{roster, locs, centers, courses, hooks} {
		enc.Encode(v)
	}
	return b.String()
}

// hostileCase is one request that must be refused.
type hostileCase struct {
	name   string
	req    request
	status int
	field  string // the field the answer must name
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		h := newHostileEnv(t, e)
		lead := h.leadID
		var cases []hostileCase

		// Every path parameter.
		for _, p := range []struct {
			method, pattern, param, token, body string
		}{
			{"GET", "/leads/{}", "id", h.staff, ""},
			{"DELETE", "/leads/{}", "id", h.admin, ""},
			{"PUT", "/leads/{}/status", "id", h.staff, validBodies["status"]},
			{"PUT", "/leads/{}/convert", "id", h.staff, validBodies["convert"]},
			{"PUT", "/leads/{}/assign", "id", h.staff, validBodies["assign"]},
			{"POST", "/leads/{}/notes", "id", h.staff, validBodies["note"]},
			{"POST", "/leads/{}/calls", "id", h.staff, validBodies["call"]},
			{"GET", "/leads/user/{}", "userId", h.student, ""},
			{"PUT", "/roster/{}", "id", h.admin, validBodies["roster"]},
			{"PUT", "/webhooks/{}", "id", h.admin, validBodies["webhook"]},
			{"DELETE", "/webhooks/{}", "id", h.admin, ""},
			{"GET", "/webhooks/{}/deliveries", "id", h.admin, ""},
			{"PUT", "/users/{}", "id", h.admin, validBodies["user"]},
			{"PUT", "/locations/{}", "id", h.admin, validBodies["location"]},
			{"PUT", "/centers/{}", "id", h.admin, validBodies["center"]},
			{"PUT", "/courses/{}", "id", h.admin, validBodies["course"]},
			{"PUT", "/students/{}", "id", h.admin, validBodies["student"]},
			{"GET", "/leads/{}", "id", "", ""}, // before sign-in, too
			{"GET", "/staff/leads/{}", "id", h.staff, ""},
		} {
			for _, bad := range badPathValues {
				cases = append(cases, hostileCase{name: p.method + " " + p.pattern + " " + bad,
					req:    request{method: p.method, path: strings.Replace(p.pattern, "{}", bad, 1), token: p.token, body: p.body},
					status: http.StatusBadRequest, field: p.param})
			}
		}

		// Every query parameter, by value, and a bad parameter name.
		for _, q := range []struct {
			path, token string
			params      []string
		}{
			{"/leads", h.staff, []string{"page", "limit", "status", "centerId", "courseId", "q", "assignedTo", "step", "createdFrom", "createdTo", "overdue", "sort"}},
			{"/leads/export.csv", h.staff, []string{"status", "centerId", "courseId", "q", "assignedTo", "step", "createdFrom", "createdTo", "overdue", "sort"}},
			{"/leads/stats", h.staff, []string{"createdFrom", "createdTo", "centerId", "courseId"}},
			{"/activities", h.staff, []string{"leadId", "page", "limit"}},
			{"/centers", "", []string{"locationId"}},
			{"/courses", "", []string{"centerId"}},
			{"/staff", h.staff, []string{"page", "q", "status", "centerId", "sort"}},
			{"/staff/stats", h.staff, []string{"createdFrom", "centerId"}},
			{"/unsubscribe", "", []string{"lead", "token"}},
		} {
			for _, param := range q.params {
				for _, bad := range badPathValues {
					cases = append(cases, hostileCase{name: "GET " + q.path + "?" + param + "=" + bad,
						req: request{method: "GET", path: q.path + "?" + param + "=" + bad, token: q.token}, status: http.StatusBadRequest, field: param})
				}
			}
			cases = append(cases, hostileCase{name: "GET " + q.path + " bad name", req: request{method: "GET", path: q.path + "?%00=1", token: q.token},
				status: http.StatusBadRequest, field: "query"})
		}

		// Every string of every body.
		for _, b := range []struct {
			method, path, kind, token string
			cookie                    bool
		}{
			{"POST", "/leads/save-from-onboarding", "save", h.student, false},
			{"POST", "/api/onboarding/save-lead", "save", h.student, true},
			{"PUT", "/leads/" + lead + "/status", "status", h.staff, false},
			{"PUT", "/leads/" + lead + "/convert", "convert", h.staff, false},
			{"PUT", "/leads/" + lead + "/assign", "assign", h.staff, false},
			{"POST", "/leads/" + lead + "/notes", "note", h.staff, false},
			{"POST", "/leads/" + lead + "/calls", "call", h.staff, false},
			{"PUT", "/roster/staff-2", "roster", h.admin, false},
			{"PUT", "/webhooks/hook-2", "webhook", h.admin, false},
			{"PUT", "/users/stu-9", "user", h.admin, false},
			{"PUT", "/locations/kano", "location", h.admin, false},
			{"PUT", "/centers/kano-center", "center", h.admin, false},
			{"PUT", "/courses/plumbing", "course", h.admin, false},
			{"PUT", "/students/student-9", "student", h.admin, false},
		} {
			for _, field := range stringFields(t, validBodies[b.kind]) {
				for _, bad := range badJSONStrings {
					r := request{method: b.method, path: b.path, body: spoil(t, validBodies[b.kind], field, bad)}
					if b.cookie {
						r.cookie = b.token
					} else {
						r.token = b.token
					}
					cases = append(cases, hostileCase{name: fmt.Sprintf("%s %s %s=%q", b.method, b.path, field, bad), req: r,
						status: http.StatusBadRequest, field: field})
				}
			}
			// A key that breaks the rule is named by where it is, not echoed.
			r := request{method: b.method, path: b.path, body: strings.Replace(validBodies[b.kind], `{"`, `{"a\u0000":1,"`, 1)}
			if b.cookie {
				r.cookie = b.token
			} else {
				r.token = b.token
			}
			cases = append(cases, hostileCase{name: b.method + " " + b.path + " bad key", req: r, status: http.StatusBadRequest, field: "body"})
		}

		// Every profile claim, and the subject: 401 naming the claim.
		exp := time.Now().Add(time.Hour).Unix()
		for _, c := range []struct {
			claim, value string
		}{
			{"sub", `"stu\u00009"`}, {"sub", "\"stu\xff9\""},
			{"name", `"Ada\u0000"`}, {"name", "\"Ada\xff\""}, {"name", `"\ud800"`}, {"name", `"` + strings.Repeat("n", 30000) + `"`},
			{"email", `"not-an-email"`}, {"email", `"a\u0000@example.com"`},
			{"phone", "\"080\xff\""}, {"phone", `"` + strings.Repeat("1", 300) + `"`},
		} {
			claims := map[string]string{"sub": `"stu-hostile"`, "role": `"student"`, "exp": fmt.Sprint(exp)}
			claims[c.claim] = c.value
			var parts []string
			for k, v := range claims {
				parts = append(parts, fmt.Sprintf("%q:%s", k, v))
			}
			tok := signPayload("{" + strings.Join(parts, ",") + "}")
			for _, r := range []request{
				{method: "POST", path: "/leads/save-from-onboarding", token: tok, body: validBodies["save"]},
				{method: "GET", path: "/leads/me", token: tok},
			} {
				cases = append(cases, hostileCase{name: fmt.Sprintf("claim %s=%.20q %s", c.claim, c.value, r.path), req: r, status: http.StatusUnauthorized, field: c.claim})
			}
			cases = append(cases, hostileCase{name: fmt.Sprintf("claim %s=%.20q frontend route", c.claim, c.value),
				req: request{method: "POST", path: "/api/onboarding/save-lead", cookie: tok, body: validBodies["save"]}, status: http.StatusUnauthorized})
		}

		// Pages too deep to count.
		for _, page := range []string{"9223372036854775807", "99999999999999999999", "100002"} {
			cases = append(cases, hostileCase{name: "page " + page, req: request{method: "GET", path: "/leads?limit=100&page=" + page, token: h.staff},
				status: http.StatusBadRequest, field: "page"})
		}

		before := snapshot(t, e.store)
		for _, c := range cases {
			res := e.do(c.req)
			if res.status != c.status {
				t.Errorf("%s: status %d, want %d: %.300s", c.name, res.status, c.status, res.body)
				continue
			}
			named := fmt.Sprintf(`"field":%q`, c.field)
			if strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
				named = " — " + c.field + " must be" // a page says it in words
			}
			if c.field != "" && !strings.Contains(string(res.body), named) {
				t.Errorf("%s: the answer does not name %s: %.300s", c.name, c.field, res.body)
			}
		}
		if after := snapshot(t, e.store); after != before {
			t.Errorf("hostile requests changed stored data:\nbefore %s\nafter  %s", before, after)
		}
		if _, err := e.store.LeadByUser(context.Background(), "stu-hostile"); err == nil {
			t.Error("a token with hostile claims saved a lead")
		}
		t.Logf("%d hostile requests refused", len(cases))
	})
}
