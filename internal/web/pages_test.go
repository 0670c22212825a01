package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// pageEnv is a server over a fresh store, for the page handlers; demo mode
// when demo is set.
type pageEnv struct {
	t       *testing.T
	store   leads.Store
	handler http.Handler
	api     *apiDoc
}

func newPageEnv(t *testing.T, st leads.Store, demo bool) *pageEnv {
	t.Helper()
	cfg := Config{Store: st, Verifier: auth.NewVerifier(testSecret)}
	if demo {
		cfg.Demo = &Demo{Secret: testSecret, Accounts: map[auth.Role]auth.Principal{
			auth.RoleStudent: {UserID: "demo-student", Role: auth.RoleStudent, Name: ptr("Mercy Isaiah"), Email: ptr("mercy@example.com")},
			auth.RoleStaff:   {UserID: "demo-staff", Role: auth.RoleStaff, Name: ptr("Tunde Bakare"), Email: ptr("tunde@example.com")},
			auth.RoleAdmin:   {UserID: "demo-admin", Role: auth.RoleAdmin, Name: ptr("Amina Yusuf"), Email: ptr("amina@example.com")},
		}}
	}
	seedBrowserData(t, st)
	return &pageEnv{t: t, store: st, handler: NewServer(cfg).Handler(), api: loadAPIDoc(t)}
}

// cookieFor mints a token for sub and returns it as the accessToken cookie.
func (e *pageEnv) cookieFor(sub string, role auth.Role) *http.Cookie {
	e.t.Helper()
	tok, err := auth.Mint(testSecret, auth.Principal{UserID: sub, Role: role}, time.Hour, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Cookie{Name: "accessToken", Value: tok}
}

// get sends method path with an optional cookie, JSON body and content type.
func (e *pageEnv) send(method, path string, c *http.Cookie, ctype, body string) *http.Response {
	e.t.Helper()
	r := httptest.NewRequest(method, "http://leads.test"+path, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if c != nil {
		r.AddCookie(c)
	}
	return e.serve(r)
}

// serve sends r to the server and returns its answer, after checking both
// against openapi.json as env.do does.
func (e *pageEnv) serve(r *http.Request) *http.Response {
	e.t.Helper()
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			e.t.Fatal(err)
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	checked := r.Clone(r.Context())
	checked.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	if err := e.api.check(checked, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}); err != nil {
		e.t.Error(err)
	}
	return rec.Result()
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPagesNeedSignIn(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			st := eng.open(t)
			plain, demo := newPageEnv(t, st, false), newPageEnv(t, st, true)
			expired, err := auth.Mint(testSecret, auth.Principal{UserID: browserUser, Role: auth.RoleStudent}, time.Minute, time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name   string
				env    *pageEnv
				path   string
				cookie *http.Cookie
				want   []string
				deny   []string
			}{
				{"onboarding without a cookie", plain, "/onboarding", nil, []string{"Please sign in"}, []string{"<form id=\"onboarding\"", "/demo/login"}},
				{"dashboard without a cookie", plain, "/dashboard", nil, []string{"Please sign in"}, []string{"app-state"}},
				{"expired token", plain, "/onboarding", &http.Cookie{Name: "accessToken", Value: expired}, []string{"Please sign in"}, []string{"<form id=\"onboarding\""}},
				{"forged token", plain, "/dashboard", &http.Cookie{Name: "accessToken", Value: "not.a.token"}, []string{"Please sign in"}, nil},
				{"demo mode offers the demo accounts", demo, "/onboarding", nil, []string{"Please sign in", `href="/demo/login?as=student"`, `href="/demo/login?as=staff"`}, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res := tc.env.send(http.MethodGet, tc.path, tc.cookie, "", "")
					body := readAll(t, res)
					if res.StatusCode != http.StatusUnauthorized {
						t.Errorf("status %d, want 401", res.StatusCode)
					}
					if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
						t.Errorf("Content-Type %q, want HTML", ct)
					}
					for _, w := range tc.want {
						if !strings.Contains(body, w) {
							t.Errorf("page lacks %q", w)
						}
					}
					for _, d := range tc.deny {
						if strings.Contains(body, d) {
							t.Errorf("page must not contain %q", d)
						}
					}
				})
			}
		})
	}
}

func TestDemoLogin(t *testing.T) {
	st := openSQLite(t)
	demo, plain := newPageEnv(t, st, true), newPageEnv(t, st, false)

	if res := plain.send(http.MethodGet, "/demo/login?as=student", nil, "", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("/demo/login outside demo mode: status %d, want 404", res.StatusCode)
	}
	if res := demo.send(http.MethodGet, "/demo/login?as=root", nil, "", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("/demo/login?as=root: status %d, want 400", res.StatusCode)
	}
	for _, tc := range []struct {
		as, location, page string
	}{
		{"student", "/onboarding", `id="onboarding"`},
		{"staff", "/staff", "Tunde Bakare"},
		{"admin", "/staff", "Amina Yusuf"},
	} {
		t.Run(tc.as, func(t *testing.T) {
			res := demo.send(http.MethodGet, "/demo/login?as="+tc.as, nil, "", "")
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.location {
				t.Fatalf("status %d to %q, want 303 to %s", res.StatusCode, res.Header.Get("Location"), tc.location)
			}
			var c *http.Cookie
			for _, k := range res.Cookies() {
				if k.Name == "accessToken" {
					c = k
				}
			}
			if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
				t.Fatalf("cookie %+v, want accessToken HttpOnly SameSite=Lax Path=/ with a lifetime", c)
			}
			page := demo.send(http.MethodGet, tc.location, &http.Cookie{Name: c.Name, Value: c.Value}, "", "")
			if body := readAll(t, page); page.StatusCode != http.StatusOK || !strings.Contains(body, tc.page) {
				t.Errorf("%s with the demo cookie: status %d, page without %q", tc.location, page.StatusCode, tc.page)
			}
		})
	}
}

func TestCompleteOnboarding(t *testing.T) {
	forEachEngine(t, func(t *testing.T, api *env) {
		e := newPageEnv(t, api.store, false)
		c := e.cookieFor(browserUser, auth.RoleStudent)
		body := `{"profile":{"trainingLocation":"fct","centre":"abuja-center","studentAddress":"1 Road","hasGuardian":false},` +
			`"selectedCenter":{"id":"abuja-center","name":"Abuja Center"},"selectedCourse":{"id":"web-dev","name":"Web Development"},` +
			`"step":3,"source":"onboarding_save_and_exit","paymentPlan":"full"}`

		for _, tc := range []struct {
			name   string
			cookie *http.Cookie
			ctype  string
			body   string
			status int
		}{
			{"signed out", nil, "application/json", body, http.StatusUnauthorized},
			{"not JSON (a cross-site form)", c, "text/plain", body, http.StatusBadRequest},
			{"a bad field", c, "application/json", `{"profile":{"guardianEmail":"nope"},"step":3}`, http.StatusBadRequest},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.send(http.MethodPost, "/onboarding/complete", tc.cookie, tc.ctype, tc.body)
				if got := readAll(t, res); res.StatusCode != tc.status || !strings.Contains(got, `"success":false`) {
					t.Errorf("status %d body %s, want %d and an error", res.StatusCode, got, tc.status)
				}
			})
		}
		if _, err := e.store.LeadByUser(context.Background(), browserUser); err == nil {
			t.Fatal("a refused completion saved a lead")
		}

		var first string
		for i := range 2 { // completing twice is harmless
			res := e.send(http.MethodPost, "/onboarding/complete", c, "application/json", body)
			var got struct {
				Success bool
				Message string
				Data    leads.Lead
			}
			if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			l := got.Data
			if res.StatusCode != http.StatusOK || !got.Success || got.Message != "Enrolment completed" {
				t.Fatalf("completion %d: status %d %+v", i+1, res.StatusCode, got)
			}
			if l.Status != leads.StatusConverted || l.ConvertedToStudentID == nil || l.ConvertedAt == nil || l.CourseID == nil || *l.CourseID != "web-dev" {
				t.Fatalf("completion %d: lead %+v, want CONVERTED with a student and the course", i+1, l)
			}
			if i == 0 {
				first = *l.ConvertedToStudentID
			} else if *l.ConvertedToStudentID != first {
				t.Errorf("second completion moved the lead to student %s from %s", *l.ConvertedToStudentID, first)
			}
		}
	})
}

func TestDashboardShowsWhereTheApplicationStands(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			e := newPageEnv(t, eng.open(t), false)
			ctx := context.Background()
			c := e.cookieFor(browserUser, auth.RoleStudent)
			dashboard := func() string {
				t.Helper()
				res := e.send(http.MethodGet, "/dashboard", c, "", "")
				if res.StatusCode != http.StatusOK {
					t.Fatalf("dashboard: status %d", res.StatusCode)
				}
				return readAll(t, res)
			}
			expect := func(stage string, body string, want ...string) {
				t.Helper()
				for _, w := range want {
					if !strings.Contains(body, w) {
						t.Errorf("%s: dashboard lacks %q", stage, w)
					}
				}
			}

			expect("no lead", dashboard(), `data-state="none"`, `href="/onboarding"`, "Start your enrolment")

			in, err := leads.ParseOnboarding([]byte(`{"profile":{"centre":"abuja-center"},"selectedCourse":{"id":"web-dev"},"step":2}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := leads.SaveFromOnboarding(ctx, e.store, leads.Claims{UserID: browserUser}, in, leads.Timestamp(time.Now())); err != nil {
				t.Fatal(err)
			}
			expect("saved", dashboard(), `data-state="saved"`, `data-step="2"`, "step 2 of 3", "Continue", "Abuja Center", "Web Development")

			if _, err := leads.CompleteOnboarding(ctx, e.store, browserUser, leads.Timestamp(time.Now())); err != nil {
				t.Fatal(err)
			}
			expect("completed", dashboard(), `data-state="completed"`, "Enrolment completed")

			staff := e.send(http.MethodGet, "/dashboard", e.cookieFor("someone-staff", auth.RoleStaff), "", "")
			expect("staff", readAll(t, staff), "staff</strong> role", `href="/staff"`)
		})
	}
}

// pageWeightLimit bounds what a first visit downloads for a page, assets
// included, compressed as a browser receives it: a phone on a poor
// connection gets each page in a second or two.
const pageWeightLimit = 40 << 10

// TestPageWeights fetches every page as a browser does (gzip accepted) with
// its assets, and reports what a first visit downloads, compressed and not.
// With LEADS_PAGE_WEIGHTS=docs/page-weight.md it writes the table there.
func TestPageWeights(t *testing.T) {
	st := openSQLite(t)
	e := newPageEnv(t, st, false)
	all := seedDesk(t, st, 3)
	student, staff := e.cookieFor(browserUser, auth.RoleStudent), e.cookieFor(deskStaff, auth.RoleStaff)
	get := func(path string, c *http.Cookie) (status int, body []byte, wire int) {
		r := httptest.NewRequest(http.MethodGet, "http://leads.test"+path, nil)
		r.Header.Set("Accept-Encoding", "gzip")
		if c != nil {
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, r)
		wire = rec.Body.Len()
		body = rec.Body.Bytes()
		if rec.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return rec.Code, body, wire
	}
	var table strings.Builder
	table.WriteString("| page | HTML | with its assets | compressed (what a first visit downloads) |\n|---|---:|---:|---:|\n")
	for _, pg := range []struct {
		name, path string
		cookie     *http.Cookie
	}{
		{"sign-in", "/dashboard", nil},
		{"onboarding", "/onboarding", student},
		{"dashboard", "/dashboard", student},
		{"offline page", "/offline", nil},
		{"staff desk", "/staff", staff},
		{"staff lead", "/staff/leads/" + all[0].ID, staff},
		{"conversion", "/staff/stats", staff},
	} {
		status, page, wire := get(pg.path, pg.cookie)
		if status != http.StatusOK && status != http.StatusUnauthorized {
			t.Fatalf("%s: status %d", pg.path, status)
		}
		raw := len(page)
		refs := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(string(page), -1)
		if len(refs) < 2 {
			t.Fatalf("%s refers to %d assets, want at least its CSS and icon", pg.name, len(refs))
		}
		for _, m := range refs {
			status, b, w := get(m[1], nil)
			if status != http.StatusOK {
				t.Fatalf("%s: status %d", m[1], status)
			}
			raw += len(b)
			wire += w
		}
		shown := pg.path
		if strings.HasPrefix(shown, "/staff/leads/") {
			shown = "/staff/leads/{id}"
		}
		fmt.Fprintf(&table, "| %s (`%s`) | %.1f KiB | %.1f KiB | %.1f KiB |\n", pg.name, shown,
			float64(len(page))/1024, float64(raw)/1024, float64(wire)/1024)
		if wire >= pageWeightLimit {
			t.Errorf("%s: a first visit downloads %d bytes, want under %d", pg.name, wire, pageWeightLimit)
		}
		for _, ext := range []string{"http://", "https://", "//"} {
			if bytes.Contains(page, []byte(`src="`+ext)) || bytes.Contains(page, []byte(`href="`+ext)) {
				t.Errorf("%s loads something from elsewhere (%s)", pg.name, ext)
			}
		}
	}
	t.Logf("page weights:\n%s", table.String())
	if out := os.Getenv("LEADS_PAGE_WEIGHTS"); out != "" {
		doc := "# Page weights\n\nWhat a first visit downloads for each page, its CSS, scripts and icon included,\n" +
			"measured by `LEADS_PAGE_WEIGHTS=docs/page-weight.md go test -run TestPageWeights ./internal/web/`\n" +
			"(gzip, as a browser accepts it). Later visits download only the HTML: the\n" +
			"assets have fingerprinted names and are cached for a year.\n\n" + table.String()
		if err := os.WriteFile(out, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Every text answer of some size is compressed for a client that accepts
// it; fingerprinted assets are cached for a year, the others revalidated;
// pages and API answers are never cached.
func TestCompressionAndCaching(t *testing.T) {
	st := openSQLite(t)
	e := newPageEnv(t, st, false)
	seedDesk(t, st, 30)
	staffTok, err := auth.Mint(testSecret, auth.Principal{UserID: deskStaff, Role: auth.RoleStaff}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	send := func(path string, gz bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "http://leads.test"+path, nil)
		if gz {
			r.Header.Set("Accept-Encoding", "gzip, deflate, br")
		}
		r.Header.Set("Authorization", "Bearer "+staffTok)
		r.AddCookie(&http.Cookie{Name: accessCookie, Value: staffTok})
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, r)
		return rec
	}
	page := send("/staff", false).Body.String()
	css := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(page)
	js := regexp.MustCompile(`src="(/static/save\.[0-9a-f]{12}\.js)"`).FindStringSubmatch(send("/onboarding", false).Body.String())
	if css == nil || js == nil {
		t.Fatalf("pages must link fingerprinted assets; /staff has:\n%s", page)
	}
	for _, tc := range []struct {
		path, ctype, cache string
	}{
		{"/staff", "text/html", "no-store"},
		{"/leads?limit=30", "application/json", ""},
		{"/leads/export.csv", "text/csv", "no-store"},
		{"/openapi.json", "application/json", ""},
		{css[1], "text/css", "public, max-age=31536000, immutable"},
		{js[1], "text/javascript", "public, max-age=31536000, immutable"},
		{"/static/app.css", "text/css", "no-cache"},
		{"/static/app.000000000000.css", "text/css", "no-cache"}, // a page from before a deploy
	} {
		plain, gz := send(tc.path, false), send(tc.path, true)
		if plain.Code != http.StatusOK || gz.Code != http.StatusOK {
			t.Fatalf("%s: status %d / %d", tc.path, plain.Code, gz.Code)
		}
		if !strings.HasPrefix(gz.Header().Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", tc.path, gz.Header().Get("Content-Type"), tc.ctype)
		}
		if got := gz.Header().Get("Content-Encoding"); got != "gzip" {
			t.Errorf("%s: Content-Encoding %q, want gzip", tc.path, got)
		}
		if !strings.Contains(gz.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q, want Accept-Encoding", tc.path, gz.Header().Get("Vary"))
		}
		if plain.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed for a client that did not ask", tc.path)
		}
		wire := gz.Body.Len()
		zr, err := gzip.NewReader(gz.Body)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		body, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(body, plain.Body.Bytes()) && tc.path != "/staff" && !strings.HasPrefix(tc.path, "/leads") {
			t.Errorf("%s: the gzip body does not match the plain one (%v)", tc.path, err)
		}
		if tc.cache != "" && gz.Header().Get("Cache-Control") != tc.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, gz.Header().Get("Cache-Control"), tc.cache)
		}
		t.Logf("%s: %d bytes, %d gzipped", tc.path, plain.Body.Len(), wire)
	}
	fav := send("/favicon.ico", false)
	if fav.Code != http.StatusOK || fav.Header().Get("Content-Type") != "image/x-icon" || fav.Body.Len() == 0 {
		t.Errorf("/favicon.ico: %d %q", fav.Code, fav.Header().Get("Content-Type"))
	}
}

func TestStaticAssets(t *testing.T) {
	e := newPageEnv(t, openSQLite(t), false)
	res := e.send(http.MethodGet, "/static/app.css", nil, "", "")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("app.css: status %d type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("app.css has no ETag")
	}
	r := httptest.NewRequest(http.MethodGet, "/static/app.css", nil)
	r.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	if rec.Code != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", rec.Code)
	}
	if res := e.send(http.MethodGet, "/static/nope.js", nil, "", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: status %d, want 404", res.StatusCode)
	}
}

// The site's root sends a visitor to their dashboard, which asks them to sign in
// or shows where their application stands; any other unknown path is a 404.
func TestRootRedirectsToDashboard(t *testing.T) {
	e := newPageEnv(t, openSQLite(t), false)
	res := e.send(http.MethodGet, "/", nil, "", "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" {
		t.Errorf("GET / = %d to %q, want 303 to /dashboard", res.StatusCode, res.Header.Get("Location"))
	}
	if res := e.send(http.MethodGet, "/nope", nil, "", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", res.StatusCode)
	}
}

// httptestRecorder sends a request without body to h and returns what it
// answered.
func httptestRecorder(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "http://leads.test"+path, nil))
	return rec
}

// The session cookie is Secure when the request came over TLS, or when
// LEADS_PUBLIC_URL is https: a TLS-terminating proxy in front talks plain
// HTTP to the service, and must not make the cookie travel in clear.
func TestCookieSecureFollowsPublicURL(t *testing.T) {
	st := openSQLite(t)
	seedBrowserData(t, st)
	demo := &Demo{Secret: testSecret, Accounts: map[auth.Role]auth.Principal{
		auth.RoleStudent: {UserID: "demo-student", Role: auth.RoleStudent, Name: ptr("Mercy Isaiah"), Email: ptr("mercy@example.com")},
	}}
	for _, tc := range []struct {
		publicURL string
		tls       bool
		secure    bool
	}{
		{"", false, false},
		{"http://127.0.0.1:8080", false, false},
		{"https://leads.example.org", false, true},
		{"", true, true},
	} {
		h := NewServer(Config{Store: st, Verifier: auth.NewVerifier(testSecret), Demo: demo, PublicURL: tc.publicURL}).Handler()
		for _, req := range []*http.Request{
			httptest.NewRequest(http.MethodGet, "http://leads.test/demo/login?as=student", nil),
			httptest.NewRequest(http.MethodPost, "http://leads.test/signout", nil),
		} {
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var c *http.Cookie
			for _, k := range rec.Result().Cookies() {
				if k.Name == accessCookie {
					c = k
				}
			}
			if c == nil {
				t.Fatalf("%s %s (public URL %q): no cookie set (status %d)", req.Method, req.URL.Path, tc.publicURL, rec.Code)
			}
			if c.Secure != tc.secure {
				t.Errorf("%s %s, public URL %q, TLS %v: Secure = %v, want %v", req.Method, req.URL.Path, tc.publicURL, tc.tls, c.Secure, tc.secure)
			}
		}
	}
}
