package web

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		if deref(l.PaymentPlan) != "instalments" {
			t.Errorf("lead after Finish: payment plan %q, want the instalments chosen on step 3", deref(l.PaymentPlan))
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
	if perr.Fields[0].Message != "must be a valid email address" {
		t.Fatalf("the server's message changed (%q): teach onboarding.js's voice() the new one", perr.Fields[0].Message)
	}
	// The page says the server's reason in its own voice.
	const want = "Enter an email address like name@example.com."

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
			t.Errorf("error beside the guardian email: %q, want the server's reason as %q (the page says %q; the field can only be named "+
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

	// Save and Exit with the network gone, then back.
	e.open("/onboarding")
	e.waitServiceWorker()
	e.offline(true)
	e.do(chromedp.Click(chromedp.ID("save-exit")))
	e.waitJS("the offline dashboard", `document.getElementById("offline-state") !== null`)
	shot("5-offline-dashboard")
	e.offline(false)
	e.waitJS("the dashboard", `document.querySelector('#app-state[data-state="saved"]')`)

	e.open("/onboarding")
	e.do(chromedp.Click(chromedp.ID("finish")))
	e.waitJS("the completed dashboard", `document.querySelector('#app-state[data-state="completed"]')`)
	shot("6-dashboard-completed")

	// A desktop uses its width.
	e.do(chromedp.EmulateViewport(1280, 860))
	e.open("/onboarding") // at step 3, where Finish left it
	e.do(chromedp.Click(chromedp.ID("back")), chromedp.WaitVisible(chromedp.ID("course")))
	e.waitJS("the course cards", `document.querySelector('#course-list li')`)
	shot("7-desktop-course")
	e.open("/dashboard")
	shot("8-desktop-dashboard")
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

// TestBrowserInlineValidation: an error shows only on a field the applicant
// can act on, clears as soon as the field is right (no button press), and
// every message speaks in one voice: a sentence that says what to do.
func TestBrowserInlineValidation(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		e.open("/onboarding")
		errorOf := func(id string) string {
			return eval[string](e, `document.getElementById("`+id+`-error").textContent`)
		}
		invalid := func(id string) bool {
			return eval[bool](e, `document.getElementById("`+id+`").getAttribute("aria-invalid") === "true"`)
		}
		voice := func(msg string) {
			t.Helper()
			if msg == "" || strings.ToUpper(msg[:1]) != msg[:1] || !strings.HasSuffix(msg, ".") || strings.HasPrefix(msg, "must") {
				t.Errorf("message %q is not in the page's voice (a sentence saying what to do)", msg)
			}
		}

		e.do(chromedp.Click(chromedp.ID("next")))
		if msg := errorOf("trainingLocation"); msg != "Choose where you want to train." {
			t.Errorf("no location: error %q", msg)
		}
		if msg := errorOf("centre"); msg != "" || invalid("centre") {
			t.Errorf("an error %q on the centre list, still disabled: the applicant cannot act on it", msg)
		}

		e.choose("trainingLocation", "fct")
		if msg := errorOf("trainingLocation"); msg != "" || invalid("trainingLocation") {
			t.Errorf("the location error stays after choosing one: %q", msg)
		}
		if got := eval[bool](e, `document.getElementById("form-status").hidden || document.getElementById("form-status").textContent === ""`); !got {
			t.Error("the form's status still asks for corrections when none are left")
		}
		e.do(chromedp.Click(chromedp.ID("next")))
		voice(errorOf("centre"))
		e.choose("centre", "abuja-center")
		if msg := errorOf("centre"); msg != "" {
			t.Errorf("the centre error stays after choosing one: %q", msg)
		}

		e.do(
			chromedp.Click(chromedp.ID("hasGuardian")),
			chromedp.WaitVisible(chromedp.ID("guardianEmail")),
			chromedp.SendKeys(chromedp.ID("guardianEmail"), "grace@"),
			chromedp.Click(chromedp.ID("next")),
		)
		voice(errorOf("guardianEmail"))
		if !invalid("guardianEmail") {
			t.Error("a bad guardian email is not marked invalid")
		}
		e.do(chromedp.SendKeys(chromedp.ID("guardianEmail"), "example"))
		if msg := errorOf("guardianEmail"); msg == "" {
			t.Error("grace@example is still not an address the server takes: the error must stay, with its reason")
		}
		e.do(chromedp.SendKeys(chromedp.ID("guardianEmail"), ".com"))
		if msg := errorOf("guardianEmail"); msg != "" || invalid("guardianEmail") {
			t.Errorf("the e-mail error stays once the address is right: %q", msg)
		}

		// The course step shows what a person chooses by; a card picks its course.
		e.do(chromedp.Click(chromedp.ID("next")))
		e.waitJS("the course list", `document.querySelector('#course-list li[data-course="web-dev"]')`)
		card := eval[string](e, `document.querySelector('#course-list li[data-course="web-dev"]').innerText`)
		for _, want := range []string{"Web Development", "Build and publish websites", "12 weeks, weekdays", "₦180,000"} {
			if !strings.Contains(card, want) {
				t.Errorf("the course card lacks %q: %q", want, card)
			}
		}
		e.do(chromedp.Click(chromedp.CSS(`#course-list li[data-course="web-dev"]`)))
		if got := eval[string](e, `document.getElementById("course").value`); got != "web-dev" {
			t.Errorf("clicking a course card chose %q", got)
		}
		if !eval[bool](e, `document.querySelector('#course-list li[data-course="web-dev"]').classList.contains("chosen")`) {
			t.Error("the chosen course's card is not marked")
		}
		e.do(chromedp.Click(chromedp.ID("next")), chromedp.Click(chromedp.ID("finish")))
		voice(eval[string](e, `document.getElementById("paymentPlan-error").textContent`))
		e.do(chromedp.Click(chromedp.ID("plan-instalments")))
		if msg := eval[string](e, `document.getElementById("paymentPlan-error").textContent`); msg != "" {
			t.Errorf("the payment plan error stays once one is chosen: %q", msg)
		}
	})
}
