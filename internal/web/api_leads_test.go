package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// saveAs saves a lead for sub (provisioned from the token) and returns it.
func (e *env) saveAs(t *testing.T, sub, body string) leads.Lead {
	t.Helper()
	res := e.do(request{method: "POST", path: savePath, token: e.token(sub, auth.RoleStudent, "Name "+sub, sub+"@example.com"), body: body})
	if res.status != http.StatusCreated && res.status != http.StatusOK {
		t.Fatalf("save for %s: %d %s", sub, res.status, res.body)
	}
	var l leads.Lead
	res.data(t, &l)
	return l
}

func TestReadLeads(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		staff := e.token("staff-1", auth.RoleStaff)
		stu1, stu2 := e.token("stu-1", auth.RoleStudent), e.token("stu-2", auth.RoleStudent)
		e.runAll(t, []scenario{
			{name: "me before any save", req: request{method: "GET", path: "/leads/me", token: stu1}, status: http.StatusOK, want: []string{`{"success":true,"data":null}`}},
			{name: "by user before any save", req: request{method: "GET", path: "/leads/user/stu-1", token: staff}, status: http.StatusOK, want: []string{`"data":null`}},
		})
		l := e.saveAs(t, "stu-1", `{"selectedCenter":{"id":"abuja-center"},"step":1}`)
		e.runAll(t, []scenario{
			{name: "me after a save", req: request{method: "GET", path: "/leads/me", token: stu1}, status: http.StatusOK, want: []string{`"id":"` + l.ID + `"`}},
			{name: "own lead by user id", req: request{method: "GET", path: "/leads/user/stu-1", token: stu1}, status: http.StatusOK, want: []string{`"id":"` + l.ID + `"`}},
			{name: "another user's lead", req: request{method: "GET", path: "/leads/user/stu-1", token: stu2}, status: http.StatusForbidden},
			{name: "own, none yet", req: request{method: "GET", path: "/leads/user/stu-2", token: stu2}, status: http.StatusOK, want: []string{`"data":null`}},
			{name: "staff by user id", req: request{method: "GET", path: "/leads/user/stu-1", token: staff}, status: http.StatusOK, want: []string{`"userId":"stu-1"`}},
			{name: "staff by id", req: request{method: "GET", path: "/leads/" + l.ID, token: staff}, status: http.StatusOK, want: []string{`"centerName":"Abuja Center"`}},
			{name: "unknown id", req: request{method: "GET", path: "/leads/00000000-0000-0000-0000-000000000000", token: staff}, status: http.StatusNotFound,
				want: []string{`"message":"Lead not found"`}},
			{name: "an id that is not a UUID", req: request{method: "GET", path: "/leads/not-a-uuid", token: staff}, status: http.StatusNotFound},
		})
	})
}

func TestListLeads(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		staff := e.token("staff-1", auth.RoleStaff)
		var ids []string // in creation order
		for i := range 5 {
			centre := "abuja-center"
			if i%2 == 1 {
				centre = "lagos-center"
			}
			ids = append(ids, e.saveAs(t, fmt.Sprintf("list-%d", i), `{"selectedCenter":{"id":"`+centre+`"}}`).ID)
		}
		e.run(t, scenario{name: "contact one", req: request{method: "PUT", path: "/leads/" + ids[2] + "/status", token: staff, body: `{"status":"CONTACTED"}`}, status: http.StatusOK})
		list := func(query string) leads.LeadPage {
			t.Helper()
			res := e.do(request{method: "GET", path: "/leads" + query, token: staff})
			if res.status != http.StatusOK {
				t.Fatalf("GET /leads%s: %d %s", query, res.status, res.body)
			}
			var p leads.LeadPage
			res.data(t, &p)
			return p
		}
		idsOf := func(p leads.LeadPage) []string {
			var out []string
			for _, l := range p.Leads {
				out = append(out, l.ID)
			}
			return out
		}
		tests := []struct {
			query              string
			total, page, limit int
			want               []string
		}{
			{"", 5, 1, 10, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"?page=1&limit=2", 5, 1, 2, []string{ids[4], ids[3]}},
			{"?page=3&limit=2", 5, 3, 2, []string{ids[0]}},
			{"?page=4&limit=2", 5, 4, 2, nil},
			{"?status=CONTACTED", 1, 1, 10, []string{ids[2]}},
			{"?status=PENDING&limit=100", 4, 1, 100, []string{ids[4], ids[3], ids[1], ids[0]}},
			{"?centerId=lagos-center", 2, 1, 10, []string{ids[3], ids[1]}},
			{"?centerId=abuja-center&status=CONTACTED", 1, 1, 10, []string{ids[2]}},
			{"?status=LOST", 0, 1, 10, nil},
			// A keyset cursor in place of page (page 0 here: null).
			{"?after=" + ids[3] + "&limit=2", 5, 0, 2, []string{ids[2], ids[1]}},
			{"?after=" + ids[0], 5, 0, 10, nil},
			{"?status=PENDING&after=" + ids[3], 4, 0, 10, []string{ids[1], ids[0]}},
			{"?status=PENDING&after=" + ids[2], 4, 0, 10, []string{ids[1], ids[0]}}, // after a lead the filter does not select
			{"?sort=createdAt&limit=2&after=" + ids[1], 5, 0, 2, []string{ids[2], ids[3]}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				p := list(tt.query)
				got := idsOf(p)
				page := 0
				if p.Page != nil {
					page = *p.Page
				}
				if p.Total != tt.total || page != tt.page || (p.Page == nil) != (tt.page == 0) || p.Limit != tt.limit || fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("got total %d page %v limit %d %v; want %d %d %d %v", p.Total, p.Page, p.Limit, got, tt.total, tt.page, tt.limit, tt.want)
				}
			})
		}
		e.run(t, scenario{name: "a page after a cursor has no number", req: request{method: "GET", path: "/leads?limit=1&after=" + ids[4], token: staff}, status: http.StatusOK,
			want: []string{`"page":null`, `"total":5`, `"id":"` + ids[3] + `"`}})
		for _, q := range []string{"after=" + ids[1] + "&page=2", "after=" + ids[1] + "&page=1", "after=no-such-lead", "after=" + strings.Repeat("a", 65)} {
			e.run(t, scenario{name: q, req: request{method: "GET", path: "/leads?" + q, token: staff}, status: http.StatusBadRequest,
				want: []string{`"statusCode":400`, `"errors":[{"field":"after"`}})
		}
		e.run(t, scenario{name: "an empty page is []", req: request{method: "GET", path: "/leads?status=LOST", token: staff}, status: http.StatusOK,
			want: []string{`"leads":[]`, `"total":0`}})
		for _, q := range []string{"page=0", "page=-1", "page=x", "limit=0", "limit=101", "limit=x", "status=WON", "status=pending"} {
			e.run(t, scenario{name: q, req: request{method: "GET", path: "/leads?" + q, token: staff}, status: http.StatusBadRequest,
				want: []string{`"statusCode":400`, `"errors":[{"field":`}})
		}
	})
}

func TestStatusChanges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		staff, staff2 := e.token("staff-1", auth.RoleStaff), e.token("staff-2", auth.RoleStaff)
		l := e.saveAs(t, "stu-1", `{"step":1}`)
		path := "/leads/" + l.ID + "/status"
		put := func(name, tok, body string, status int, want ...string) scenario {
			return scenario{name: name, req: request{method: "PUT", path: path, token: tok, body: body}, status: status, want: want}
		}
		e.runAll(t, []scenario{
			put("CONVERTED is only through convert", staff, `{"status":"CONVERTED"}`, http.StatusBadRequest, `"field":"status"`),
			put("unknown status", staff, `{"status":"WON"}`, http.StatusBadRequest, `"field":"status"`),
			put("missing status", staff, `{}`, http.StatusBadRequest, `"field":"status"`),
			put("malformed", staff, `{"status":`, http.StatusBadRequest),
			put("first contact records the caller", staff, `{"status":"CONTACTED"}`, http.StatusOK,
				`"message":"Lead status updated successfully"`, `"status":"CONTACTED"`, `"contactedBy":"staff-1"`),
		})
		var first leads.Lead
		e.do(request{method: "GET", path: "/leads/" + l.ID, token: staff}).data(t, &first)
		if first.ContactedAt == nil {
			t.Fatal("contactedAt not set by the first contact")
		}
		e.runAll(t, []scenario{
			put("lost", staff2, `{"status":"LOST"}`, http.StatusOK, `"status":"LOST"`, `"contactedBy":"staff-1"`),
			put("contacted again keeps the first contact", staff2, `{"status":"CONTACTED","contactedBy":"someone"}`, http.StatusOK,
				`"contactedBy":"staff-1"`, `"contactedAt":"`+first.ContactedAt.Format(time.RFC3339Nano)+`"`),
		})
		e.run(t, scenario{name: "unknown lead", req: request{method: "PUT", path: "/leads/00000000-0000-0000-0000-000000000000/status", token: staff, body: `{"status":"LOST"}`},
			status: http.StatusNotFound, want: []string{`"message":"Lead not found"`}})

		// A re-save: CONTACTED stays, LOST becomes PENDING.
		if got := e.saveAs(t, "stu-1", `{}`); got.Status != leads.StatusContacted {
			t.Errorf("a re-save of a CONTACTED lead made it %s", got.Status)
		}
		e.run(t, put("lost again", staff, `{"status":"LOST"}`, http.StatusOK))
		if got := e.saveAs(t, "stu-1", `{}`); got.Status != leads.StatusPending {
			t.Errorf("a re-save of a LOST lead made it %s, want PENDING", got.Status)
		}

		// contactedBy from the body on a first contact.
		l2 := e.saveAs(t, "stu-2", `{}`)
		e.run(t, scenario{name: "contactedBy from the body", req: request{method: "PUT", path: "/leads/" + l2.ID + "/status", token: staff, body: `{"status":"CONTACTED","contactedBy":"agent-7"}`},
			status: http.StatusOK, want: []string{`"contactedBy":"agent-7"`}})
	})
}

func TestConvert(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		staff := e.token("staff-1", auth.RoleStaff)
		l := e.saveAs(t, "stu-1", `{"step":3}`)
		path := "/leads/" + l.ID + "/convert"
		convert := func(name, body string, status int, want ...string) scenario {
			return scenario{name: name, req: request{method: "PUT", path: path, token: staff, body: body}, status: status, want: want}
		}
		e.runAll(t, []scenario{
			convert("studentId is required", `{}`, http.StatusBadRequest, `"field":"studentId"`),
			convert("studentId must be a string", `{"studentId":5}`, http.StatusBadRequest, `"field":"studentId"`),
			convert("an unknown student", `{"studentId":"nobody"}`, http.StatusBadRequest, `"field":"studentId"`),
			{name: "the lead is unchanged", req: request{method: "GET", path: "/leads/" + l.ID, token: staff}, status: http.StatusOK,
				want: []string{`"status":"PENDING"`, `"convertedAt":null`, `"convertedToStudentId":null`}},
			convert("convert", `{"studentId":"student-1"}`, http.StatusOK, `"message":"Lead marked as converted"`,
				`"status":"CONVERTED"`, `"convertedToStudentId":"student-1"`),
		})
		var converted leads.Lead
		e.do(request{method: "GET", path: "/leads/" + l.ID, token: staff}).data(t, &converted)
		res := e.run(t, convert("again to the same student is a no-op", `{"studentId":"student-1"}`, http.StatusOK, `"status":"CONVERTED"`))
		var again leads.Lead
		res.data(t, &again)
		if converted.ConvertedAt == nil || again.ConvertedAt == nil || !again.ConvertedAt.Equal(*converted.ConvertedAt) {
			t.Errorf("converting again moved convertedAt: %v then %v", converted.ConvertedAt, again.ConvertedAt)
		}
		e.runAll(t, []scenario{
			convert("to another student", `{"studentId":"student-2"}`, http.StatusConflict, `"statusCode":409`),
			{name: "a converted lead's status is final", req: request{method: "PUT", path: "/leads/" + l.ID + "/status", token: staff, body: `{"status":"LOST"}`},
				status: http.StatusConflict, want: []string{`"statusCode":409`}},
			{name: "unknown lead", req: request{method: "PUT", path: "/leads/00000000-0000-0000-0000-000000000000/convert", token: staff, body: `{"studentId":"student-1"}`},
				status: http.StatusNotFound},
		})
		if got := e.saveAs(t, "stu-1", `{"step":2}`); got.Status != leads.StatusConverted || got.OnboardingStep != 2 {
			t.Errorf("a re-save of a converted lead: status %s step %d", got.Status, got.OnboardingStep)
		}
	})
}

func TestDeleteLead(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		admin, staff, stu := e.token("admin-1", auth.RoleAdmin), e.token("staff-1", auth.RoleStaff), e.token("stu-1", auth.RoleStudent)
		l := e.saveAs(t, "stu-1", `{"profile":{"trainingLocation":"fct","studentAddress":"1 Road"},"selectedCenter":{"id":"abuja-center"},"step":2}`)
		e.run(t, scenario{name: "contact", req: request{method: "PUT", path: "/leads/" + l.ID + "/status", token: staff, body: `{"status":"CONTACTED"}`}, status: http.StatusOK})
		e.runAll(t, []scenario{
			{name: "unknown id", req: request{method: "DELETE", path: "/leads/00000000-0000-0000-0000-000000000000", token: admin}, status: http.StatusNotFound},
			{name: "staff may not erase", req: request{method: "DELETE", path: "/leads/" + l.ID, token: staff}, status: http.StatusForbidden},
			{name: "erase", req: request{method: "DELETE", path: "/leads/" + l.ID, token: admin}, status: http.StatusOK,
				want: []string{`"success":true`, `"id":"` + l.ID + `"`}},
			{name: "gone", req: request{method: "GET", path: "/leads/" + l.ID, token: staff}, status: http.StatusNotFound},
			{name: "twice", req: request{method: "DELETE", path: "/leads/" + l.ID, token: admin}, status: http.StatusNotFound},
			{name: "me is null", req: request{method: "GET", path: "/leads/me", token: stu}, status: http.StatusOK, want: []string{`"data":null`}},
		})
		res := e.run(t, scenario{name: "the next save starts a clean lead", req: request{method: "POST", path: savePath, token: stu, body: `{"step":1}`},
			status: http.StatusCreated, want: []string{`"trainingLocation":null`, `"centerId":null`, `"studentAddress":null`,
				`"status":"PENDING"`, `"contactedAt":null`, `"contactedBy":null`}})
		var fresh leads.Lead
		res.data(t, &fresh)
		if fresh.ID == l.ID {
			t.Error("the new lead reuses the erased lead's id")
		}
	})
}
