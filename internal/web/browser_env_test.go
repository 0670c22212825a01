package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/testdb"
)

// browserUser is the signed-in applicant of the browser tests.
const browserUser = "stu-browser"

// stepTimeout bounds every browser step after the browser has started.
const stepTimeout = 20 * time.Second

// chromiumPath finds a Chromium or Chrome binary, or returns "".
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserEnv is the real server over a fresh store, on a loopback port, and a
// headless Chromium tab at phone width signed in as browserUser.
type browserEnv struct {
	t     *testing.T
	store leads.Store
	base  string
	ctx   context.Context
	// failSaves is how many of the next POST /api/onboarding/save-lead requests
	// are answered 503 before reaching the server; saves counts them all.
	failSaves atomic.Int32
	saves     atomic.Int32
	// noScript is set when the page's JavaScript is off.
	noScript bool
	// handler is the server behind base; deploy replaces it.
	handler atomic.Pointer[http.Handler]
	// cut drops every connection, as a network gone would: the page's
	// requests and its service worker's alike.
	cut atomic.Bool
}

// deploy replaces the server behind the browser's address by one with cfg
// (over the same store), as a new release would.
func (e *browserEnv) deploy(cfg Config) {
	cfg.Store, cfg.Verifier = e.store, auth.NewVerifier(testSecret)
	h := NewServer(cfg).Handler()
	e.handler.Store(&h)
}

// newBrowserEnv starts the server and the browser; both stop when the test
// ends. It skips the test when no Chromium is installed, unless
// LEADS_REQUIRE names browser (CI), where that is a failure.
func newBrowserEnv(t *testing.T, st leads.Store) *browserEnv {
	t.Helper()
	return newBrowserEnvAs(t, st, auth.Principal{
		UserID: browserUser, Role: auth.RoleStudent, Name: ptr("Ada Obi"), Email: ptr("ada.obi@example.com"),
	})
}

// newBrowserEnvAs is newBrowserEnv signed in as p.
func newBrowserEnvAs(t *testing.T, st leads.Store, p auth.Principal) *browserEnv {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		testdb.Skip(t, "browser", "no Chromium binary found (install Debian's chromium to run it)")
	}
	seedBrowserData(t, st)

	e := &browserEnv{t: t, store: st}
	e.deploy(Config{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/onboarding/save-lead" {
			e.saves.Add(1)
			if e.failSaves.Load() > 0 && e.failSaves.Add(-1) >= 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, `{"error":"Service Unavailable"}`)
				return
			}
		}
		if e.cut.Load() {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		(*e.handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.base = ts.URL

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(360, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first Run starts the browser and binds its life to ctx: no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	e.ctx = ctx
	// Every uncaught exception or unhandled rejection of the pages fails the test.
	var mu sync.Mutex
	var exceptions []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				exceptions = append(exceptions, m.String())
				mu.Unlock()
			}
		}
	}()
	// Registered after the browser's cleanup, so it runs first, while the tab lives.
	t.Cleanup(func() {
		mu.Lock()
		for _, x := range exceptions {
			t.Errorf("JavaScript exception in the page: %s", x)
		}
		mu.Unlock()
		if t.Failed() {
			e.screenshot()
		}
	})

	tok, err := auth.Mint(testSecret, p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.do(
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
				Name: "accessToken", Value: tok, URL: ts.URL, Path: "/",
				HTTPOnly: new(true), SameSite: network.CookieSameSiteLax,
			})
			return err
		}),
	)
	return e
}

// seedBrowserData writes the applicant and a small catalogue.
func seedBrowserData(t *testing.T, st leads.Store) {
	t.Helper()
	ctx := context.Background()
	for _, err := range []error{
		second(st.PutUser(ctx, leads.User{ID: browserUser, FullName: "Ada Obi", Email: "ada.obi@example.com", Phone: ptr("08030000000")}, leads.Timestamp(time.Now()))),
		second(st.PutLocation(ctx, leads.Location{ID: "fct", Name: "FCT Abuja"})),
		second(st.PutLocation(ctx, leads.Location{ID: "lagos", Name: "Lagos"})),
		second(st.PutCenter(ctx, leads.Center{ID: "abuja-center", Name: "Abuja Center", LocationID: ptr("fct")})),
		second(st.PutCenter(ctx, leads.Center{ID: "garki-center", Name: "Garki Center", LocationID: ptr("fct")})),
		second(st.PutCenter(ctx, leads.Center{ID: "lagos-center", Name: "Lagos Center", LocationID: ptr("lagos")})),
		second(st.PutCourse(ctx, leads.Course{ID: "web-dev", Name: "Web Development", CenterID: ptr("abuja-center"),
			Description: ptr("Build and publish websites with HTML, CSS and JavaScript."), Duration: ptr("12 weeks, weekdays"), Fee: ptr("₦180,000")})),
		second(st.PutCourse(ctx, leads.Course{ID: "digital-marketing", Name: "Digital Marketing Course", CenterID: ptr("abuja-center"),
			Description: ptr("Social media, search and e-mail campaigns for small businesses."), Duration: ptr("8 weeks, evenings"), Fee: ptr("₦95,000")})),
		second(st.PutCourse(ctx, leads.Course{ID: "solar", Name: "Solar Installation", CenterID: ptr("lagos-center")})),
	} {
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// screenshot saves the tab to a file outside the test's temp dir (which is
// removed) and logs where.
func (e *browserEnv) screenshot() {
	name := strings.NewReplacer("/", "-", " ", "_").Replace(e.t.Name())
	path := filepath.Join(os.TempDir(), "leads-browser-"+name+".png")
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		e.t.Logf("screenshot on failure: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		e.t.Logf("screenshot on failure: %v", err)
		return
	}
	e.t.Logf("screenshot of the failure: %s", path)
}

// do runs steps with a bounded time, failing the test on error.
func (e *browserEnv) do(steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		e.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](e *browserEnv, expr string) T {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		e.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until expr is true in the page. It polls from Go, so a
// navigation in between (which destroys the page's context) is no error.
func (e *browserEnv) waitJS(what, expr string) {
	e.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s (%s); last error: %v", what, expr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitStore waits until the applicant's lead satisfies ok, and returns it.
func (e *browserEnv) waitStore(what string, ok func(leads.Lead) bool) leads.Lead {
	e.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		l, err := e.store.LeadByUser(context.Background(), browserUser)
		if err == nil && ok(l) {
			return l
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s; last lead %+v, error %v", what, l, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// open loads path; for /onboarding it waits until the form is restored.
func (e *browserEnv) open(path string) {
	e.t.Helper()
	e.do(chromedp.Navigate(e.base + path))
	if path == "/onboarding" {
		e.waitJS("the onboarding form to be ready", `document.querySelector('#app[data-ready="true"]')`)
	}
}

// choose picks an option of a select as a user does (the change event fires),
// waiting for the option to be loaded first.
func (e *browserEnv) choose(id, value string) {
	e.t.Helper()
	e.waitJS("option "+value+" of #"+id, fmt.Sprintf(`document.querySelector('#%s option[value=%q]')`, id, value))
	e.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(function(){var s=document.getElementById(%q); s.focus(); s.value=%q; s.dispatchEvent(new Event('change',{bubbles:true}));})()`, id, value)))
}

// step1 is what the tests type into step 1.
type step1 struct {
	location, centre, address                  string
	guardianName, guardianPhone, guardianEmail string
	guardianAddress                            string
}

func sampleStep1() step1 {
	return step1{
		location: "fct", centre: "abuja-center", address: "12 Aminu Kano Crescent, Wuse 2, Abuja",
		guardianName: "John Obi", guardianPhone: "08012345678",
		guardianEmail: "john.obi@example.com", guardianAddress: "4 Ahmadu Bello Way, Garki, Abuja",
	}
}

// fillStep1 fills step 1 by keyboard and clicks, with a guardian.
func (e *browserEnv) fillStep1(s step1) {
	e.t.Helper()
	e.choose("trainingLocation", s.location)
	e.choose("centre", s.centre)
	e.do(
		chromedp.SendKeys(chromedp.ID("studentAddress"), s.address),
		chromedp.Click(chromedp.ID("hasGuardian")),
		chromedp.WaitVisible(chromedp.ID("guardianName")),
		chromedp.SendKeys(chromedp.ID("guardianName"), s.guardianName),
		chromedp.SendKeys(chromedp.ID("guardianPhone"), s.guardianPhone),
		chromedp.SendKeys(chromedp.ID("guardianEmail"), s.guardianEmail),
		chromedp.SendKeys(chromedp.ID("guardianAddress"), s.guardianAddress),
	)
}

// checkStep1 fails unless l holds everything s entered.
func checkStep1(t *testing.T, l leads.Lead, s step1) {
	t.Helper()
	for _, c := range []struct {
		field string
		got   *string
		want  string
	}{
		{"trainingLocation", l.TrainingLocation, s.location},
		{"trainingLocationName", l.TrainingLocationName, "FCT Abuja"},
		{"centerId", l.CenterID, s.centre},
		{"centerName", l.CenterName, "Abuja Center"},
		{"studentAddress", l.StudentAddress, s.address},
		{"guardianName", l.GuardianName, s.guardianName},
		{"guardianPhone", l.GuardianPhone, s.guardianPhone},
		{"guardianEmail", l.GuardianEmail, s.guardianEmail},
		{"guardianAddress", l.GuardianAddress, s.guardianAddress},
	} {
		if c.got == nil || *c.got != c.want {
			t.Errorf("lead %s = %v, want %q", c.field, deref(c.got), c.want)
		}
	}
	if !l.HasGuardian {
		t.Errorf("lead hasGuardian = false, want true")
	}
	if l.Source != leads.DefaultSource {
		t.Errorf("lead source = %q, want %q", l.Source, leads.DefaultSource)
	}
}

// tabTo presses Tab until the element with id has the focus, as a keyboard
// user does; it fails when that takes more than a page's worth of stops.
func (e *browserEnv) tabTo(id string) {
	e.t.Helper()
	for range 40 {
		if eval[string](e, `document.activeElement ? document.activeElement.id : ""`) == id {
			return
		}
		e.do(chromedp.KeyEvent(kb.Tab))
	}
	e.t.Fatalf("#%s cannot be reached with the Tab key", id)
}

// fitsPhone fails when the page scrolls sideways at the phone width.
func (e *browserEnv) fitsPhone(where string) {
	e.t.Helper()
	if w := eval[int](e, `document.documentElement.scrollWidth`); w > 360 {
		e.t.Errorf("%s is %d px wide, wider than the 360 px screen", where, w)
	}
}
