package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/notify"
)

// TestTrustedOriginsLetThrough: a cookie-authenticated POST or PUT from an
// origin listed in LEADS_TRUSTED_ORIGINS goes through, whether the browser
// sends Sec-Fetch-Site or only Origin; from any other origin, even one that
// differs from a listed one only by its scheme, port or a subdomain, it is
// refused with 403 and changes nothing (contract §10).
func TestTrustedOriginsLetThrough(t *testing.T) {
	t.Parallel()
	forEachEngineWith(t, Config{TrustedOrigins: []string{"https://app.example.org", "http://127.0.0.1:3000"}}, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.seed(ctx)
		student, staff := e.token("stu-1", auth.RoleStudent), e.token("staff-1", auth.RoleStaff)
		res := e.do(request{method: "POST", path: "/leads/save-from-onboarding", token: student, body: validBodies["save"]})
		var l leads.Lead
		res.data(t, &l)

		for _, o := range []struct {
			name    string
			headers map[string]string
			allowed bool
		}{
			{"trusted, cross-site", map[string]string{"Origin": "https://app.example.org", "Sec-Fetch-Site": "cross-site"}, true},
			{"trusted, Origin only", map[string]string{"Origin": "https://app.example.org"}, true},
			{"trusted loopback port, same-site", map[string]string{"Origin": "http://127.0.0.1:3000", "Sec-Fetch-Site": "same-site"}, true},
			{"own origin", map[string]string{"Origin": "http://leads.test", "Sec-Fetch-Site": "same-origin"}, true},
			{"unlisted, cross-site", map[string]string{"Origin": "https://evil.example.org", "Sec-Fetch-Site": "cross-site"}, false},
			{"unlisted, Origin only", map[string]string{"Origin": "https://evil.example.org"}, false},
			{"trusted host, other scheme", map[string]string{"Origin": "http://app.example.org", "Sec-Fetch-Site": "cross-site"}, false},
			{"trusted host, other port", map[string]string{"Origin": "http://127.0.0.1:3001", "Sec-Fetch-Site": "same-site"}, false},
			{"subdomain of a trusted host", map[string]string{"Origin": "https://x.app.example.org", "Sec-Fetch-Site": "same-site"}, false},
			{"opaque origin", map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}, false},
			{"unlisted, no Origin but Sec-Fetch-Site", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		} {
			t.Run(o.name, func(t *testing.T) {
				label := strings.NewReplacer(" ", "-", ",", "").Replace(o.name)
				for _, r := range []struct {
					req    request
					ok     int
					stored func() bool
					form   bool
				}{
					{ // a staff form of the desk
						req: request{method: "POST", path: "/staff/leads/" + l.ID + "/note", cookie: staff, body: "text=note+" + label,
							header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
						ok: http.StatusSeeOther, stored: func() bool { return hasNote(t, e.store, l.ID, "note "+label) }, form: true,
					},
					{ // an API change
						req: request{method: "POST", path: "/leads/" + l.ID + "/notes", cookie: staff, body: `{"text":"api ` + label + `"}`},
						ok:  http.StatusCreated, stored: func() bool { return hasNote(t, e.store, l.ID, "api "+label) },
					},
					{ // the guide's frontend route
						req: request{method: "POST", path: frontendSavePath, cookie: student,
							body: spoil(t, validBodies["save"], "profile.studentAddress", "addr "+label)},
						ok: http.StatusOK, stored: func() bool {
							got, err := e.store.Lead(ctx, l.ID)
							return err == nil && deref(got.StudentAddress) == "addr "+label
						},
					},
				} {
					r.req.header = mergeHeaders(r.req.header, o.headers)
					want := http.StatusForbidden
					if o.allowed {
						want = r.ok
					}
					send := e.do
					if r.form {
						send = e.serve
					}
					res := send(r.req)
					if res.status != want {
						t.Errorf("%s %s: %d, want %d: %.300s", r.req.method, r.req.path, res.status, want, res.body)
					}
					if !o.allowed && !strings.Contains(string(res.body), "Cross-origin request refused") {
						t.Errorf("%s %s: the refusal does not say why: %.300s", r.req.method, r.req.path, res.body)
					}
					if got := r.stored(); got != o.allowed {
						t.Errorf("%s %s: stored = %v, want %v", r.req.method, r.req.path, got, o.allowed)
					}
				}
			})
		}

		// The rule is the cookie's: a token in the Authorization header is
		// sent by a script that holds it, from any origin.
		res = e.do(request{method: "POST", path: "/leads/" + l.ID + "/notes", token: staff, body: `{"text":"bearer from elsewhere"}`,
			header: map[string]string{"Origin": "https://evil.example.org", "Sec-Fetch-Site": "cross-site"}})
		if res.status != http.StatusCreated && res.status != http.StatusOK {
			t.Errorf("a bearer token from another origin: %d, want it served: %s", res.status, res.body)
		}
	})
}

// forEachEngineWith is forEachEngine with a configuration (its Store is the
// engine's).
func forEachEngineWith(t *testing.T, cfg Config, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			c := cfg
			c.Store = eng.open(t)
			fn(t, newEnvWith(t, c))
		})
	}
}

// serve sends req as it is, without do's checks of a JSON answer: a form's
// POST answers a bare 303.
func (e *env) serve(req request) response {
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req.httpRequest())
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func mergeHeaders(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range []map[string]string{a, b} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// timeline is the lead's activities of a type, their data as JSON text.
func timeline(t *testing.T, st leads.Store, leadID, typ string) []string {
	t.Helper()
	acts, err := st.Activities(context.Background(), leadID, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range acts.Activities {
		if a.Type == typ {
			out = append(out, string(a.Data))
		}
	}
	return out
}

func hasNote(t *testing.T, st leads.Store, leadID, text string) bool {
	for _, d := range timeline(t, st, leadID, leads.ActivityNote) {
		if strings.Contains(d, fmt.Sprintf("%q", text)) {
			return true
		}
	}
	return false
}

// absoluteURL finds absolute http(s) addresses in text, HTML or plain.
// XML namespace names (w3.org) are names, not links.
var absoluteURL = regexp.MustCompile(`(?i)https?://[^\s"'<>()]+`)

func absoluteLinks(s string) []string {
	var out []string
	for _, u := range absoluteURL.FindAllString(s, -1) {
		if !strings.HasPrefix(strings.ToLower(u), "http://www.w3.org/") {
			out = append(out, strings.TrimRight(u, ".,;:"))
		}
	}
	return out
}

// TestAbsoluteLinksFollowPublicURL: with LEADS_PUBLIC_URL an https address
// (a TLS-terminating proxy in front, the service itself on plain HTTP),
// every absolute link the service writes starts with it: the e-mails' links
// (the new lead's page, the onboarding, the nudge's unsubscribe link, in the
// text and the HTML part, and as List-Unsubscribe), their Message-IDs' host,
// and the demo mailbox that shows them. Each link works on the service.
// Redirects are relative, so they never fall back to http. (The session
// cookie's Secure attribute: TestCookieSecureFollowsPublicURL.)
func TestAbsoluteLinksFollowPublicURL(t *testing.T) {
	t.Parallel()
	const public = "https://leads.example.org"
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := eng.open(t)
			mail := notify.NewMailbox(50)
			// As leads serve wires them: the workers and the server get the
			// same public URL.
			startWorkers(t, notify.Config{Store: st, Mailer: mail, From: "Enrolment <no-reply@leads.example.org>",
				Desk: "desk@leads.example.org", PublicURL: public})
			e := newEnvWith(t, Config{Store: st, PublicURL: public, Mailbox: mail, Demo: &Demo{Secret: testSecret,
				Accounts: map[auth.Role]auth.Principal{auth.RoleStaff: {UserID: "staff-1", Role: auth.RoleStaff, Name: ptr("Sam Staff")}}}})
			e.seed(ctx)
			student, staff := e.token("stu-1", auth.RoleStudent), e.token("staff-1", auth.RoleStaff)
			res := e.do(request{method: "POST", path: "/leads/save-from-onboarding", token: student, body: validBodies["save"]})
			var l leads.Lead
			res.data(t, &l)
			// The applicant stops: a nudge comes due. The scan skips a lead
			// another transaction holds (SKIP LOCKED), such as the e-mail
			// worker recording the new lead's e-mails on its timeline, as
			// the periodic scan would pick it up on its next round: scan
			// until it is claimed.
			for claimed, until := 0, time.Now().Add(10*time.Second); claimed == 0; {
				n, err := leads.QueueNudges(ctx, st, leads.NudgePolicy{After: time.Minute, Max: 1}, time.Now().Add(time.Hour), 10)
				if err != nil || n > 1 || (n == 0 && time.Now().After(until)) {
					t.Fatalf("queue nudges: %d, %v", n, err)
				}
				claimed = n
				time.Sleep(10 * time.Millisecond)
			}

			// Wait for the three e-mails: new lead, progress saved, nudge.
			kinds := []string{leads.EmailNewLead, leads.EmailProgressSaved, leads.EmailNudge}
			byKind := map[string]notify.Message{}
			deadline := time.Now().Add(20 * time.Second)
			for len(byKind) < len(kinds) {
				for _, m := range mail.Messages() {
					kind, _, _ := strings.Cut(m.ID, ".")
					byKind[kind] = m
				}
				if time.Now().After(deadline) {
					t.Fatalf("timed out waiting for the e-mails; got %v", mail.Messages())
				}
				time.Sleep(20 * time.Millisecond)
			}

			wantLinks := map[string]string{
				leads.EmailNewLead:       public + "/staff/leads/" + url.PathEscape(l.ID),
				leads.EmailProgressSaved: public + "/onboarding",
				leads.EmailNudge:         public + "/unsubscribe?",
			}
			var links []string
			for _, kind := range kinds {
				m := byKind[kind]
				if _, host, _ := strings.Cut(m.ID, "@"); host != "leads.example.org" {
					t.Errorf("%s: Message-ID %q, want the public URL's host", kind, m.ID)
				}
				found := false
				for _, part := range []struct{ name, text string }{{"text", m.Text}, {"HTML", m.HTML}, {"List-Unsubscribe", m.UnsubscribeURL}} {
					ls := absoluteLinks(part.text)
					for _, u := range ls {
						if !strings.HasPrefix(u, public+"/") {
							t.Errorf("%s e-mail, %s part: link %q does not start with %s/", kind, part.name, u, public)
						}
						found = found || strings.HasPrefix(u, wantLinks[kind])
					}
					links = append(links, ls...)
					if part.name != "List-Unsubscribe" && len(ls) == 0 {
						t.Errorf("%s e-mail, %s part: no absolute link: %s", kind, part.name, part.text)
					}
				}
				if !found {
					t.Errorf("%s e-mail: no link to %s", kind, wantLinks[kind])
				}
			}
			if u := byKind[leads.EmailNudge].UnsubscribeURL; !strings.HasPrefix(u, public+"/unsubscribe?") {
				t.Errorf("List-Unsubscribe %q, want %s/unsubscribe?…", u, public)
			}

			// The demo mailbox shows them as they are.
			pages := []string{"/demo/mailbox"}
			for _, m := range byKind {
				pages = append(pages, "/demo/mailbox/"+url.PathEscape(m.ID))
			}
			for _, p := range pages {
				res := e.do(request{method: "GET", path: p})
				if res.status != http.StatusOK {
					t.Fatalf("GET %s: %d", p, res.status)
				}
				ls := absoluteLinks(string(res.body))
				if len(ls) == 0 {
					t.Errorf("GET %s: shows no absolute link", p)
				}
				for _, u := range ls {
					if !strings.HasPrefix(u, public+"/") {
						t.Errorf("GET %s: link %q does not start with %s/", p, u, public)
					}
				}
			}

			// Each link works on the service (the proxy strips the public
			// URL), and the unsubscribe link unsubscribes.
			seen := map[string]bool{}
			for _, u := range links {
				rel := strings.ReplaceAll(strings.TrimPrefix(u, public), "&amp;", "&")
				if seen[rel] {
					continue
				}
				seen[rel] = true
				tok := student
				if strings.HasPrefix(rel, "/staff/") {
					tok = staff
				}
				res := e.do(request{method: "GET", path: rel, token: tok})
				if res.status != http.StatusOK {
					t.Errorf("GET %s (from %s): %d", rel, u, res.status)
				}
				if ls := absoluteLinks(string(res.body)); len(ls) > 0 {
					t.Errorf("GET %s: the page links to %v; its own links are relative", rel, ls)
				}
			}
			unsub := strings.TrimPrefix(byKind[leads.EmailNudge].UnsubscribeURL, public)
			res = e.do(request{method: "POST", path: unsub, body: "List-Unsubscribe=One-Click",
				header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
			if got, err := st.Lead(ctx, l.ID); res.status != http.StatusOK || err != nil || got.UnsubscribedAt == nil {
				t.Errorf("one-click POST to the e-mail's link: %d, unsubscribed %v (%v)", res.status, got.UnsubscribedAt, err)
			}

			// Redirects are relative: the browser keeps the https it came
			// with.
			for _, r := range []request{
				{method: "GET", path: "/"},
				{method: "GET", path: "/demo/login?as=staff"},
				{method: "POST", path: "/signout"},
				{method: "POST", path: "/staff/leads/" + l.ID + "/note", token: staff, body: "text=relative",
					header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
			} {
				res := e.serve(r)
				loc := res.header.Get("Location")
				if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
					t.Errorf("%s %s: %d to %q, want 303 to a path", r.method, r.path, res.status, loc)
				}
			}
		})
	}
}
