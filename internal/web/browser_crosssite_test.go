package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// forgedForm is the HTML of a page that submits a form to action as soon as
// it loads. With enctype text/plain, a field named `{"a":"x` with the value
// `"}` is sent as the body `{"a":"x="}` followed by a line break: JSON that a
// form can send without any preflight.
func forgedForm(action, enctype string, fields map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><title>win a prize</title><form id="f" method="post" action="%s" enctype="%s">`,
		html.EscapeString(action), html.EscapeString(enctype))
	for name, value := range fields {
		fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(name), html.EscapeString(value))
	}
	b.WriteString(`</form><script>document.getElementById('f').submit()</script>`)
	return b.String()
}

// TestBrowserCrossSiteFormsRefused: a page on another origin (a second
// loopback port: the same site, another origin, so SameSite=Lax still sends
// the cookie) submits forms to both save endpoints, the completion and the
// staff desk's forms, with the signed-in user's cookie. Each is refused with
// 403 and nothing changes; the same form sent from the service's own origin
// goes through, so the refusal is the origin's.
func TestBrowserCrossSiteFormsRefused(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			st := eng.open(t)
			e := newBrowserEnv(t, st)
			ctx := context.Background()

			// The other origin serves the forged page given in its query.
			evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, r.URL.Query().Get("page"))
			}))
			t.Cleanup(evil.Close)
			if evil.URL == e.base || !strings.HasPrefix(evil.URL, "http://127.0.0.1:") {
				t.Fatalf("the other origin %s must be another port of the loopback address", evil.URL)
			}

			// attack loads the forged page on the other origin and waits for
			// the service's answer to the form.
			attack := func(page string) string {
				t.Helper()
				e.do(chromedp.Navigate(evil.URL + "/?page=" + url.QueryEscape(page)))
				e.waitJS("the forged form's answer", fmt.Sprintf(`location.href.startsWith(%q) && document.body && document.body.innerText.length > 0`, e.base))
				// The navigation's status, as the browser received it.
				return eval[string](e, `performance.getEntriesByType('navigation')[0].responseStatus + ' ' + document.body.innerText`)
			}
			// fromOwnOrigin submits the same form from a page of the service.
			fromOwnOrigin := func(page string) {
				t.Helper()
				e.open("/dashboard")
				e.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
					`(function(){var d=new DOMParser().parseFromString(%q,'text/html'); var f=d.getElementById('f'); document.body.appendChild(document.adoptNode(f)); f.submit();})()`, page)))
			}

			saveBody := map[string]string{`{"profile":{"studentAddress":"Forged street`: `"},"step":2}`}
			for _, path := range []string{"/api/onboarding/save-lead", "/leads/save-from-onboarding", "/onboarding/complete"} {
				got := attack(forgedForm(e.base+path, "text/plain", saveBody))
				if !strings.HasPrefix(got, "403 ") || !strings.Contains(got, "Cross-origin request refused") {
					t.Errorf("cross-site form to %s: answered %s, want 403 Cross-origin request refused", path, got)
				}
			}
			if l, err := st.LeadByUser(ctx, browserUser); err == nil {
				t.Fatalf("a cross-site form saved a lead: %+v", l)
			}
			// The same body from the service's own page is the guide's
			// frontend route at work: it saves.
			fromOwnOrigin(forgedForm("/api/onboarding/save-lead", "text/plain", saveBody))
			lead := e.waitStore("the same-origin save", func(l leads.Lead) bool {
				return l.StudentAddress != nil && *l.StudentAddress == "Forged street="
			})

			// The staff desk's forms, with a staff member's cookie.
			staffTok, err := auth.Mint(testSecret, auth.Principal{UserID: "staff-x", Role: auth.RoleStaff, Name: ptr("Sam Staff"),
				Email: ptr("sam@example.com")}, time.Hour, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			e.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
					Name: "accessToken", Value: staffTok, URL: e.base, Path: "/", HTTPOnly: new(true), SameSite: network.CookieSameSiteLax,
				})
				return err
			}))
			// A staff member to assign and a student to convert to, so the
			// forged assign and convert forms name what the desk would accept.
			now := leads.Timestamp(time.Now())
			if _, err := leads.PutStaff(ctx, st, leads.Staff{ID: "staff-y", FullName: "Yemi Staff", Email: "yemi@example.com",
				CenterIDs: []string{"abuja-center"}, Active: true}, now); err != nil {
				t.Fatal(err)
			}
			if _, err := st.PutStudent(ctx, leads.Student{ID: "student-x"}, now); err != nil {
				t.Fatal(err)
			}
			before, err := st.Lead(ctx, lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			lead.Status = leads.StatusPending
			for _, form := range []struct {
				name   string
				fields map[string]string
			}{
				{"note", map[string]string{"text": "forged note"}},
				{"status", map[string]string{"status": "LOST", "reason": "forged"}},
				{"call", map[string]string{"outcome": "no_answer", "text": "forged call"}},
				{"assign", map[string]string{"staffId": "staff-y"}},
				{"convert", map[string]string{"studentId": "student-x"}},
			} {
				got := attack(forgedForm(e.base+"/staff/leads/"+lead.ID+"/"+form.name, "application/x-www-form-urlencoded", form.fields))
				if !strings.HasPrefix(got, "403 ") || !strings.Contains(got, "Cross-origin request refused") {
					t.Errorf("cross-site %s form: answered %s, want 403 Cross-origin request refused", form.name, got)
				}
			}
			acts, err := st.Activities(ctx, lead.ID, 1, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range acts.Activities {
				if a.Actor == "staff-x" {
					t.Errorf("a cross-site staff form left %s on the timeline", a.Type)
				}
			}
			if l, err := st.Lead(ctx, lead.ID); err != nil || l.Status != leads.StatusPending {
				t.Errorf("after cross-site forms the lead is %v (%v), want PENDING", l.Status, err)
			} else {
				if l.AssignedTo != nil && *l.AssignedTo == "staff-y" {
					t.Error("a cross-site assign form assigned the lead")
				}
				if l.ConvertedToStudentID != nil || l.ConvertedAt != nil {
					t.Errorf("a cross-site convert form converted the lead to %v", deref(l.ConvertedToStudentID))
				}
				was, _ := json.Marshal(before)
				is, _ := json.Marshal(l)
				if string(was) != string(is) {
					t.Errorf("cross-site forms changed the lead:\nbefore %s\nafter  %s", was, is)
				}
			}
			fromOwnOrigin(forgedForm("/staff/leads/"+lead.ID+"/note", "application/x-www-form-urlencoded", map[string]string{"text": "a real note"}))
			deadline := time.Now().Add(stepTimeout)
			for {
				acts, err := st.Activities(ctx, lead.ID, 1, 100)
				if err == nil && len(acts.Activities) > 0 && acts.Activities[0].Actor == "staff-x" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the same-origin note was not saved: %+v %v", acts, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
