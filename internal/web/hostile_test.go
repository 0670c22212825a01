package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/notify"
	"github.com/leads/leads/internal/postgres"
	"github.com/leads/leads/internal/sqlite"
	"github.com/leads/leads/internal/testdb"
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

// hostileEnv is a seeded store with a lead, a staff member and a webhook,
// served with the demo's sign-in and mailbox, and a logger that keeps the
// ERROR lines.
type hostileEnv struct {
	*env
	leadID         string
	student, staff string // tokens
	admin          string
	unsubscribe    string // the lead's unsubscribe token
	errors         *errorLog
	dump           tableDump
}

func newHostileEnv(t *testing.T, eng engine) *hostileEnv {
	t.Helper()
	ctx := context.Background()
	st, dump := openWithDump(t, eng.name)
	logs := &errorLog{}
	box := notify.NewMailbox(10)
	box.Send(ctx, notify.Message{ID: "new_lead.1@leads.test", To: "desk@leads.test", Subject: "New lead",
		Text: "Open the lead", HTML: "<p>Open the lead</p>", Date: time.Now()})
	e := newEnvWith(t, Config{Store: st, Logger: slog.New(logs), Mailbox: box, Demo: &Demo{Secret: testSecret,
		Accounts: map[auth.Role]auth.Principal{
			auth.RoleStudent: {UserID: "demo-student", Role: auth.RoleStudent, Name: ptr("Demo Student"), Email: ptr("demo@example.com")},
			auth.RoleStaff:   {UserID: "demo-staff", Role: auth.RoleStaff, Name: ptr("Demo Staff"), Email: ptr("staff@example.com")},
		}}})
	e.seed(ctx)
	h := &hostileEnv{env: e, student: e.token("stu-1", auth.RoleStudent), staff: e.token("staff-1", auth.RoleStaff),
		admin: e.token("adm-1", auth.RoleAdmin), errors: logs, dump: dump}
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
	key, err := st.Secret(ctx, "unsubscribe", 32, leads.Timestamp(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	h.unsubscribe = notify.UnsubscribeToken(key, l.ID)
	return h
}

// errorLog is a slog.Handler that keeps the lines logged at ERROR or above.
type errorLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *errorLog) Enabled(context.Context, slog.Level) bool { return true }

func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, b.String())
	return nil
}

func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

// since returns the lines logged after the first n, and how many there are.
func (l *errorLog) since(n int) ([]string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines[min(n, len(l.lines)):]...), len(l.lines)
}

// tableDump reads a whole table through a connection of its own.
type tableDump func(t *testing.T, table string) string

// dumpRow writes a row's values, strings quoted (so a NUL or a stray byte
// shows).
func dumpRow(vals []any) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteString(" | ")
		}
		switch v := v.(type) {
		case nil:
			b.WriteString("NULL")
		case string:
			fmt.Fprintf(&b, "%q", v)
		case []byte:
			fmt.Fprintf(&b, "%q", v)
		default:
			fmt.Fprintf(&b, "%v", v)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// openWithDump opens a fresh, migrated store of the engine (as engines()
// does) and a second, plain connection to its database, to read the tables
// the store has no list of (users, students) and the columns it does not
// show (a lead's unsubscribedAt).
func openWithDump(t *testing.T, engine string) (leads.Store, tableDump) {
	t.Helper()
	ctx := context.Background()
	query := func(table string) string { return "SELECT * FROM " + table + " ORDER BY id" }
	switch engine {
	case "sqlite":
		file := testdb.SQLiteFile(t)
		st, err := sqlite.Open(ctx, file)
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.MigrateUp(ctx); err != nil {
			t.Fatalf("migrate sqlite: %v", err)
		}
		name := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(file)
		db, err := sql.Open("sqlite", name+"?"+url.Values{"mode": {"ro"}, "_pragma": {"busy_timeout(5000)"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return st, func(t *testing.T, table string) string {
			t.Helper()
			rows, err := db.QueryContext(ctx, query(table))
			if err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			var b strings.Builder
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatalf("dump %s: %v", table, err)
				}
				b.WriteString(dumpRow(vals))
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			return b.String()
		}
	case "postgres":
		u := testdb.PostgresURL(t)
		st, err := postgres.Open(ctx, u)
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(func() { st.Close() }) // runs before the schema is dropped
		if err := st.MigrateUp(ctx); err != nil {
			t.Fatalf("migrate postgres: %v", err)
		}
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(ctx) })
		return st, func(t *testing.T, table string) string {
			t.Helper()
			rows, err := conn.Query(ctx, query(table))
			if err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			defer rows.Close()
			var b strings.Builder
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatalf("dump %s: %v", table, err)
				}
				b.WriteString(dumpRow(vals))
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			return b.String()
		}
	}
	t.Fatalf("no dump for engine %s", engine)
	return nil, nil
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
	"call":     `{"outcome":"no_answer","text":"rang twice"}`,
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
	return spoilRaw(t, body, path, `"`+bad+`"`)
}

// spoilRaw returns body with the value at path replaced by the raw JSON
// text raw (a value of another type, a number too big for any integer).
func spoilRaw(t *testing.T, body, path, raw string) string {
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
	return strings.Replace(string(b), `"\u0001SPOILED\u0001"`, raw, 1)
}

// signPayload signs a payload as is (a JSON encoder would repair invalid UTF-8).
func signPayload(payload string) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte(header + "." + body))
	return header + "." + body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// snapshot is everything the store holds that a request could change: the
// leads with their timelines, the reference data, the roster, the webhooks,
// and (read by a connection of its own) the users, the students and the
// leads' rows as stored.
func snapshot(t *testing.T, st leads.Store, dump tableDump) string {
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
	for _, table := range []string{"users", "students", "leads"} {
		fmt.Fprintf(&b, "%s:\n%s", table, dump(t, table))
	}
	return b.String()
}

// hostileCase is one request that must be refused, or (status 2xx) one whose
// hostile value must be taken literally, for what check says.
type hostileCase struct {
	name   string
	req    request
	status int
	field  string                // the field the answer must name
	check  func(response) string // what else is wrong with the answer, or ""
}

// formRequest is a staff form's POST, signed in by the bearer token.
func formRequest(path, token, body string) request {
	return request{method: "POST", path: path, token: token, body: body,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
}

// staffForms are the lead page's forms with a valid body each, as field and
// raw (form-encoded) value pairs.
var staffForms = []struct {
	name   string
	fields [][2]string
}{
	{"status", [][2]string{{"status", "CONTACTED"}, {"reason", "called+back"}}},
	{"call", [][2]string{{"outcome", "no_answer"}, {"text", "rang+twice"}}},
	{"note", [][2]string{{"text", "Prefers+a+call+after+5pm"}}},
	{"assign", [][2]string{{"staffId", "staff-1"}}},
	{"convert", [][2]string{{"studentId", "student-1"}}},
}

// formBody encodes fields, with value (raw) in place of field's.
func formBody(fields [][2]string, field, value string) string {
	var parts []string
	for _, f := range fields {
		if f[0] == field {
			f[1] = value
		}
		parts = append(parts, f[0]+"="+f[1])
	}
	return strings.Join(parts, "&")
}

// badQueryValues break the parameters of the lists and the stats by their
// meaning, not their text: wrong types, numbers past any integer, negative
// pages, dates that are not, values no enum has.
var badQueryValues = map[string][]string{
	"page":        {"0", "-1", "abc", "1.5", "1e3", "%20", "9223372036854775807", "99999999999999999999", "-9223372036854775809"},
	"limit":       {"0", "-1", "101", "abc", "1.5", "99999999999999999999"},
	"step":        {"0", "4", "-1", "x", "1.5", "99999999999999999999"},
	"createdFrom": {"2026-13-45", "2026-02-30", "yesterday", "2026-01-01T25:00:00Z", "0000-00-00", "%27+OR+%271%27%3D%271"},
	"createdTo":   {"2026-13-45", "2026-02-30", "tomorrow", "2026-01-01T10:00:00", "1%27--"},
	"overdue":     {"yes", "1", "TRUE", "maybe"},
	"sort":        {"name", "CREATEDAT", "createdAt%3BDROP+TABLE+leads", "-createdAt--", "random()", "createdAt,id"},
	"status":      {"pending", "WON", "%27+OR+%271%27%3D%271", "PENDING%25"},
	"q":           {strings.Repeat("q", 101)},
}

// literalValues are SQL and LIKE metacharacters that a text filter must
// match literally: none of them is in the seeded lead, so each selects
// nothing.
var literalValues = []string{"%25", "_", "%25%25", "web%25", "abuja%25", "%27+OR+%271%27%3D%271", "x%27%29+OR+1%3D1--",
	"%5C", "*", "%5B%5D", "%22%3B+DROP+TABLE+leads%3B--", strings.Repeat("z", 10000)}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			testHostileInput(t, newHostileEnv(t, eng))
		})
	}
}

func testHostileInput(t *testing.T, h *hostileEnv) {
	e := h.env
	lead := h.leadID
	var cases []hostileCase

	// Every path parameter.
	for _, p := range []struct {
		method, pattern, param, token, body string
		form                                bool
	}{
		{"GET", "/leads/{}", "id", h.staff, "", false},
		{"DELETE", "/leads/{}", "id", h.admin, "", false},
		{"PUT", "/leads/{}/status", "id", h.staff, validBodies["status"], false},
		{"PUT", "/leads/{}/convert", "id", h.staff, validBodies["convert"], false},
		{"PUT", "/leads/{}/assign", "id", h.staff, validBodies["assign"], false},
		{"POST", "/leads/{}/notes", "id", h.staff, validBodies["note"], false},
		{"POST", "/leads/{}/calls", "id", h.staff, validBodies["call"], false},
		{"GET", "/leads/user/{}", "userId", h.student, "", false},
		{"PUT", "/roster/{}", "id", h.admin, validBodies["roster"], false},
		{"PUT", "/webhooks/{}", "id", h.admin, validBodies["webhook"], false},
		{"DELETE", "/webhooks/{}", "id", h.admin, "", false},
		{"GET", "/webhooks/{}/deliveries", "id", h.admin, "", false},
		{"PUT", "/users/{}", "id", h.admin, validBodies["user"], false},
		{"PUT", "/locations/{}", "id", h.admin, validBodies["location"], false},
		{"PUT", "/centers/{}", "id", h.admin, validBodies["center"], false},
		{"PUT", "/courses/{}", "id", h.admin, validBodies["course"], false},
		{"PUT", "/students/{}", "id", h.admin, validBodies["student"], false},
		{"GET", "/leads/{}", "id", "", "", false}, // before sign-in, too
		{"GET", "/staff/leads/{}", "id", h.staff, "", false},
		{"POST", "/staff/leads/{}/call", "id", h.staff, formBody(staffForms[1].fields, "", ""), true},
		{"POST", "/staff/leads/{}/note", "id", h.staff, formBody(staffForms[2].fields, "", ""), true},
		{"POST", "/staff/leads/{}/status", "id", h.staff, formBody(staffForms[0].fields, "", ""), true},
		{"POST", "/staff/leads/{}/assign", "id", h.staff, formBody(staffForms[3].fields, "", ""), true},
		{"POST", "/staff/leads/{}/convert", "id", h.staff, formBody(staffForms[4].fields, "", ""), true},
		{"GET", "/demo/mailbox/{}", "id", "", "", false},
	} {
		mk := func(value string) request {
			path := strings.Replace(p.pattern, "{}", value, 1)
			if p.form {
				return formRequest(path, p.token, p.body)
			}
			return request{method: p.method, path: path, token: p.token, body: p.body}
		}
		for _, bad := range badPathValues {
			cases = append(cases, hostileCase{name: p.method + " " + p.pattern + " " + bad, req: mk(bad),
				status: http.StatusBadRequest, field: p.param})
		}
		// An id that is text but names nothing, whatever it holds: 404
		// (or, for the lookups by user, the applicant's own 403).
		if p.form || p.pattern == "/demo/mailbox/{}" || p.pattern == "/staff/leads/{}" {
			for _, odd := range []string{"%27%20OR%20%271%27%3D%271", "%25", "_", strings.Repeat("9", 5000)} {
				cases = append(cases, hostileCase{name: p.method + " " + p.pattern + " " + odd[:min(len(odd), 20)], req: mk(odd),
					status: http.StatusNotFound})
			}
		}
	}

	// Every query parameter, by value, and a bad parameter name.
	listParams := []string{"page", "limit", "status", "centerId", "courseId", "q", "assignedTo", "step", "createdFrom", "createdTo", "overdue", "sort"}
	for _, q := range []struct {
		path, token string
		params      []string
	}{
		{"/leads", h.staff, listParams},
		{"/leads/export.csv", h.staff, listParams},
		{"/leads/stats", h.staff, []string{"createdFrom", "createdTo", "centerId", "courseId"}},
		{"/activities", h.staff, []string{"leadId", "page", "limit"}},
		{"/centers", "", []string{"locationId"}},
		{"/courses", "", []string{"centerId"}},
		{"/staff", h.staff, listParams},
		{"/staff/stats", h.staff, []string{"createdFrom", "createdTo", "centerId", "courseId"}},
		{"/staff/leads/" + lead, h.staff, []string{"page", "done"}},
		{"/unsubscribe", "", []string{"lead", "token"}},
		{"/demo/login", "", []string{"as"}},
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

	// The lists' and the stats' parameters, by meaning: the API and the
	// desk's pages alike.
	for _, path := range []string{"/leads", "/leads/export.csv", "/staff"} {
		for param, values := range badQueryValues {
			for _, bad := range values {
				cases = append(cases, hostileCase{name: "GET " + path + "?" + param + "=" + bad[:min(len(bad), 30)],
					req: request{method: "GET", path: path + "?" + param + "=" + bad, token: h.staff}, status: http.StatusBadRequest, field: param})
			}
		}
	}
	for _, path := range []string{"/leads", "/leads/export.csv", "/staff", "/leads/stats", "/staff/stats"} {
		for _, q := range []struct{ query, field string }{
			{"createdFrom=2026-05-01&createdTo=2026-04-01", "createdTo"},
			{"createdFrom=2026-05-01T00:00:00Z&createdTo=2026-04-30T23:59:59Z", "createdTo"},
		} {
			cases = append(cases, hostileCase{name: "GET " + path + "?" + q.query, req: request{method: "GET", path: path + "?" + q.query, token: h.staff},
				status: http.StatusBadRequest, field: q.field})
		}
	}
	for _, path := range []string{"/leads/stats", "/staff/stats"} {
		for _, param := range []string{"createdFrom", "createdTo"} {
			for _, bad := range badQueryValues[param] {
				cases = append(cases, hostileCase{name: "GET " + path + "?" + param + "=" + bad,
					req: request{method: "GET", path: path + "?" + param + "=" + bad, token: h.staff}, status: http.StatusBadRequest, field: param})
			}
		}
		cases = append(cases, hostileCase{name: "GET " + path + " ten years and more", req: request{method: "GET", path: path + "?createdFrom=1900-01-01", token: h.staff},
			status: http.StatusBadRequest, field: "createdFrom"})
	}
	for _, bad := range []string{"0", "-1", "abc", "1.5", "9223372036854775807", "99999999999999999999", "200002"} {
		cases = append(cases, hostileCase{name: "GET /staff/leads/{id}?page=" + bad, req: request{method: "GET", path: "/staff/leads/" + lead + "?page=" + bad, token: h.staff},
			status: http.StatusBadRequest, field: "page"})
	}

	// Text filters take SQL and LIKE metacharacters literally: they select
	// nothing (the seeded lead holds none of them), on every list.
	noLead := func(res response) string {
		var page struct {
			Total int `json:"total"`
		}
		res.data(t, &page)
		if page.Total != 0 {
			return fmt.Sprintf("selected %d leads", page.Total)
		}
		return ""
	}
	noRow := func(res response) string {
		if n := strings.Count(strings.TrimSpace(string(res.body)), "\n"); n != 0 {
			return fmt.Sprintf("exported %d rows", n)
		}
		return ""
	}
	noLink := func(res response) string {
		if strings.Contains(string(res.body), "/staff/leads/"+lead) {
			return "the page lists the lead"
		}
		return ""
	}
	for _, param := range []string{"q", "centerId", "courseId", "assignedTo"} {
		for _, v := range literalValues {
			if param == "q" && len(v) > 100 {
				continue // refused for its length, above
			}
			for _, l := range []struct {
				path  string
				check func(response) string
			}{{"/leads", noLead}, {"/leads/export.csv", noRow}, {"/staff", noLink}} {
				cases = append(cases, hostileCase{name: "GET " + l.path + "?" + param + "=" + v[:min(len(v), 30)],
					req: request{method: "GET", path: l.path + "?" + param + "=" + v, token: h.staff}, status: http.StatusOK, check: l.check})
			}
		}
	}
	for _, param := range []string{"centerId", "courseId"} {
		for _, v := range literalValues {
			cases = append(cases,
				hostileCase{name: "GET /leads/stats?" + param + "=" + v[:min(len(v), 30)],
					req: request{method: "GET", path: "/leads/stats?" + param + "=" + v, token: h.staff}, status: http.StatusOK, check: noLead},
				hostileCase{name: "GET /staff/stats?" + param + "=" + v[:min(len(v), 30)],
					req: request{method: "GET", path: "/staff/stats?" + param + "=" + v, token: h.staff}, status: http.StatusOK})
		}
	}
	// The lead page's done= picks a message; anything else says nothing
	// and is not echoed.
	for _, v := range []string{"%3Cscript%3Ealert(1)%3C%2Fscript%3E", "status%27--", strings.Repeat("d", 5000)} {
		raw, _ := url.QueryUnescape(v)
		cases = append(cases, hostileCase{name: "GET /staff/leads/{id}?done=" + v[:min(len(v), 30)],
			req: request{method: "GET", path: "/staff/leads/" + lead + "?done=" + v, token: h.staff}, status: http.StatusOK,
			check: func(res response) string {
				if strings.Contains(string(res.body), raw) || strings.Contains(string(res.body), `role="status"`) && strings.Contains(string(res.body), "was changed") {
					return "the page echoes done"
				}
				return ""
			}})
	}
	// The demo's sign-in knows its accounts only: no cookie for anything else.
	noCookie := func(res response) string {
		if c := res.header.Get("Set-Cookie"); c != "" {
			return "set a cookie: " + c
		}
		return ""
	}
	for _, as := range []string{"admin", "ADMIN", "superuser", "staff%27--", "student%20", "", strings.Repeat("a", 5000)} {
		cases = append(cases, hostileCase{name: "GET /demo/login?as=" + as[:min(len(as), 20)],
			req: request{method: "GET", path: "/demo/login?as=" + as}, status: http.StatusBadRequest, check: noCookie})
	}
	for _, bad := range badPathValues {
		cases = append(cases, hostileCase{name: "GET /demo/login?as=" + bad + " no cookie",
			req: request{method: "GET", path: "/demo/login?as=" + bad}, status: http.StatusBadRequest, field: "as", check: noCookie})
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
		mk := func(body string) request {
			r := request{method: b.method, path: b.path, body: body}
			if b.cookie {
				r.cookie = b.token
			} else {
				r.token = b.token
			}
			return r
		}
		for _, field := range stringFields(t, validBodies[b.kind]) {
			for _, bad := range badJSONStrings {
				cases = append(cases, hostileCase{name: fmt.Sprintf("%s %s %s=%q", b.method, b.path, field, bad), req: mk(spoil(t, validBodies[b.kind], field, bad)),
					status: http.StatusBadRequest, field: field})
			}
			// The wrong type, and a string far too long.
			for _, raw := range []string{"123", "true", `["x"]`, `{"a":"b"}`, `"` + strings.Repeat("x", 10000) + `"`} {
				if field == "url" || strings.HasPrefix(field, "events") || strings.HasPrefix(field, "centerIds") {
					continue // their own rows below the table would repeat these
				}
				cases = append(cases, hostileCase{name: fmt.Sprintf("%s %s %s=%.20s", b.method, b.path, field, raw), req: mk(spoilRaw(t, validBodies[b.kind], field, raw)),
					status: http.StatusBadRequest, field: field})
			}
		}
		// A key that breaks the rule is named by where it is, not echoed.
		cases = append(cases, hostileCase{name: b.method + " " + b.path + " bad key", req: mk(strings.Replace(validBodies[b.kind], `{"`, `{"a\u0000":1,"`, 1)),
			status: http.StatusBadRequest, field: "body"})
	}
	// The save payload's numbers and booleans.
	for _, s := range []struct{ field, raw string }{
		{"step", `"two"`}, {"step", "0"}, {"step", "4"}, {"step", "-1"}, {"step", "1.5"}, {"step", "99999999999999999999"}, {"step", "1e400"},
		{"profile.hasGuardian", `"yes"`}, {"profile.hasGuardian", "1"},
		{"profile", `"x"`}, {"profile", "[]"}, {"selectedCourse", "42"},
	} {
		for _, path := range []string{"/leads/save-from-onboarding", "/api/onboarding/save-lead"} {
			r := request{method: "POST", path: path, body: spoilRaw(t, validBodies["save"], s.field, s.raw)}
			if path == "/leads/save-from-onboarding" {
				r.token = h.student
			} else {
				r.cookie = h.student
			}
			cases = append(cases, hostileCase{name: "POST " + path + " " + s.field + "=" + s.raw, req: r, status: http.StatusBadRequest, field: s.field})
		}
	}

	// Every field of every staff form: the rule for text, then each
	// field's own rule (unknown enum values, lengths, ids that name
	// nothing, whatever they hold).
	for _, f := range staffForms {
		path := "/staff/leads/" + lead + "/" + f.name
		for _, field := range f.fields {
			for _, bad := range badPathValues {
				cases = append(cases, hostileCase{name: "POST " + path + " " + field[0] + "=" + bad,
					req: formRequest(path, h.staff, formBody(f.fields, field[0], bad)), status: http.StatusBadRequest, field: field[0]})
			}
		}
		cases = append(cases, hostileCase{name: "POST " + path + " bad key", req: formRequest(path, h.staff, "%00=1&"+formBody(f.fields, "", "")),
			status: http.StatusBadRequest, field: "body"})
		// A JSON body is not the form: its fields are missing.
		r := formRequest(path, h.staff, validBodies[f.name])
		r.header["Content-Type"] = "application/json"
		cases = append(cases, hostileCase{name: "POST " + path + " as JSON", req: r, status: http.StatusBadRequest, field: f.fields[0][0]})
	}
	for _, s := range []struct{ form, field, value string }{
		{"status", "status", "BOGUS"}, {"status", "status", "contacted"}, {"status", "status", "CONVERTED"}, {"status", "status", ""},
		{"status", "status", "LOST%27--"}, {"status", "reason", strings.Repeat("r", 501)},
		{"call", "outcome", "BOGUS"}, {"call", "outcome", "NO_ANSWER"}, {"call", "outcome", ""}, {"call", "outcome", "reached%25"},
		{"call", "text", strings.Repeat("t", 5001)},
		{"note", "text", ""}, {"note", "text", strings.Repeat("n", 5001)},
		{"assign", "staffId", "nobody"}, {"assign", "staffId", "staff-1%27+OR+%271%27%3D%271"}, {"assign", "staffId", "staff%25"},
		{"assign", "staffId", "staff_1"}, {"assign", "staffId", strings.Repeat("s", 256)},
		{"convert", "studentId", "nobody"}, {"convert", "studentId", ""}, {"convert", "studentId", "student-1%27--"},
		{"convert", "studentId", "student%25"}, {"convert", "studentId", "student_1"}, {"convert", "studentId", strings.Repeat("s", 256)},
	} {
		for _, f := range staffForms {
			if f.name != s.form {
				continue
			}
			path := "/staff/leads/" + lead + "/" + f.name
			cases = append(cases, hostileCase{name: "POST " + path + " " + s.field + "=" + s.value[:min(len(s.value), 30)],
				req: formRequest(path, h.staff, formBody(f.fields, s.field, s.value)), status: http.StatusBadRequest, field: s.field})
		}
	}

	// The unsubscribe link: a token that does not sign the lead, a lead
	// the token is not for, and a body that breaks the rule for text.
	link := "/unsubscribe?" + url.Values{"lead": {lead}, "token": {h.unsubscribe}}.Encode()
	for _, q := range []string{
		url.Values{"lead": {lead}, "token": {"x"}}.Encode(),
		url.Values{"lead": {lead}, "token": {h.unsubscribe + "x"}}.Encode(),
		url.Values{"lead": {lead + "' OR '1'='1"}, "token": {h.unsubscribe}}.Encode(),
		url.Values{"lead": {"%"}, "token": {h.unsubscribe}}.Encode(),
		url.Values{"lead": {strings.Repeat("l", 5000)}, "token": {h.unsubscribe}}.Encode(),
		url.Values{"token": {h.unsubscribe}}.Encode(),
		url.Values{"lead": {lead}}.Encode(),
	} {
		for _, method := range []string{"GET", "POST"} {
			r := request{method: method, path: "/unsubscribe?" + q}
			if method == "POST" {
				r = formRequest(r.path, "", "List-Unsubscribe=One-Click")
			}
			cases = append(cases, hostileCase{name: method + " /unsubscribe?" + q[:min(len(q), 40)], req: r, status: http.StatusBadRequest})
		}
	}
	for _, bad := range badPathValues {
		cases = append(cases, hostileCase{name: "POST /unsubscribe List-Unsubscribe=" + bad, req: formRequest(link, "", "List-Unsubscribe="+bad),
			status: http.StatusBadRequest, field: "List-Unsubscribe"})
	}
	cases = append(cases, hostileCase{name: "POST /unsubscribe bad key", req: formRequest(link, "", "%00=1&List-Unsubscribe=One-Click"),
		status: http.StatusBadRequest, field: "body"})

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

	before := snapshot(t, e.store, h.dump)
	_, logged := h.errors.since(0)
	for _, c := range cases {
		res := e.do(c.req)
		var lines []string
		if lines, logged = h.errors.since(logged); len(lines) > 0 {
			t.Errorf("%s: logged at ERROR: %s", c.name, strings.Join(lines, "; "))
		}
		if res.status != c.status {
			t.Errorf("%s: status %d, want %d: %.300s", c.name, res.status, c.status, res.body)
			continue
		}
		if c.field != "" && !namesField(res, c.field) {
			t.Errorf("%s: the answer does not name %s: %.300s", c.name, c.field, res.body)
		}
		if html := strings.HasPrefix(res.header.Get("Content-Type"), "text/html"); pagePath(strings.SplitN(c.req.path, "?", 2)[0]) != html &&
			res.status >= 400 {
			t.Errorf("%s: answered %q: a page's error is a page, the API's is JSON", c.name, res.header.Get("Content-Type"))
		}
		if c.check != nil {
			if problem := c.check(res); problem != "" {
				t.Errorf("%s: %s", c.name, problem)
			}
		}
	}
	if after := snapshot(t, e.store, h.dump); after != before {
		t.Errorf("hostile requests changed stored data:\nbefore %s\nafter  %s", before, after)
	}
	if _, err := e.store.LeadByUser(context.Background(), "stu-hostile"); err == nil {
		t.Error("a token with hostile claims saved a lead")
	}
	t.Logf("%d hostile requests answered", len(cases))
}

// namesField reports whether an answer names the field: in the error
// shape's fields for the API, in words on a page (" — field must be…" in a
// message or a form's error, "field: …" in a filter's list of errors).
func namesField(res response, field string) bool {
	body := string(res.body)
	if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
		return strings.Contains(body, fmt.Sprintf(`"field":%q`, field))
	}
	return strings.Contains(body, " — "+field+" ") || strings.Contains(body, "<li>"+field+": ")
}
