package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// seedRoster puts two active staff at abuja-center (a-ada, b-bola) and an
// inactive one (z-gone).
func (e *env) seedRoster(t *testing.T) {
	t.Helper()
	admin := e.token("admin-1", auth.RoleAdmin)
	for _, body := range []struct{ id, json string }{
		{"a-ada", `{"fullName":"Ada Staff","email":"ada@example.com","centerIds":["abuja-center"]}`},
		{"b-bola", `{"fullName":"Bola Staff","email":"bola@example.com","centerIds":["abuja-center","lagos-center"],"active":true}`},
		{"z-gone", `{"fullName":"Gone Staff","email":"gone@example.com","centerIds":["abuja-center"],"active":false}`},
	} {
		e.run(t, scenario{name: "roster " + body.id, req: request{method: "PUT", path: "/roster/" + body.id, token: admin, body: body.json},
			status: http.StatusCreated})
	}
}

func TestRoster(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		admin, staff, student := e.token("admin-1", auth.RoleAdmin), e.token("staff-1", auth.RoleStaff), e.token("stu-1", auth.RoleStudent)
		e.runAll(t, []scenario{
			{name: "create", req: request{method: "PUT", path: "/roster/s1", token: admin,
				body: `{"fullName":"Ada Staff","email":"ada@example.com","centerIds":["abuja-center"]}`},
				status: http.StatusCreated, want: []string{`"id":"s1"`, `"centerIds":["abuja-center"]`, `"active":true`}},
			{name: "replace", req: request{method: "PUT", path: "/roster/s1", token: admin,
				body: `{"fullName":"Ada O.","email":"ada@example.com","active":false}`},
				status: http.StatusOK, want: []string{`"fullName":"Ada O."`, `"centerIds":[]`, `"active":false}`}},
			{name: "unknown centre", req: request{method: "PUT", path: "/roster/s2", token: admin,
				body: `{"fullName":"Bola","email":"b@example.com","centerIds":["abuja-center","atlantis"]}`},
				status: http.StatusBadRequest, want: []string{`"field":"centerIds[1]"`}, deny: []string{`centerIds[0]`}},
			{name: "missing name and e-mail", req: request{method: "PUT", path: "/roster/s2", token: admin, body: `{}`},
				status: http.StatusBadRequest, want: []string{`"field":"fullName"`, `"field":"email"`}},
			{name: "bad e-mail and types", req: request{method: "PUT", path: "/roster/s2", token: admin,
				body: `{"fullName":"B","email":"nope","centerIds":"abuja-center","active":"yes"}`},
				status: http.StatusBadRequest, want: []string{`"field":"email"`, `"field":"centerIds"`, `"field":"active"`}},
			{name: "staff may not write", req: request{method: "PUT", path: "/roster/s2", token: staff,
				body: `{"fullName":"B","email":"b@example.com"}`}, status: http.StatusForbidden},
			{name: "staff read it", req: request{method: "GET", path: "/roster", token: staff}, status: http.StatusOK,
				want: []string{`"data":[{"id":"s1","fullName":"Ada O.","email":"ada@example.com","centerIds":[],"active":false}]`}},
			{name: "students may not", req: request{method: "GET", path: "/roster", token: student}, status: http.StatusForbidden},
		})
	})
}

func TestAssignment(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		e.seedRoster(t)
		staff := e.token("staff-1", auth.RoleStaff)
		// Round robin at abuja-center, in id order; the inactive never.
		var got []string
		for _, u := range []string{"r1", "r2", "r3"} {
			l := e.saveAs(t, u, `{"selectedCenter":{"id":"abuja-center"}}`)
			got = append(got, *l.AssignedTo)
		}
		if !slices.Equal(got, []string{"a-ada", "b-bola", "a-ada"}) {
			t.Errorf("round robin gave %v", got)
		}
		l := e.saveAs(t, "r4", `{"step":1}`) // no centre: no one
		path := "/leads/" + l.ID + "/assign"
		e.runAll(t, []scenario{
			{name: "assign", req: request{method: "PUT", path: path, token: staff, body: `{"staffId":"b-bola"}`},
				status: http.StatusOK, want: []string{`"assignedTo":"b-bola"`, `"assignedAt":"`}},
			{name: "unassign", req: request{method: "PUT", path: path, token: staff, body: `{"staffId":null}`},
				status: http.StatusOK, want: []string{`"assignedTo":null`, `"assignedAt":null`}},
			{name: "inactive", req: request{method: "PUT", path: path, token: staff, body: `{"staffId":"z-gone"}`},
				status: http.StatusBadRequest, want: []string{`"field":"staffId"`}},
			{name: "unknown", req: request{method: "PUT", path: path, token: staff, body: `{"staffId":"nobody"}`},
				status: http.StatusBadRequest, want: []string{`"field":"staffId"`}},
			{name: "missing", req: request{method: "PUT", path: path, token: staff, body: `{}`},
				status: http.StatusBadRequest, want: []string{`"field":"staffId"`}},
			{name: "wrong type", req: request{method: "PUT", path: path, token: staff, body: `{"staffId":7}`},
				status: http.StatusBadRequest, want: []string{`"field":"staffId"`}},
			{name: "no such lead", req: request{method: "PUT", path: "/leads/nope/assign", token: staff, body: `{"staffId":"a-ada"}`},
				status: http.StatusNotFound},
			{name: "students may not", req: request{method: "PUT", path: path, token: e.token("r4", auth.RoleStudent), body: `{"staffId":"a-ada"}`},
				status: http.StatusForbidden},
		})
		// The manual "no one" holds when the lead gets its first centre.
		if l := e.saveAs(t, "r4", `{"selectedCenter":{"id":"abuja-center"}}`); l.AssignedTo != nil {
			t.Errorf("a manual unassignment was overridden: %s", *l.AssignedTo)
		}
	})
}

func TestTimelineNotesCalls(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		e.seedRoster(t)
		staff := e.token("b-bola", auth.RoleStaff)
		l := e.saveAs(t, "stu-1", `{"selectedCenter":{"id":"abuja-center"},"step":1}`)
		id := l.ID
		e.runAll(t, []scenario{
			{name: "note", req: request{method: "POST", path: "/leads/" + id + "/notes", token: staff, body: `{"text":"Call after 5pm"}`},
				status: http.StatusCreated, want: []string{`"type":"note.added"`, `"actor":"b-bola"`, `"data":{"text":"Call after 5pm"}`, `"leadId":"` + id + `"`}},
			{name: "the lead's notes", req: request{method: "GET", path: "/leads/" + id, token: staff},
				status: http.StatusOK, want: []string{`"notes":"Call after 5pm"`}},
			{name: "empty note", req: request{method: "POST", path: "/leads/" + id + "/notes", token: staff, body: `{"text":"  "}`},
				status: http.StatusBadRequest, want: []string{`"field":"text"`}},
			{name: "long note", req: request{method: "POST", path: "/leads/" + id + "/notes", token: staff, body: `{"text":"` + strings.Repeat("x", 5001) + `"}`},
				status: http.StatusBadRequest, want: []string{`"field":"text"`}},
			{name: "note on no lead", req: request{method: "POST", path: "/leads/nope/notes", token: staff, body: `{"text":"x"}`},
				status: http.StatusNotFound},
			{name: "unanswered call", req: request{method: "POST", path: "/leads/" + id + "/calls", token: staff, body: `{"outcome":"no_answer"}`},
				status: http.StatusCreated, want: []string{`"type":"call.logged"`, `"data":{"outcome":"no_answer"}`}},
			{name: "still pending", req: request{method: "GET", path: "/leads/" + id, token: staff},
				status: http.StatusOK, want: []string{`"status":"PENDING"`, `"contactedAt":null`}},
			{name: "reached", req: request{method: "POST", path: "/leads/" + id + "/calls", token: staff, body: `{"outcome":"reached","text":"Keen"}`},
				status: http.StatusCreated, want: []string{`"data":{"outcome":"reached","text":"Keen"}`}},
			{name: "first contact", req: request{method: "GET", path: "/leads/" + id, token: staff},
				status: http.StatusOK, want: []string{`"status":"CONTACTED"`, `"contactedBy":"b-bola"`}},
			{name: "bad outcome", req: request{method: "POST", path: "/leads/" + id + "/calls", token: staff, body: `{"outcome":"maybe"}`},
				status: http.StatusBadRequest, want: []string{`"field":"outcome"`}},
			{name: "lost, with a reason", req: request{method: "PUT", path: "/leads/" + id + "/status", token: staff, body: `{"status":"LOST","reason":"Moved to Kano"}`},
				status: http.StatusOK, want: []string{`"status":"LOST"`}},
			{name: "reason too long", req: request{method: "PUT", path: "/leads/" + id + "/status", token: staff,
				body: `{"status":"LOST","reason":"` + strings.Repeat("r", 501) + `"}`}, status: http.StatusBadRequest, want: []string{`"field":"reason"`}},
			{name: "timeline, newest first", req: request{method: "GET", path: "/activities?leadId=" + id, token: staff},
				status: http.StatusOK, want: []string{`"total":7`, `"limit":50`,
					`{"from":"CONTACTED","to":"LOST","reason":"Moved to Kano"}`, `"type":"lead.created"`, `"how":"auto"`}},
			{name: "a page of two", req: request{method: "GET", path: "/activities?leadId=" + id + "&page=2&limit=2", token: staff},
				status: http.StatusOK, want: []string{`"total":7`, `"page":2`, `"limit":2`}},
			{name: "no lead id", req: request{method: "GET", path: "/activities", token: staff},
				status: http.StatusBadRequest, want: []string{`"field":"leadId"`}},
			{name: "bad limit", req: request{method: "GET", path: "/activities?leadId=" + id + "&limit=101", token: staff},
				status: http.StatusBadRequest, want: []string{`"field":"limit"`}},
			{name: "no such lead", req: request{method: "GET", path: "/activities?leadId=nope", token: staff},
				status: http.StatusNotFound},
			{name: "students may not", req: request{method: "GET", path: "/activities?leadId=" + id, token: e.token("stu-1", auth.RoleStudent)},
				status: http.StatusForbidden},
		})
		res := e.do(request{method: "GET", path: "/activities?leadId=" + id, token: staff})
		var page leads.ActivityPage
		res.data(t, &page)
		var types []string
		for _, a := range page.Activities {
			types = append(types, a.Type)
		}
		want := []string{"status.changed", "status.changed", "call.logged", "call.logged", "note.added", "lead.assigned", "lead.created"}
		if !slices.Equal(types, want) {
			t.Errorf("timeline %v, want %v", types, want)
		}
		// Erasure takes the timeline.
		e.run(t, scenario{name: "erase", req: request{method: "DELETE", path: "/leads/" + id, token: e.token("admin-1", auth.RoleAdmin)}, status: http.StatusOK})
		e.run(t, scenario{name: "timeline gone", req: request{method: "GET", path: "/activities?leadId=" + id, token: staff}, status: http.StatusNotFound})
	})
}

func TestListFiltersHTTP(t *testing.T) {
	t.Parallel()
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			// Leads are overdue after 30 minutes; the clock moves on an hour
			// after the saves.
			clock := time.Now()
			e := newEnvWith(t, Config{Store: eng.open(t), ContactWithin: 30 * time.Minute,
				Now: func() time.Time { return clock }})
			e.seed(context.Background())
			e.seedRoster(t)
			staff := e.token("staff-1", auth.RoleStaff)
			e.saveAs(t, "p1", `{"selectedCenter":{"id":"abuja-center"},"selectedCourse":{"id":"web-dev"},"step":2}`)
			e.saveAs(t, "p2", `{"selectedCenter":{"id":"lagos-center"},"step":1}`)
			e.saveAs(t, "p_3", `{"step":3}`)
			clock = clock.Add(time.Hour)
			e.runAll(t, []scenario{
				{name: "q, case-insensitive", req: request{method: "GET", path: "/leads?q=NAME%20P", token: staff},
					status: http.StatusOK, want: []string{`"total":3`}},
				{name: "q is literal", req: request{method: "GET", path: "/leads?q=p_", token: staff},
					status: http.StatusOK, want: []string{`"total":1`, `"userId":"p_3"`}},
				{name: "q on e-mail", req: request{method: "GET", path: "/leads?q=p2%40example", token: staff},
					status: http.StatusOK, want: []string{`"total":1`, `"userId":"p2"`}},
				{name: "assigned to a staff member", req: request{method: "GET", path: "/leads?assignedTo=b-bola", token: staff},
					status: http.StatusOK, want: []string{`"total":1`, `"userId":"p2"`}},
				{name: "assigned to no one", req: request{method: "GET", path: "/leads?assignedTo=none", token: staff},
					status: http.StatusOK, want: []string{`"total":1`, `"userId":"p_3"`}},
				{name: "course and step", req: request{method: "GET", path: "/leads?courseId=web-dev&step=2", token: staff},
					status: http.StatusOK, want: []string{`"total":1`, `"userId":"p1"`}},
				{name: "overdue", req: request{method: "GET", path: "/leads?overdue=true&sort=createdAt", token: staff},
					status: http.StatusOK, want: []string{`"total":3`}},
				{name: "created today", req: request{method: "GET", path: "/leads?createdFrom=" + time.Now().UTC().Format("2006-01-02"), token: staff},
					status: http.StatusOK, want: []string{`"total":3`}},
				{name: "created before 2000", req: request{method: "GET", path: "/leads?createdTo=1999-12-31", token: staff},
					status: http.StatusOK, want: []string{`"total":0`, `"leads":[]`}},
				{name: "unknown course", req: request{method: "GET", path: "/leads?courseId=nope", token: staff},
					status: http.StatusOK, want: []string{`"total":0`}},
				{name: "every bad value named", req: request{method: "GET",
					path: "/leads?step=9&sort=name&overdue=maybe&createdFrom=soon&q=" + strings.Repeat("q", 101), token: staff},
					status: http.StatusBadRequest, want: []string{`"field":"step"`, `"field":"sort"`, `"field":"overdue"`, `"field":"createdFrom"`, `"field":"q"`}},
				{name: "too deep", req: request{method: "GET", path: "/leads?page=9223372036854775807", token: staff},
					status: http.StatusBadRequest, want: []string{`"field":"page"`}},
			})
		})
	}
}

func TestExportCSV(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		staff := e.token("staff-1", auth.RoleStaff)
		ctx := context.Background()
		if _, err := e.store.PutUser(ctx, leads.User{ID: "evil", FullName: "=HYPERLINK(\"http://x\")", Email: "@evil@example.com",
			Phone: ptr("+2348000000009")}, time.Now()); err != nil {
			t.Fatal(err)
		}
		e.saveAs(t, "evil-2", `{"step":1}`)
		l := e.do(request{method: "POST", path: savePath, token: e.token("evil", auth.RoleStudent),
			body: `{"profile":{"studentAddress":"-1+2, \"quoted\"\nnext line"},"step":2}`})
		var evil leads.Lead
		l.data(t, &evil)

		res := e.do(request{method: "GET", path: "/leads/export.csv?sort=createdAt", token: staff})
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", res.status, res.header)
		}
		rows, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
		if err != nil {
			t.Fatalf("not RFC 4180 CSV: %v\n%s", err, res.body)
		}
		if len(rows) != 3 || !slices.Equal(rows[0], leads.LeadFieldNames) {
			t.Fatalf("want a header and two rows, got %d rows: %v", len(rows), rows)
		}
		// Each cell is the lead's JSON value (null as empty), formulas defused.
		raw, _ := json.Marshal(evil)
		var m map[string]any
		json.Unmarshal(raw, &m)
		row := rows[2]
		for i, name := range leads.LeadFieldNames {
			want := ""
			switch v := m[name].(type) {
			case string:
				want = v
			case float64:
				want = strconv.FormatFloat(v, 'f', -1, 64)
			case bool:
				want = map[bool]string{true: "true", false: "false"}[v]
			}
			if want != "" && strings.ContainsRune("=+-@", rune(want[0])) {
				want = "'" + want
			}
			if row[i] != want {
				t.Errorf("%s = %q, want %q", name, row[i], want)
			}
		}
		if row[2] != `'=HYPERLINK("http://x")` || row[9] != "'-1+2, \"quoted\"\nnext line" || row[4] != "'+2348000000009" {
			t.Errorf("formula cells not defused: %q", row)
		}
		e.runAll(t, []scenario{
			{name: "a bad filter is a JSON 400", req: request{method: "GET", path: "/leads/export.csv?step=7", token: staff},
				status: http.StatusBadRequest, want: []string{`"field":"step"`}},
			{name: "students may not", req: request{method: "GET", path: "/leads/export.csv", token: e.token("evil", auth.RoleStudent)},
				status: http.StatusForbidden},
		})
		res = e.do(request{method: "GET", path: "/leads/export.csv?step=2", token: staff})
		if rows, _ := csv.NewReader(strings.NewReader(string(res.body))).ReadAll(); len(rows) != 2 || rows[1][1] != "evil" {
			t.Errorf("step=2 export: %v", rows)
		}
	})
}

func TestStatsHTTP(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		staff := e.token("staff-1", auth.RoleStaff)
		l := e.saveAs(t, "s1", `{"selectedCenter":{"id":"abuja-center"},"step":2}`)
		e.saveAs(t, "s2", `{"selectedCenter":{"id":"lagos-center"},"step":1}`)
		e.run(t, scenario{name: "reached", req: request{method: "POST", path: "/leads/" + l.ID + "/calls", token: staff, body: `{"outcome":"reached"}`},
			status: http.StatusCreated})
		week := leads.ISOWeek(time.Now())
		e.runAll(t, []scenario{
			{name: "everything", req: request{method: "GET", path: "/leads/stats", token: staff}, status: http.StatusOK,
				want: []string{`"total":2`, `"byStatus":{"CONTACTED":1,"CONVERTED":0,"LOST":0,"PENDING":1}`,
					`"reachedStep":{"1":2,"2":1,"3":0}`, `"conversionRate":0`, `"firstContact":{"count":1,"medianSeconds":`,
					`"overdue":0`, `"weeks":[{"week":"` + week + `","created":2,"contacted":1,"converted":0}]`}},
			{name: "a centre", req: request{method: "GET", path: "/leads/stats?centerId=lagos-center", token: staff}, status: http.StatusOK,
				want: []string{`"total":1`, `"firstContact":{"count":0,"medianSeconds":null,"p90Seconds":null}`}},
			{name: "an unknown course", req: request{method: "GET", path: "/leads/stats?courseId=nope", token: staff}, status: http.StatusOK,
				want: []string{`"total":0`}},
			{name: "an empty range", req: request{method: "GET", path: "/leads/stats?createdFrom=2020-01-01&createdTo=2020-01-14", token: staff},
				status: http.StatusOK, want: []string{`"total":0`, `"week":"2020-W01"`, `"week":"2020-W03"`}, deny: []string{`"week":"2020-W04"`}},
			{name: "over 520 weeks", req: request{method: "GET", path: "/leads/stats?createdFrom=2000-01-01&createdTo=2020-01-01", token: staff},
				status: http.StatusBadRequest, want: []string{`"field":"createdFrom"`}},
			{name: "bad dates", req: request{method: "GET", path: "/leads/stats?createdFrom=soon&createdTo=later", token: staff},
				status: http.StatusBadRequest, want: []string{`"field":"createdFrom"`, `"field":"createdTo"`}},
			{name: "students may not", req: request{method: "GET", path: "/leads/stats", token: e.token("s1", auth.RoleStudent)},
				status: http.StatusForbidden},
		})
	})
}
