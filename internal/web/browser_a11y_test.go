package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/notify"
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

// brokenLeadStore is a store whose applicant's lead cannot be read: the
// dashboard answers its error page.
type brokenLeadStore struct{ leads.Store }

func (brokenLeadStore) LeadByUser(context.Context, string) (leads.Lead, error) {
	return leads.Lead{}, errors.New("the database is gone")
}

// startMail works st's job queue into box, as the demo does (leads serve
// --demo), until the test ends.
func (e *browserEnv) startMail(st leads.Store, box *notify.Mailbox) {
	e.t.Helper()
	startWorkers(e.t, notify.Config{Store: st, Mailer: box, From: "Enrolment <no-reply@leads.test>",
		Desk: "desk@leads.test", PublicURL: e.base})
}

// startWorkers works cfg.Store's job queue with the notify workers, as leads
// serve wires them, until the test ends.
func startWorkers(t testing.TB, cfg notify.Config) {
	t.Helper()
	js, ok := cfg.Store.(interface {
		StartJobs(context.Context, *river.Workers, []*river.PeriodicJob, *slog.Logger) (func(context.Context) error, error)
	})
	if !ok {
		t.Fatalf("the store %T has no job queue", cfg.Store)
	}
	workers, periodic := notify.Workers(cfg)
	stop, err := js.StartJobs(context.Background(), workers, periodic, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stop(ctx)
	})
}

// waitMail waits until box holds an e-mail to the address, and returns it.
func (e *browserEnv) waitMail(box *notify.Mailbox, to string) notify.Message {
	e.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		for _, m := range box.Messages() {
			if m.To == to {
				return m
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for an e-mail to %s; the mailbox holds %d", to, len(box.Messages()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserAxeEveryPage runs axe-core on every page, the applicant's and
// the staff's, the demo's mailbox and the e-mail links' pages, in the states
// a person meets them (errors shown, a course chosen, completed, offline,
// refused, failed), at 360 px and at 1280 px: no serious or critical
// violation anywhere, nothing wider than the window, and the applicant's
// pages laid out for the width (layoutAt).
func TestBrowserAxeEveryPage(t *testing.T) {
	for _, width := range []int64{360, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			st := openSQLite(t)
			e := newBrowserEnv(t, st)
			box := notify.NewMailbox(50)
			e.deploy(Config{Mailbox: box})
			e.startMail(st, box)
			all := seedDesk(t, st, 4)
			e.do(chromedp.EmulateViewport(width, 900))
			check := func(where string) {
				t.Helper()
				e.checkA11y(fmt.Sprintf("%s at %d px", where, width))
				e.fitsWidth(fmt.Sprintf("%s at %d px", where, width))
				e.layoutAt(fmt.Sprintf("%s at %d px", where, width))
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

			// The generic error page: the dashboard cannot read the lead.
			healthy := e.handler.Load()
			broken := NewServer(Config{Store: brokenLeadStore{st}, Verifier: auth.NewVerifier(testSecret)}).Handler()
			e.handler.Store(&broken)
			e.open("/dashboard")
			if got := e.text("h1"); got != "Something went wrong" {
				t.Errorf("the dashboard over a broken store says %q", got)
			}
			check("the error page")
			e.handler.Store(healthy)

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
			// A page path's query that breaks the text rule: the message page.
			e.open("/dashboard?q=%00")
			if got := e.text("h1"); got != http.StatusText(http.StatusBadRequest) {
				t.Errorf("a NUL in the query of a page: the page says %q", got)
			}
			check("the message page of a refused query")

			// A nudge's unsubscribe link, as it came, and after the click.
			key, err := st.Secret(context.Background(), "unsubscribe", 32, leads.Timestamp(time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			link, err := url.Parse(notify.UnsubscribeURL(e.base, key, all[0].ID))
			if err != nil {
				t.Fatal(err)
			}
			e.open(link.RequestURI())
			e.waitPage("/unsubscribe?", "#unsubscribe")
			check("the unsubscribe page")
			e.do(chromedp.Click(chromedp.ID("unsubscribe")))
			e.waitJS("the unsubscribed page", `document.querySelector('main [role="status"]') !== null`)
			if got := e.text("h1"); got != "No more reminders" {
				t.Errorf("after Stop the reminders the page says %q", got)
			}
			check("the unsubscribe page, done")

			// The demo's mailbox, one e-mail's HTML part, and an e-mail it
			// no longer has.
			mail := e.waitMail(box, "ada.obi@example.com")
			e.open("/demo/mailbox")
			e.waitPage("/demo/mailbox", "article.mail")
			if got := e.text("main"); !strings.Contains(got, mail.Subject) {
				t.Errorf("the mailbox lacks the applicant's e-mail %q", mail.Subject)
			}
			check("the demo mailbox")
			e.open("/demo/mailbox/" + url.PathEscape(mail.ID))
			e.waitPage("/demo/mailbox/", "h1")
			check("an e-mail's HTML part in the demo mailbox")
			e.open("/demo/mailbox/nope@leads.test")
			if got := e.text("h1"); got != "No such e-mail" {
				t.Errorf("an unknown e-mail: the page says %q", got)
			}
			check("the message page of an unknown e-mail")
		})
	}
}
