package web

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/leads/leads/internal/leads"
)

// forEachBrowserEngine runs fn against each storage engine, one at a time: a
// browser per subtest is heavy for a small machine.
func forEachBrowserEngine(t *testing.T, fn func(t *testing.T, e *browserEnv)) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) { fn(t, newBrowserEnv(t, eng.open(t))) })
	}
}

const (
	formKey    = "'onboarding-form:" + browserUser + "'"
	pendingKey = "'onboarding-pending:" + browserUser + "'"
)

func TestBrowserSaveAndExitStoresEveryField(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		s := sampleStep1()
		e.open("/onboarding")
		e.fillStep1(s)
		e.do(chromedp.Click(chromedp.ID("save-exit")))

		e.waitJS("the dashboard", `location.pathname === "/dashboard" && document.getElementById("app-state")`)
		l, err := e.store.LeadByUser(context.Background(), browserUser)
		if err != nil {
			t.Fatalf("no lead after Save and Exit: %v", err)
		}
		checkStep1(t, l, s)
		if l.OnboardingStep != 1 || l.Status != leads.StatusPending {
			t.Errorf("lead step %d status %s, want 1 PENDING", l.OnboardingStep, l.Status)
		}
		if got := eval[string](e, `document.getElementById("app-state").dataset.state + "/" + document.getElementById("app-state").dataset.step`); got != "saved/1" {
			t.Errorf("dashboard state %q, want saved/1", got)
		}
		if eval[bool](e, `localStorage.getItem(`+pendingKey+`) !== null`) {
			t.Error("a pending save is left after a successful save")
		}
		local := eval[string](e, `JSON.parse(localStorage.getItem(`+formKey+`)).profile.guardianEmail`)
		if local != s.guardianEmail {
			t.Errorf("localStorage form guardianEmail %q, want %q", local, s.guardianEmail)
		}
	})
}

func TestBrowserResumeFromServerWhenLocalStorageIsEmpty(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		s := sampleStep1()
		e.open("/onboarding")
		e.fillStep1(s)
		e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("course")))
		e.choose("course", "digital-marketing")
		e.do(chromedp.Click(chromedp.ID("save-exit")))
		e.waitJS("the dashboard", `location.pathname === "/dashboard" && document.getElementById("app-state")`)
		e.waitStore("the step-2 save", func(l leads.Lead) bool { return l.OnboardingStep == 2 })

		// Another device, or a cleared browser.
		e.do(chromedp.Evaluate[chromedp.Void](`localStorage.clear()`))
		e.open("/onboarding")

		if !eval[bool](e, `!document.querySelector('section[data-step="2"]').hidden && document.querySelector('section[data-step="1"]').hidden`) {
			t.Error("step 2 is not the step shown after resume")
		}
		values := map[string]string{
			"trainingLocation": s.location, "centre": s.centre, "studentAddress": s.address,
			"guardianName": s.guardianName, "guardianPhone": s.guardianPhone,
			"guardianEmail": s.guardianEmail, "guardianAddress": s.guardianAddress,
			"course": "digital-marketing",
		}
		for id, want := range values {
			if got := eval[string](e, fmt.Sprintf(`document.getElementById(%q).value`, id)); got != want {
				t.Errorf("#%s = %q after resume, want %q", id, got, want)
			}
		}
		if !eval[bool](e, `document.getElementById("hasGuardian").checked && !document.getElementById("guardian").hidden`) {
			t.Error("the guardian is not restored")
		}
	})
}

func TestBrowserPendingSaveIsSentOnTheNextVisit(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		s := sampleStep1()
		e.failSaves.Store(1)
		e.open("/onboarding")
		e.fillStep1(s)
		e.do(chromedp.Click(chromedp.ID("save-exit")))

		// The save failed (503): the page still goes to the dashboard, which
		// sends the pending save again.
		e.waitJS("the dashboard", `location.pathname === "/dashboard"`)
		l := e.waitStore("the retried save", func(leads.Lead) bool { return true })
		checkStep1(t, l, s)
		if n := e.saves.Load(); n < 2 {
			t.Errorf("%d save requests, want the failed one and a retry", n)
		}
		e.waitJS("the pending save to be cleared and the dashboard to show it",
			`localStorage.getItem(`+pendingKey+`) === null && document.querySelector('#app-state[data-state="saved"]')`)
	})
}

func TestBrowserFinishConvertsTheLead(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		s := sampleStep1()
		e.open("/onboarding")
		e.fillStep1(s)
		e.fitsPhone("step 1")
		e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("course")))
		e.choose("course", "web-dev")
		e.fitsPhone("step 2")
		e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("plan-instalments")))
		e.fitsPhone("step 3")
		e.do(chromedp.Click(chromedp.ID("plan-instalments")), chromedp.Click(chromedp.ID("finish")))
		e.waitJS("the completed dashboard", `location.pathname === "/dashboard" && document.querySelector('#app-state[data-state="completed"]')`)
		e.fitsPhone("the dashboard")

		l, err := e.store.LeadByUser(context.Background(), browserUser)
		if err != nil {
			t.Fatalf("no lead after Finish: %v", err)
		}
		if l.Status != leads.StatusConverted || l.ConvertedToStudentID == nil || *l.ConvertedToStudentID == "" || l.ConvertedAt == nil {
			t.Errorf("lead after Finish: status %s, student %v, convertedAt %v; want CONVERTED with both", l.Status, deref(l.ConvertedToStudentID), l.ConvertedAt)
		}
		if l.CourseID == nil || *l.CourseID != "web-dev" || l.OnboardingStep != 3 {
			t.Errorf("lead after Finish: course %v step %d, want web-dev at step 3", deref(l.CourseID), l.OnboardingStep)
		}
		checkStep1(t, l, s)
		if eval[bool](e, `localStorage.getItem(`+formKey+`) !== null || localStorage.getItem(`+pendingKey+`) !== null`) {
			t.Error("the finished form is still in localStorage")
		}
	})
}

func TestBrowserServerFieldErrorShownBesideTheField(t *testing.T) {
	const bad = "guardian@example"
	// The message the server gives for this address, from the domain's own rule.
	_, err := leads.ParseOnboarding([]byte(`{"profile":{"guardianEmail":"` + bad + `"}}`))
	var perr *leads.Error
	if !errors.As(err, &perr) || len(perr.Fields) != 1 {
		t.Fatalf("the domain accepts %q as a guardian email (%v); pick another", bad, err)
	}
	want := perr.Fields[0].Message

	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		e.open("/onboarding")
		// Switch the client-side check off, so the server's answer is what shows.
		e.do(
			chromedp.Evaluate[chromedp.Void](`window.leadsSave.validEmail = function () { return true; }`),
			chromedp.Click(chromedp.ID("hasGuardian")),
			chromedp.WaitVisible(chromedp.ID("guardianEmail")),
			chromedp.SendKeys(chromedp.ID("guardianEmail"), bad),
			chromedp.Click(chromedp.ID("save-exit")),
		)
		// The server has answered once the page no longer says it is saving.
		e.waitJS("the answer to the save", `!document.getElementById("form-status").hidden && document.getElementById("onboarding").getAttribute("aria-busy") === "false"`)

		if got := eval[string](e, `document.getElementById("guardianEmail-error").textContent`); got != want {
			status := eval[string](e, `document.getElementById("form-status").textContent`)
			t.Errorf("error beside the guardian email: %q, want the server's %q (the page says %q; the field can only be named "+
				"when POST /api/onboarding/save-lead answers the field errors as \"errors\")", got, want, status)
		}
		if got := eval[string](e, `document.getElementById("guardianEmail").getAttribute("aria-invalid") || ""`); got != "true" {
			t.Errorf("guardian email aria-invalid = %q, want true", got)
		}
		if !eval[bool](e, `document.getElementById("guardianEmail").getAttribute("aria-describedby").split(" ").indexOf("guardianEmail-error") >= 0`) {
			t.Error("the guardian email is not described by its error")
		}
		if got := eval[string](e, `location.pathname`); got != "/onboarding" {
			t.Errorf("the page went to %s after a refused save; want it to stay on /onboarding", got)
		}
		if eval[bool](e, `localStorage.getItem(`+pendingKey+`) !== null`) {
			t.Error("a refused save is kept as pending; it would be retried for ever")
		}
		if _, err := e.store.LeadByUser(context.Background(), browserUser); !errors.Is(err, leads.ErrLeadNotFound) {
			t.Errorf("a lead was saved from a refused body (err %v)", err)
		}
	})
}

// TestBrowserScreenshots writes the screenshots of docs/screenshots at phone
// width. It runs only when LEADS_SCREENSHOTS names the folder, e.g.
// LEADS_SCREENSHOTS=docs/screenshots (relative to the repository root).
func TestBrowserScreenshots(t *testing.T) {
	dir := os.Getenv("LEADS_SCREENSHOTS")
	if dir == "" {
		t.Skip("set LEADS_SCREENSHOTS=docs/screenshots to regenerate the screenshots")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir) // this package is internal/web
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newBrowserEnv(t, openSQLite(t))
	shot := func(name string) {
		t.Helper()
		e.do(chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`))
		ctx, cancel := context.WithTimeout(e.ctx, stepTimeout)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	e.open("/dashboard")
	shot("0-dashboard-start")
	e.open("/onboarding")
	e.fillStep1(sampleStep1())
	shot("1-step-details")
	e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("course")))
	e.choose("course", "digital-marketing")
	shot("2-step-course")
	e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("plan-full")), chromedp.Click(chromedp.ID("plan-full")))
	shot("3-step-payment")
	e.do(chromedp.Click(chromedp.ID("save-exit")))
	e.waitJS("the dashboard", `document.querySelector('#app-state[data-state="saved"]')`)
	shot("4-dashboard-saved")
	e.open("/onboarding")
	e.do(chromedp.Click(chromedp.ID("finish")))
	e.waitJS("the completed dashboard", `document.querySelector('#app-state[data-state="completed"]')`)
	shot("5-dashboard-completed")
}

func TestBrowserKeyboardOnly(t *testing.T) {
	e := newBrowserEnv(t, openSQLite(t))
	e.open("/onboarding")
	e.tabTo("trainingLocation")
	e.do(chromedp.KeyEvent(kb.ArrowDown))
	e.waitJS("the centres of the chosen location", `document.querySelector('#centre option[value="abuja-center"]') && !document.getElementById("centre").disabled`)
	e.tabTo("centre")
	e.do(chromedp.KeyEvent(kb.ArrowDown))
	e.tabTo("studentAddress")
	e.do(chromedp.KeyEvent("7 Keyboard Close"))
	e.tabTo("hasGuardian")
	e.do(chromedp.KeyEvent(" "))
	e.tabTo("guardianName")
	e.do(chromedp.KeyEvent("Kay Board"))
	e.tabTo("save-exit")
	e.do(chromedp.KeyEvent(kb.Enter))

	e.waitJS("the dashboard", `location.pathname === "/dashboard" && document.getElementById("app-state")`)
	l := e.waitStore("the keyboard save", func(leads.Lead) bool { return true })
	if deref(l.TrainingLocation) != "fct" || deref(l.CenterID) != "abuja-center" || deref(l.StudentAddress) != "7 Keyboard Close" ||
		!l.HasGuardian || deref(l.GuardianName) != "Kay Board" {
		t.Errorf("lead saved by keyboard: %+v", l)
	}
}
