package web

import (
	"context"
	"fmt"
	"time"

	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/leads/leads/internal/auth"
)

// signInAs sets the browser's session cookie to a token for p.
func (e *browserEnv) signInAs(p auth.Principal) {
	e.t.Helper()
	tok, err := auth.Mint(testSecret, p, time.Hour, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	e.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
			Name: "accessToken", Value: tok, URL: e.base, Path: "/", HTTPOnly: new(true), SameSite: network.CookieSameSiteLax,
		})
		return err
	}))
}

// TestBrowserAxeEveryPage runs axe-core on every page, the applicant's and
// the staff's, in the states a person meets them (errors shown, a course
// chosen, completed, offline), at 360 px and at 1280 px: no serious or
// critical violation anywhere.
func TestBrowserAxeEveryPage(t *testing.T) {
	for _, width := range []int64{360, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			st := openSQLite(t)
			e := newBrowserEnv(t, st)
			all := seedDesk(t, st, 4)
			e.do(chromedp.EmulateViewport(width, 900))
			check := func(where string) {
				t.Helper()
				e.checkA11y(fmt.Sprintf("%s at %d px", where, width))
				e.fitsWidth(fmt.Sprintf("%s at %d px", where, width))
			}

			e.open("/dashboard")
			check("the dashboard before any save")
			e.open("/onboarding")
			e.do(chromedp.Click(chromedp.ID("next")))
			check("step 1 with an error shown")
			e.fillStep1(sampleStep1())
			e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("course")))
			e.choose("course", "web-dev")
			check("step 2 with a course chosen")
			e.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("plan-full")), chromedp.Click(chromedp.ID("finish")))
			check("step 3 with an error shown")
			e.do(chromedp.Click(chromedp.ID("plan-full")), chromedp.Click(chromedp.ID("save-exit")))
			e.waitJS("the saved dashboard", `document.querySelector('#app-state[data-state="saved"]')`)
			check("the dashboard after Save and Exit")
			e.open("/offline")
			check("the offline page")
			e.open("/onboarding")
			e.do(chromedp.Click(chromedp.ID("finish")))
			e.waitJS("the completed dashboard", `document.querySelector('#app-state[data-state="completed"]')`)
			check("the dashboard after Finish")
			e.open("/staff")
			check("the forbidden page")

			e.signInAs(auth.Principal{UserID: deskStaff, Role: auth.RoleStaff, Name: ptr("Ada Staff")})
			e.open("/staff")
			check("the leads table")
			e.open("/staff?status=PENDING&q=ad")
			check("the leads table, filtered")
			e.open("/staff/leads/" + all[0].ID)
			check("a lead's page")
			e.open("/staff/stats")
			check("the conversion page")
			e.open("/staff/leads/01a23703-0000-7000-8000-000000000000")
			check("a lead that does not exist")

			e.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "accessToken", URL: e.base})
				return err
			}))
			e.open("/dashboard")
			check("the sign-in page")
			e.open("/unsubscribe?lead=x&token=y")
			check("an unsubscribe link that is not right")
		})
	}
}
