package web

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// The applicant's second pass (issue 12), in the browser: the payment plan
// reaches the staff, Finish ends on a readable reference and next steps, and
// a desktop's width is used.

// staffDetail returns the value the staff lead page's Details list gives
// label, or "" when it has no such row.
func (e *browserEnv) staffDetail(label string) string {
	e.t.Helper()
	return eval[string](e, fmt.Sprintf(`(function () {
		var dts = document.querySelectorAll('.details dl.summary dt');
		for (var i = 0; i < dts.length; i++) {
			if (dts[i].textContent.trim() === %q) return dts[i].nextElementSibling.textContent.trim();
		}
		return '';
	})()`, label))
}

// openStaffLead signs the browser in as the desk's staff member and opens the
// lead's page.
func (e *browserEnv) openStaffLead(id string) {
	e.t.Helper()
	e.signInAs(auth.Principal{UserID: deskStaff, Role: auth.RoleStaff, Name: ptr("Ada Staff")})
	e.open("/staff/leads/" + id)
	e.waitPage("/staff/leads/"+id, ".details dl.summary")
}

// toPaymentStep fills the onboarding's first two steps (a course chosen)
// and waits for the third, the payment plan.
func (e *browserEnv) toPaymentStep() {
	e.t.Helper()
	e.open("/onboarding")
	e.fillStep1(sampleStep1())
	e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("course")))
	e.choose("course", "web-dev")
	e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("plan-full")))
}

// TestBrowserPaymentPlanReachesTheStaff: the plan chosen on step 3 and saved
// with Save and Exit is stored with the lead and shown, in words, on the
// staff's page of the lead (and in the applicant's summary).
func TestBrowserPaymentPlanReachesTheStaff(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		e.toPaymentStep()
		e.do(chromedp.Click(chromedp.ID("plan-instalments")), chromedp.Click(chromedp.ID("save-exit")))
		e.waitJS("the saved dashboard", `location.pathname === "/dashboard" && document.querySelector('#app-state[data-state="saved"]')`)

		l := e.waitStore("the payment plan to be saved", func(l leads.Lead) bool { return l.PaymentPlan != nil })
		if *l.PaymentPlan != "instalments" || l.OnboardingStep != 3 || l.Status != leads.StatusPending {
			t.Errorf("lead after Save and Exit on step 3: plan %q, step %d, status %s; want instalments, 3, PENDING",
				*l.PaymentPlan, l.OnboardingStep, l.Status)
		}
		if summary := e.text("#dashboard dl.summary"); !strings.Contains(summary, "Pay in instalments") {
			t.Errorf("the applicant's summary does not give the plan in words: %q", summary)
		}

		e.openStaffLead(l.ID)
		if got := e.staffDetail("Payment plan"); got != "Pay in instalments" {
			t.Errorf("the staff's lead page gives the payment plan as %q, want %q", got, "Pay in instalments")
		}
	})
}

// refPattern is the shape of leads.ApplicationRef: ENR-XXXXX-XXXXX in
// Crockford's base 32.
var refPattern = regexp.MustCompile(`^ENR-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$`)

// uuidPattern finds a raw UUID in a page's text.
var uuidPattern = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestBrowserFinishShowsReferenceAndNextSteps: after Finish the applicant
// reads a reference (leads.ApplicationRef of the lead, not a raw UUID) and
// what happens next; the staff's page of the lead gives the same reference.
func TestBrowserFinishShowsReferenceAndNextSteps(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		e.toPaymentStep()
		e.do(chromedp.Click(chromedp.ID("plan-full")), chromedp.Click(chromedp.ID("finish")))
		e.waitJS("the completed dashboard", `location.pathname === "/dashboard" && document.querySelector('#app-state[data-state="completed"]')`)

		l := e.waitStore("the converted lead", func(l leads.Lead) bool { return l.Status == leads.StatusConverted })
		ref := leads.ApplicationRef(l.ID)
		if !refPattern.MatchString(ref) {
			t.Fatalf("leads.ApplicationRef(%s) = %q, not ENR-XXXXX-XXXXX", l.ID, ref)
		}
		if got := e.text("#reference"); got != ref {
			t.Errorf("the completed dashboard shows the reference %q, want %q", got, ref)
		}
		if !eval[bool](e, `(function () { var r = document.getElementById("reference").getBoundingClientRect(); return r.width > 0 && r.height > 0; })()`) {
			t.Error("the reference is not visible")
		}

		// The next steps: who calls, on which number, how soon, and the
		// reference to quote.
		e.waitJS("the next steps", `document.getElementById("next-steps") && document.querySelector("#next-steps ol.next-steps li")`)
		if got := e.text("#next-title"); got != "What happens next" {
			t.Errorf("the next-steps card is titled %q", got)
		}
		if !eval[bool](e, `document.getElementById("next-steps").getAttribute("aria-labelledby") === "next-title"`) {
			t.Error("the next-steps card is not named by its heading")
		}
		next := eval[string](e, `document.getElementById("next-steps").innerText`)
		for _, want := range []string{"Abuja Center", "08030000000", "within 24 hours", ref, "photo ID"} {
			if !strings.Contains(next, want) {
				t.Errorf("the next steps lack %q: %q", want, next)
			}
		}
		if n := eval[int](e, `document.querySelectorAll("#next-steps ol.next-steps li").length`); n < 2 {
			t.Errorf("the next steps list %d step(s), want at least 2", n)
		}
		if strings.Contains(next, "Continue whenever you are ready") {
			t.Error("the completed dashboard still gives the unfinished application's next steps")
		}
		if raw := uuidPattern.FindString(eval[string](e, `document.body.innerText`)); raw != "" {
			t.Errorf("the completed dashboard shows a raw UUID (%s) to the applicant", raw)
		}
		if eval[bool](e, `document.getElementById("continue") !== null`) {
			t.Error("the completed dashboard still offers to continue the form")
		}
		e.fitsPhone("the completed dashboard")

		e.openStaffLead(l.ID)
		if got := e.staffDetail("Reference"); got != ref {
			t.Errorf("the staff's lead page gives the reference %q, want %q", got, ref)
		}
		if got := e.staffDetail("Payment plan"); got != "Pay in full" {
			t.Errorf("the staff's lead page gives the payment plan %q, want %q", got, "Pay in full")
		}
	})
}

// layoutAt checks the applicant's page at the window's width: at a desktop's
// (60rem and wider) the page uses it, with the steps in a column beside a
// wide form on /onboarding and the two cards side by side on /dashboard; at a
// phone's, one column. It knows the page by its root element; other pages
// are left alone.
func (e *browserEnv) layoutAt(where string) {
	e.t.Helper()
	type box struct{ Left, Right, Top, Bottom, Width float64 }
	rect := func(sel string) (box, bool) {
		ok := eval[bool](e, fmt.Sprintf(`(function () { var el = document.querySelector(%q); return !!el && el.getBoundingClientRect().width > 0; })()`, sel))
		if !ok {
			return box{}, false
		}
		return eval[box](e, fmt.Sprintf(`(function () { var r = document.querySelector(%q).getBoundingClientRect();
			return {Left: r.left, Right: r.right, Top: r.top, Bottom: r.bottom, Width: r.width}; })()`, sel)), true
	}
	width := eval[float64](e, `window.innerWidth`)
	desktop := eval[bool](e, `matchMedia("(min-width: 60rem)").matches`)
	main, _ := rect("main")

	switch {
	case eval[bool](e, `document.getElementById("app") !== null`):
		form, okForm := rect("#onboarding")
		steps, okSteps := rect("#app .progress")
		if !okForm || !okSteps {
			e.t.Errorf("%s: the form or its steps are not shown", where)
			return
		}
		if desktop {
			if main.Width < 0.75*width {
				e.t.Errorf("%s: the main column is %.0f px of a %.0f px window: a narrow column in a wide page", where, main.Width, width)
			}
			if form.Width < 700 {
				e.t.Errorf("%s: the form is %.0f px wide at a desktop's width, want at least 700", where, form.Width)
			}
			if steps.Right > form.Left || steps.Top >= form.Bottom {
				e.t.Errorf("%s: the steps (%+v) are not a column beside the form (%+v)", where, steps, form)
			}
		} else if steps.Bottom > form.Top {
			e.t.Errorf("%s: at a phone's width the steps (%+v) are not above the form (%+v)", where, steps, form)
		}
	case eval[bool](e, `document.getElementById("dashboard") !== null && document.getElementById("next-steps") !== null`):
		status, _ := rect(`#dashboard section[aria-labelledby="status-title"]`)
		next, _ := rect("#next-steps")
		if desktop {
			if main.Width < 0.75*width {
				e.t.Errorf("%s: the main column is %.0f px of a %.0f px window: a narrow column in a wide page", where, main.Width, width)
			}
			if status.Width+next.Width < 700 {
				e.t.Errorf("%s: the two cards take %.0f px together at a desktop's width, want at least 700", where, status.Width+next.Width)
			}
			if status.Right > next.Left || next.Top >= status.Bottom {
				e.t.Errorf("%s: the application (%+v) and the next steps (%+v) are not side by side", where, status, next)
			}
		} else if status.Bottom > next.Top {
			e.t.Errorf("%s: at a phone's width the next steps (%+v) are not below the application (%+v)", where, next, status)
		}
	}
}
