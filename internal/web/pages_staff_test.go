package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// deskStaff is the staff member the desk tests sign in as.
const deskStaff = "staff-ada"

// seedDesk puts a roster at abuja-center (Ada Staff and Bola Staff) and n
// applicants' leads there and at lagos-center, the first created a day and a
// half ago (overdue), and returns the leads, newest first. The catalogue of
// seedBrowserData must be there.
func seedDesk(t *testing.T, st leads.Store, n int) []leads.Lead {
	t.Helper()
	ctx := context.Background()
	now := leads.Timestamp(time.Now())
	for _, m := range []leads.Staff{
		{ID: deskStaff, FullName: "Ada Staff", Email: "ada.staff@example.com", CenterIDs: []string{"abuja-center", "lagos-center"}, Active: true},
		{ID: "staff-bola", FullName: "Bola Staff", Email: "bola.staff@example.com", CenterIDs: []string{"abuja-center"}, Active: true},
	} {
		if _, err := leads.PutStaff(ctx, st, m, now); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{"Chinedu Okeke", "Aisha Bello", "Funke Adeyemi", "Ibrahim Musa", "Blessing Nwosu", "Emeka Obi"}
	var out []leads.Lead
	for i := range n {
		uid := fmt.Sprintf("applicant-%02d", i)
		u := leads.User{ID: uid, FullName: fmt.Sprintf("%s %d", names[i%len(names)], i), Email: uid + "@example.com",
			Phone: ptr(fmt.Sprintf("0802%07d", i))}
		if _, err := st.PutUser(ctx, u, now); err != nil {
			t.Fatal(err)
		}
		centre, course := "abuja-center", "web-dev"
		if i%2 == 1 {
			centre, course = "lagos-center", "solar"
		}
		in := leads.SaveInput{CenterID: &centre, CenterIDField: "selectedCenter.id", CourseID: &course, Step: ptr(1 + i%3),
			TrainingLocation: ptr("fct")}
		created := now.Add(-36*time.Hour + time.Duration(i)*time.Minute)
		l, _, err := leads.SaveFromOnboarding(ctx, st, leads.Claims{UserID: uid}, in, created)
		if err != nil {
			t.Fatal(err)
		}
		out = append([]leads.Lead{l}, out...)
	}
	return out
}

// as sends a page request as the desk's staff member (or role).
func (e *pageEnv) as(role auth.Role, method, path string, form url.Values, header map[string]string) *http.Response {
	e.t.Helper()
	sub := deskStaff
	if role == auth.RoleStudent {
		sub = browserUser
	}
	body, ctype := "", ""
	if form != nil {
		body, ctype = form.Encode(), "application/x-www-form-urlencoded"
	}
	r := httptest.NewRequest(method, "http://leads.test"+path, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	r.AddCookie(e.cookieFor(sub, role))
	return e.serve(r)
}

func TestStaffPages(t *testing.T) {
	t.Parallel()
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			st := eng.open(t)
			e := newPageEnv(t, st, false)
			all := seedDesk(t, st, 30)
			if _, err := st.PutStudent(context.Background(), leads.Student{ID: "student-7"}, time.Now()); err != nil {
				t.Fatal(err)
			}
			page := func(res *http.Response, status int, want ...string) string {
				t.Helper()
				body := readAll(t, res)
				if res.StatusCode != status {
					t.Errorf("status %d, want %d", res.StatusCode, status)
				}
				for _, w := range want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				return body
			}
			// Who may open the desk.
			page(e.send("GET", "/staff", nil, "", ""), http.StatusUnauthorized, "Please sign in")
			page(e.as(auth.RoleStudent, "GET", "/staff", nil, nil), http.StatusForbidden, "This page is for staff")
			page(e.as(auth.RoleStudent, "GET", "/staff/leads/"+all[0].ID, nil, nil), http.StatusForbidden)
			page(e.as(auth.RoleStudent, "POST", "/staff/leads/"+all[0].ID+"/note", url.Values{"text": {"x"}}, nil), http.StatusForbidden)

			// The table: the newest 25 of 30, every column, overdue marked,
			// small enough for a phone on a slow line.
			body := page(e.as(auth.RoleStaff, "GET", "/staff", nil, nil), http.StatusOK,
				"Leads 1–25 of 30", all[0].FullName, `href="tel:`+*all[0].Phone+`"`, "Abuja Center", "Web Development",
				"Ada Staff", "Overdue", `href="/staff/leads/`+all[0].ID+`"`, `rel="next"`)
			if strings.Contains(body, all[29].FullName) {
				t.Error("the first page shows the 30th lead")
			}
			if len(body) > 50<<10 {
				t.Errorf("the table page is %d bytes, want under 50 KB", len(body))
			}
			// Filters, as a plain GET form, and the CSV of the same filter.
			body = page(e.as(auth.RoleStaff, "GET", "/staff?q=Chinedu&centerId=abuja-center&sort=createdAt", nil, nil), http.StatusOK,
				"Leads 1–", "Chinedu Okeke 0", `href="/leads/export.csv?centerId=abuja-center&amp;q=Chinedu&amp;sort=createdAt"`)
			if strings.Contains(body, "Aisha") {
				t.Error("the search shows leads that do not match")
			}
			page(e.as(auth.RoleStaff, "GET", "/staff?step=7&createdFrom=soon", nil, nil), http.StatusBadRequest,
				"Some filters are not valid", "step", "createdFrom")
			page(e.as(auth.RoleStaff, "GET", "/staff?page=2", nil, nil), http.StatusOK, "Leads 26–30 of 30", `rel="prev"`)

			// A lead's page and each of its forms: POST, then 303 back.
			l := all[3]
			path := "/staff/leads/" + l.ID
			page(e.as(auth.RoleStaff, "GET", path, nil, nil), http.StatusOK, l.FullName, "Web Development", "No guardian",
				"Timeline", "the lead was created", "automatically.")
			other := map[string]string{deskStaff: "staff-bola", "staff-bola": deskStaff}[*l.AssignedTo]
			otherName := map[string]string{deskStaff: "Ada Staff", "staff-bola": "Bola Staff"}[other]
			page(e.as(auth.RoleStaff, "GET", "/staff/leads/no-such-lead", nil, nil), http.StatusNotFound, "No such lead")
			for _, step := range []struct {
				form   string
				values url.Values
				shows  string
			}{
				{"call", url.Values{"outcome": {"reached"}, "text": {"Keen to start"}}, "Call, reached: Keen to start"},
				{"note", url.Values{"text": {"Prefers evenings"}}, "Note: Prefers evenings"},
				{"assign", url.Values{"staffId": {other}}, "Assigned to " + otherName + " by hand"},
				{"status", url.Values{"status": {"LOST"}, "reason": {"Moved away"}}, "Status Contacted → Lost: Moved away"},
				{"convert", url.Values{"studentId": {"student-7"}}, "Converted: enrolled as student student-7"},
			} {
				res := e.as(auth.RoleStaff, "POST", path+"/"+step.form, step.values, nil)
				if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?done="+step.form {
					t.Fatalf("%s: %d to %q", step.form, res.StatusCode, res.Header.Get("Location"))
				}
				page(e.as(auth.RoleStaff, "GET", res.Header.Get("Location"), nil, nil), http.StatusOK, step.shows, doneMessages[step.form])
			}
			page(e.as(auth.RoleStaff, "GET", path, nil, nil), http.StatusOK, "The lead is converted: its status is final", "student-7")

			// A form the rules refuse shows the page again with what was wrong.
			another := "/staff/leads/" + all[4].ID
			page(e.as(auth.RoleStaff, "POST", another+"/note", url.Values{"text": {"  "}}, nil), http.StatusBadRequest, "text is required")
			page(e.as(auth.RoleStaff, "POST", another+"/convert", url.Values{"studentId": {"nobody"}}, nil), http.StatusBadRequest,
				"Student not found", `value="nobody"`)
			page(e.as(auth.RoleStaff, "POST", another+"/call", url.Values{"outcome": {"shouted"}}, nil), http.StatusBadRequest, "outcome must be one of")
			page(e.as(auth.RoleStaff, "POST", path+"/status", url.Values{"status": {"PENDING"}}, nil), http.StatusConflict, "already converted")
			page(e.as(auth.RoleStaff, "POST", "/staff/leads/no-such-lead/note", url.Values{"text": {"x"}}, nil), http.StatusNotFound)

			// A form posted from another site is refused; from the desk it is not.
			cross := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
			if res := e.as(auth.RoleStaff, "POST", another+"/note", url.Values{"text": {"pwned"}}, cross); res.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site form: %d, want 403", res.StatusCode)
			}
			same := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://leads.test"}
			if res := e.as(auth.RoleStaff, "POST", another+"/note", url.Values{"text": {"fine"}}, same); res.StatusCode != http.StatusSeeOther {
				t.Errorf("same-origin form: %d, want 303", res.StatusCode)
			}
			if body := page(e.as(auth.RoleStaff, "GET", another, nil, nil), http.StatusOK, "Note: fine"); strings.Contains(body, "pwned") {
				t.Error("the cross-site note was saved")
			}
		})
	}
}
