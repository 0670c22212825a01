package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql's "pgx", for reading tables directly
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/notify"
	"github.com/leads/leads/internal/postgres"
	"github.com/leads/leads/internal/queue"
	"github.com/leads/leads/internal/smtptest"
	"github.com/leads/leads/internal/sqlite"
	"github.com/leads/leads/internal/testdb"
)

// jobStore is a store whose queue can be worked.
type jobStore interface {
	leads.Store
	StartJobs(ctx context.Context, workers *river.Workers, periodic []*river.PeriodicJob, log *slog.Logger) (func(context.Context) error, error)
}

// engines opens a fresh, migrated store of each engine.
var engines = []struct {
	name string
	open func(t testing.TB) jobStore
}{
	{"sqlite", func(t testing.TB) jobStore {
		path := testdb.SQLiteFile(t)
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		databaseOf.Store(st, [2]string{"sqlite", path})
		t.Cleanup(func() { st.Close() })
		if err := st.MigrateUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		return st
	}},
	{"postgres", func(t testing.TB) jobStore {
		url := testdb.PostgresURL(t)
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		databaseOf.Store(st, [2]string{"pgx", url})
		t.Cleanup(func() { st.Close() })
		if err := st.MigrateUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		return st
	}},
}

// databaseOf is the database/sql driver and DSN of each store the engines
// opened, for the few checks of rows no API shows (the queue's jobs, a
// delivery's stored excerpt).
var databaseOf sync.Map

// column returns the first column of query's rows, read straight from the
// store's database; query is written for both engines (no parameters).
func (e *env) column(query string) []string {
	e.t.Helper()
	v, ok := databaseOf.Load(e.st)
	if !ok {
		e.t.Fatal("no database known for the store")
	}
	d := v.([2]string)
	db, err := sql.Open(d[0], d[1])
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s.String)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// drained reports whether the queue has nothing left to do: no job waiting,
// running or to be retried, so no e-mail or delivery can come after.
func (e *env) drained() bool {
	e.t.Helper()
	c, err := e.st.JobCounts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Pending+c.Running+c.Retrying == 0
}

const publicURL = "https://leads.example.org"

// env is a store whose queue is worked, an SMTP server and a webhook
// receiver.
type env struct {
	t    testing.TB
	st   jobStore
	smtp *smtptest.Server
	hook *receiver
}

// start works the queue of a fresh store of the engine, with cfg's settings
// over the test's defaults (SMTP to the test server, public URL).
func start(t testing.TB, open func(testing.TB) jobStore, edit func(*notify.Config)) *env {
	t.Helper()
	return startAfter(t, open, edit, nil)
}

// startAfter is start, with before run on the seeded store before the
// queue's workers start.
func startAfter(t testing.TB, open func(testing.TB) jobStore, edit func(*notify.Config), before func(*env)) *env {
	t.Helper()
	e := &env{t: t, st: open(t), smtp: smtptest.Start(t), hook: newReceiver(t)}
	mailer, err := notify.NewSMTP(e.smtp.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := notify.Config{Store: e.st, Mailer: mailer, From: "Enrolment <no-reply@leads.example.org>",
		Desk: "desk@leads.example.org", PublicURL: publicURL, AllowPrivate: true}
	if edit != nil {
		edit(&cfg)
	}
	ctx := context.Background()
	now := leads.Timestamp(time.Now())
	for _, err := range []error{
		second(e.st.PutLocation(ctx, leads.Location{ID: "fct", Name: "FCT Abuja"})),
		second(e.st.PutCenter(ctx, leads.Center{ID: "c1", Name: "Abuja Center", LocationID: ptr("fct")})),
		second(e.st.PutCourse(ctx, leads.Course{ID: "k1", Name: "Web Development", CenterID: ptr("c1")})),
		second(e.st.PutStudent(ctx, leads.Student{ID: "s1"}, now)),
		second(leads.PutStaff(ctx, e.st, leads.Staff{ID: "ada", FullName: "Ada Staff", Email: "ada@leads.example.org",
			CenterIDs: []string{"c1"}, Active: true}, now)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if before != nil {
		before(e)
	}
	workers, periodic := notify.Workers(cfg)
	stop, err := e.st.StartJobs(context.Background(), workers, periodic, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stop(ctx)
	})
	return e
}

func second[T any](_ T, err error) error { return err }
func ptr[T any](v T) *T                  { return &v }

// save saves uid's lead (creating the user from claims) at the given time.
func (e *env) save(uid string, in leads.SaveInput, at time.Time) leads.Lead {
	e.t.Helper()
	c := leads.Claims{UserID: uid, Name: ptr("Applicant " + uid), Email: ptr(uid + "@example.com"), Phone: ptr("+2348000000001")}
	l, _, err := leads.SaveFromOnboarding(context.Background(), e.st, c, in, leads.Timestamp(at))
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// emails returns the lead's e-mail entries of the timeline: "sent kind to".
func (e *env) emails(leadID string) []string {
	e.t.Helper()
	page, err := e.st.Activities(context.Background(), leadID, 1, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range page.Activities {
		if !strings.HasPrefix(a.Type, "email.") {
			continue
		}
		var d struct{ Kind, To string }
		json.Unmarshal(a.Data, &d)
		out = append(out, strings.TrimPrefix(a.Type, "email.")+" "+d.Kind+" "+d.To)
	}
	return out
}

// waitFor polls until ok, or fails after timeout.
func waitFor(t testing.TB, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func byTo(msgs []smtptest.Message) map[string]smtptest.Message {
	m := map[string]smtptest.Message{}
	for _, msg := range msgs {
		m[msg.To[0]] = msg
	}
	return m
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

func TestEmails(t *testing.T) {
	t.Parallel()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, eng.open, nil)
			l := e.save("u1", leads.SaveInput{CenterID: ptr("c1"), CenterIDField: "selectedCenter.id", CourseID: ptr("k1"), Step: ptr(2)}, time.Now())
			msgs := byTo(e.smtp.Wait(t, 2, 20*time.Second))

			staff, ok := msgs["ada@leads.example.org"]
			if !ok {
				t.Fatalf("no e-mail to the assigned staff member: %v", msgs)
			}
			applicant, ok := msgs["u1@example.com"]
			if !ok {
				t.Fatalf("no e-mail to the applicant: %v", msgs)
			}
			for name, m := range map[string]smtptest.Message{"new lead": staff, "progress": applicant} {
				if !regexp.MustCompile(`^<(new_lead|progress_saved)\.\d+@leads\.example\.org>$`).MatchString(m.Header.Get("Message-Id")) {
					t.Errorf("%s: Message-ID %q", name, m.Header.Get("Message-Id"))
				}
				if m.Header.Get("From") == "" || m.Header.Get("Date") == "" || m.Text == "" || m.HTML == "" {
					t.Errorf("%s: headers %v, text %d bytes, HTML %d bytes: want From, Date and both parts", name, m.Header, len(m.Text), len(m.HTML))
				}
				for _, link := range append(linkRE.FindAllString(m.Text, -1), linkRE.FindAllString(m.HTML, -1)...) {
					if !strings.HasPrefix(link, publicURL+"/") || strings.Contains(strings.ToLower(link), "token") {
						t.Errorf("%s: link %q: want a link to the service, with no token", name, link)
					}
				}
			}
			if staff.Subject != "New lead: Applicant u1 (Abuja Center)" ||
				!strings.Contains(staff.Text, publicURL+"/staff/leads/"+l.ID) || !strings.Contains(staff.Text, "+2348000000001") ||
				!strings.Contains(staff.Text, "Web Development") || !strings.Contains(html.UnescapeString(staff.HTML), `href="tel:+2348000000001"`) {
				t.Errorf("new lead e-mail: %q\n%s", staff.Subject, staff.Text)
			}
			if applicant.Subject != "Your enrolment is saved" || !strings.Contains(applicant.Text, "step 2 of 3 (your course)") ||
				!strings.Contains(applicant.Text, publicURL+"/onboarding") || applicant.Header.Get("List-Unsubscribe") != "" {
				t.Errorf("progress e-mail: %q\n%s", applicant.Subject, applicant.Text)
			}
			waitFor(t, "the e-mails on the timeline", 10*time.Second, func() bool { return len(e.emails(l.ID)) == 2 })
			got := strings.Join(e.emails(l.ID), "; ")
			if !strings.Contains(got, "sent new_lead ada@leads.example.org") || !strings.Contains(got, "sent progress_saved u1@example.com") {
				t.Errorf("timeline e-mails: %s", got)
			}

			// No centre, no assignee: the desk hears of it.
			e.save("u2", leads.SaveInput{Step: ptr(1)}, time.Now())
			msgs = byTo(e.smtp.Wait(t, 4, 20*time.Second))
			if m, ok := msgs["desk@leads.example.org"]; !ok || !strings.Contains(m.Subject, "Applicant u2") {
				t.Errorf("no e-mail to the desk for an unassigned lead: %v", msgs)
			}
			// A lost lead that comes back is news again; a plain re-save is not.
			ctx := context.Background()
			if _, err := leads.UpdateStatus(ctx, e.st, l.ID, leads.StatusChange{Status: leads.StatusLost}, "ada", leads.Timestamp(time.Now())); err != nil {
				t.Fatal(err)
			}
			e.save("u1", leads.SaveInput{Step: ptr(3)}, time.Now())
			e.save("u1", leads.SaveInput{Step: ptr(3)}, time.Now())
			all := e.smtp.Wait(t, 5, 20*time.Second)
			time.Sleep(time.Second) // room for an e-mail that should not come
			if n := len(e.smtp.Messages()); n != 5 || all[4].To[0] != "ada@leads.example.org" {
				t.Errorf("after the lead came back: %d e-mails (want 5), the last to %v", n, all[len(all)-1].To)
			}
		})
	}
}

func TestEmailRetriesAndRefusals(t *testing.T) {
	t.Parallel()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, eng.open, nil)
			// A server that says "try later" to the first four tries: each of
			// the save's two e-mails is refused on its first two attempts
			// (retried after 5 s, then 10 s: queue.RetryDelay), then accepted.
			e.smtp.Refuse(4, 451)
			l := e.save("u1", leads.SaveInput{Step: ptr(1)}, time.Now())
			msgs := e.smtp.Wait(t, 2, 60*time.Second)
			waitFor(t, "the queue drained", 30*time.Second, e.drained)
			if n := len(e.smtp.Messages()); n != 2 || msgs[0].Header.Get("Message-Id") == msgs[1].Header.Get("Message-Id") {
				t.Fatalf("%d e-mails after temporary refusals, want 2 different ones, once each", n)
			}
			if got := byTo(msgs); got["desk@leads.example.org"].Subject == "" || got["u1@example.com"].Subject == "" {
				t.Errorf("e-mails to %v and %v, want the desk's and the applicant's", msgs[0].To, msgs[1].To)
			}
			if got := e.column(`SELECT attempt FROM river_job WHERE kind = 'email' ORDER BY id`); !slices.Equal(got, []string{"3", "3"}) {
				t.Errorf("attempts of the two e-mail jobs: %v, want 3 each (refused twice, then sent)", got)
			}
			waitFor(t, "two sent e-mails on the timeline", 10*time.Second, func() bool { return len(e.emails(l.ID)) == 2 })
			if got := strings.Join(e.emails(l.ID), "; "); strings.Contains(got, "failed") {
				t.Errorf("a temporary refusal was recorded as a failure: %s", got)
			}

			// A server that says "never" to both: email.failed, no retry.
			e.smtp.Refuse(2, 550)
			l2 := e.save("u2", leads.SaveInput{Step: ptr(1)}, time.Now())
			waitFor(t, "two failed e-mails on the timeline", 20*time.Second, func() bool { return len(e.emails(l2.ID)) == 2 })
			got := strings.Join(e.emails(l2.ID), "; ")
			if !strings.Contains(got, "failed new_lead desk@leads.example.org") || !strings.Contains(got, "failed progress_saved u2@example.com") {
				t.Errorf("timeline after a permanent refusal: %s", got)
			}
			// A refused e-mail's job ends: nothing is left to retry.
			waitFor(t, "the queue drained", 10*time.Second, e.drained)
			if n := len(e.smtp.Messages()); n != 2 {
				t.Errorf("%d e-mails arrived after a permanent refusal, want none retried", n-2)
			}
		})
	}
}

func TestNudges(t *testing.T) {
	t.Parallel()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			past := time.Now().Add(-time.Minute)
			var l, gone, done, lost leads.Lead
			// Four leads stopped a minute ago, all due for a nudge: u1 pending,
			// u2 unsubscribed, u3 converted, u4 lost. They are saved and moved
			// on before the queue's workers start, so no nudge scan ever sees
			// u2, u3 or u4 pending.
			e := startAfter(t, eng.open, func(c *notify.Config) {
				c.Nudges = leads.NudgePolicy{After: time.Second, Max: 2}
			}, func(e *env) {
				l = e.save("u1", leads.SaveInput{CourseID: ptr("k1"), Step: ptr(2)}, past)
				gone = e.save("u2", leads.SaveInput{Step: ptr(1)}, past)
				done = e.save("u3", leads.SaveInput{Step: ptr(3)}, past)
				lost = e.save("u4", leads.SaveInput{CourseID: ptr("k1"), Step: ptr(2)}, past)
				if _, err := leads.Convert(ctx, e.st, done.ID, "s1", "ada", leads.Timestamp(past)); err != nil {
					t.Fatal(err)
				}
				if err := leads.Unsubscribe(ctx, e.st, gone.ID, leads.Timestamp(past)); err != nil {
					t.Fatal(err)
				}
				if _, err := leads.UpdateStatus(ctx, e.st, lost.ID, leads.StatusChange{Status: leads.StatusLost, Reason: ptr("chose another school")},
					"ada", leads.Timestamp(past)); err != nil {
					t.Fatal(err)
				}
			})
			// 4 first saves: 4 new-lead e-mails, 4 progress; then 2 nudges to u1.
			e.smtp.Wait(t, 10, 20*time.Second)
			time.Sleep(2500 * time.Millisecond) // a third nudge would be due by now
			var nudges []smtptest.Message
			for _, m := range e.smtp.Messages() {
				if strings.HasPrefix(m.Subject, "Finish your enrolment") {
					nudges = append(nudges, m)
				}
			}
			if len(nudges) != 2 {
				t.Fatalf("%d nudges, want 2 (LEADS_NUDGE_MAX), all to u1", len(nudges))
			}
			key, err := e.st.Secret(ctx, "unsubscribe", 32, leads.Timestamp(time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range nudges {
				unsub := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
				if m.To[0] != "u1@example.com" || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" ||
					unsub != notify.UnsubscribeURL(publicURL, key, l.ID) || !strings.Contains(m.Text, unsub) ||
					!strings.Contains(m.Text, "Web Development") {
					t.Errorf("nudge to %v: List-Unsubscribe %q, text %s", m.To, unsub, m.Text)
				}
			}
			if nudges[1].At.Sub(nudges[0].At) < 900*time.Millisecond {
				t.Errorf("the second nudge came %s after the first, want LEADS_NUDGE_AFTER (1s)", nudges[1].At.Sub(nudges[0].At))
			}
			if got := strings.Join(e.emails(l.ID), "; "); strings.Count(got, "sent nudge u1@example.com") != 2 {
				t.Errorf("timeline: %s", got)
			}
			for name, id := range map[string]string{"unsubscribed": gone.ID, "converted": done.ID, "lost": lost.ID} {
				if got := strings.Join(e.emails(id), "; "); strings.Contains(got, "nudge") {
					t.Errorf("the %s lead was nudged: %s", name, got)
				}
			}
		})
	}
}

// Erasing a lead cancels its e-mails not yet sent: with the SMTP server
// saying "try later", two leads' e-mails wait for their retry; one lead is
// erased; no job of it is left, and when the server accepts again only the
// other lead's e-mails come.
func TestErasureCancelsEmails(t *testing.T) {
	t.Parallel()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, eng.open, nil)
			ctx := context.Background()
			e.smtp.Refuse(1000, 451)
			erased := e.save("u1", leads.SaveInput{Step: ptr(1)}, time.Now())
			kept := e.save("u2", leads.SaveInput{Step: ptr(1)}, time.Now())
			// Each job tried once, refused, and waiting for its retry: River
			// keeps a job whose retry is due within its scheduler's interval
			// (5 s) available rather than retryable.
			waitFor(t, "the four e-mails refused and waiting for their retry", 20*time.Second, func() bool {
				n := e.column(`SELECT count(*) FROM river_job WHERE attempt >= 1 AND state IN ('available', 'retryable')`)
				return len(n) == 1 && n[0] == "4"
			})
			if err := leads.DeleteLead(ctx, e.st, erased.ID, leads.Timestamp(time.Now())); err != nil {
				t.Fatal(err)
			}
			// Jobs with something left to do (a completed one could only be a
			// retry that began before the erasure, and found no lead).
			jobsOf := func(id string) []string {
				return e.column(`SELECT state FROM river_job WHERE args->>'lead_id' = '` + id + `' AND state <> 'completed'`)
			}
			if got := jobsOf(erased.ID); len(got) != 0 {
				t.Errorf("jobs of the erased lead left: %v", got)
			}
			if got := jobsOf(kept.ID); len(got) != 2 {
				t.Errorf("jobs of the other lead: %v, want its two e-mails waiting", got)
			}
			e.smtp.Refuse(0, 451)
			e.smtp.Wait(t, 2, 30*time.Second)
			waitFor(t, "the queue drained", 30*time.Second, e.drained)
			msgs := e.smtp.Messages()
			for _, m := range msgs {
				if m.To[0] == "u1@example.com" || strings.Contains(m.Subject, "Applicant u1") || strings.Contains(m.Text, erased.ID) {
					t.Errorf("an e-mail of the erased lead was sent: to %v, %q", m.To, m.Subject)
				}
			}
			if len(msgs) != 2 {
				t.Errorf("%d e-mails, want the other lead's 2", len(msgs))
			}
			waitFor(t, "the other lead's e-mails on its timeline", 10*time.Second, func() bool { return len(e.emails(kept.ID)) == 2 })
		})
	}
}

// The retry schedule of webhooks (and e-mails): River's RetryPolicy is
// queue.Backoff, whose delays start at 5 s and double up to an hour; a
// webhook's attempts stop after about a day, an e-mail's after about two.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	if _, ok := queue.Config(river.NewWorkers(), nil, nil).RetryPolicy.(queue.Backoff); !ok {
		t.Fatal("the queue's RetryPolicy is not queue.Backoff")
	}
	if got := queue.RetryDelay(1); got != 5*time.Second {
		t.Errorf("first retry after %s, want 5s", got)
	}
	for n := 2; n <= 100; n++ {
		prev, d := queue.RetryDelay(n-1), queue.RetryDelay(n)
		if want := min(2*prev, time.Hour); d != want {
			t.Errorf("retry after attempt %d: %s, want %s (double %s, at most an hour)", n, d, want, prev)
		}
	}
	// River asks the policy when a failed attempt runs again.
	before := time.Now()
	at := queue.Backoff{}.NextRetry(&rivertype.JobRow{Attempt: 3})
	if at.Before(before.Add(20*time.Second)) || at.After(time.Now().Add(20*time.Second)) {
		t.Errorf("after a third failed attempt, NextRetry is %s from now, want 20s", at.Sub(before))
	}

	maxAttempts := func(job leads.Job) int {
		p := queue.InsertParams([]leads.Job{job})
		if len(p) != 1 || p[0].InsertOpts == nil || p[0].InsertOpts.MaxAttempts < 2 {
			t.Fatalf("insert options of %s: %+v", job.Kind(), p)
		}
		return p[0].InsertOpts.MaxAttempts
	}
	// retriedFor is the time from the first attempt to the last: the waits
	// after each failed attempt but the last.
	retriedFor := func(attempts int) time.Duration {
		var total time.Duration
		for n := 1; n < attempts; n++ {
			total += queue.RetryDelay(n)
		}
		return total
	}
	webhook := retriedFor(maxAttempts(leads.WebhookJob{}))
	if webhook < 18*time.Hour || webhook > 24*time.Hour {
		t.Errorf("a webhook is retried for %s, want about a day (18h to 24h)", webhook)
	}
	email := retriedFor(maxAttempts(leads.EmailJob{}))
	if email < 40*time.Hour || email > 56*time.Hour {
		t.Errorf("an e-mail is retried for %s, want about two days", email)
	}
	t.Logf("webhooks retried for %s, e-mails for %s", webhook, email)
}

// A receiver that answers with a large body: the delivery log keeps a short
// excerpt of it (200 bytes at most, cut on a character boundary), never the
// body.
func TestWebhookKeepsAnExcerpt(t *testing.T) {
	t.Parallel()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, eng.open, nil)
			ctx := context.Background()
			// 1 MiB: "x", then two-byte characters, so byte 200 falls inside one.
			reply := "x" + strings.Repeat("é", 1<<19)
			e.hook.answerWith(reply)
			if _, err := e.st.PutWebhook(ctx, leads.Webhook{ID: "big", URL: e.hook.URL + "/hook", Events: []string{leads.EventCreated},
				Secret: secret}, leads.Timestamp(time.Now())); err != nil {
				t.Fatal(err)
			}
			e.save("u1", leads.SaveInput{Step: ptr(1)}, time.Now())
			waitFor(t, "the delivery logged", 20*time.Second, func() bool {
				log, err := e.st.Deliveries(ctx, "big", 10)
				return err == nil && len(log) == 1
			})
			log, _ := e.st.Deliveries(ctx, "big", 10)
			if log[0].StatusCode == nil || *log[0].StatusCode != http.StatusOK {
				t.Errorf("delivery %+v, want a 200", log[0])
			}
			got := e.column(`SELECT excerpt FROM webhook_deliveries WHERE webhook_id = 'big'`)
			if len(got) != 1 {
				t.Fatalf("%d delivery rows, want 1", len(got))
			}
			if x := got[0]; len(x) != 199 || !utf8.ValidString(x) || !strings.HasPrefix(reply, x) {
				t.Errorf("stored excerpt: %d bytes (valid UTF-8 %v), want the answer's first 199 (200 cut back to a character)", len(x), utf8.ValidString(x))
			}

			// An answer that is not UTF-8 (Latin-1 here, and a NUL) is still
			// logged, its excerpt made valid text (PostgreSQL refuses both).
			e.hook.answerWith("r\xe9ponse\x00refus\xe9e")
			e.save("u2", leads.SaveInput{Step: ptr(1)}, time.Now())
			waitFor(t, "the second delivery logged", 20*time.Second, func() bool {
				log, err := e.st.Deliveries(ctx, "big", 10)
				return err == nil && len(log) == 2
			})
			got = e.column(`SELECT excerpt FROM webhook_deliveries WHERE webhook_id = 'big' AND excerpt LIKE 'r%'`)
			if len(got) != 1 || !utf8.ValidString(got[0]) || strings.Contains(got[0], "\x00") || !strings.HasPrefix(got[0], "r") || !strings.HasSuffix(got[0], "e") {
				t.Errorf("excerpt of a Latin-1 answer: %q, want it as valid UTF-8", got)
			}
		})
	}
}

// receiver is a webhook receiver: it keeps each request, and answers with
// the status the test sets (200 by default).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	answer func(n int) int // n: the request's number, from 1
	reply  string          // the body of every answer
}

type delivery struct {
	header http.Header
	body   []byte
	status int
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{answer: func(int) int { return http.StatusOK },
		reply: "thanks, from a receiver that talks a lot: " + strings.Repeat("x", 500)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := r.answer(len(r.got) + 1)
		r.got = append(r.got, delivery{req.Header.Clone(), body, status})
		reply := r.reply
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(r.Close)
	return r
}

// answerWith makes every answer's body reply.
func (r *receiver) answerWith(reply string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reply = reply
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// verify checks a delivery's Standard Webhooks signature, written here from
// the specification: base64 HMAC-SHA256, keyed with the secret's base64
// bytes, of "id.timestamp.body".
func verify(secret string, d delivery) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(d.header.Get("webhook-id") + "." + d.header.Get("webhook-timestamp") + "."))
	m.Write(d.body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, sig := range strings.Fields(d.header.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestWebhooks(t *testing.T) {
	t.Parallel()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, eng.open, nil)
			ctx := context.Background()
			now := leads.Timestamp(time.Now())
			if _, err := e.st.PutWebhook(ctx, leads.Webhook{ID: "crm", URL: e.hook.URL + "/hook", Events: leads.Events, Secret: secret}, now); err != nil {
				t.Fatal(err)
			}
			// The receiver fails its first answer: the event comes again, same id.
			e.hook.answer = func(n int) int {
				if n == 1 {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			}
			l := e.save("u1", leads.SaveInput{CenterID: ptr("c1"), CenterIDField: "selectedCenter.id"}, time.Now())
			waitFor(t, "lead.created and lead.assigned, one of them twice", 30*time.Second, func() bool { return len(e.hook.deliveries()) >= 3 })
			ds := e.hook.deliveries()
			byID := map[string][]delivery{}
			for _, d := range ds {
				if !verify(secret, d) {
					t.Errorf("delivery %s: bad signature %q", d.header.Get("webhook-id"), d.header.Get("webhook-signature"))
				}
				byID[d.header.Get("webhook-id")] = append(byID[d.header.Get("webhook-id")], d)
			}
			retried := byID[ds[0].header.Get("webhook-id")]
			if len(retried) != 2 || retried[0].status != 500 || retried[1].status != 200 {
				t.Errorf("the failed delivery was delivered %d times, want twice, the same message", len(retried))
			}
			types := map[string]bool{}
			for _, d := range ds {
				var body struct {
					Type      string
					Timestamp string
					Data      struct {
						LeadID string `json:"leadId"`
						Lead   *leads.Lead
						To     string
					}
				}
				if err := json.Unmarshal(d.body, &body); err != nil {
					t.Fatalf("body %s: %v", d.body, err)
				}
				types[body.Type] = true
				if body.Data.LeadID != l.ID || body.Data.Lead == nil || body.Data.Lead.ID != l.ID || body.Timestamp == "" {
					t.Errorf("%s: body %s", body.Type, d.body)
				}
			}
			if !types["lead.created"] || !types["lead.assigned"] {
				t.Errorf("events %v, want lead.created and lead.assigned", types)
			}
			// The worker writes an attempt to the log after the receiver has
			// answered it: wait for the log to hold every delivery seen.
			var log []leads.Delivery
			var err error
			attempts := map[string]string{} // message id -> "attempt:status ..."
			waitFor(t, "the delivery log", 20*time.Second, func() bool {
				log, err = e.st.Deliveries(ctx, "crm", 100)
				clear(attempts)
				recorded := 0
				for _, d := range log {
					if d.StatusCode != nil {
						attempts[d.MessageID] += fmt.Sprintf(" %d:%d", d.Attempt, *d.StatusCode)
						recorded++
					}
				}
				return err != nil || recorded >= len(ds)
			})
			if err != nil || len(log) != len(ds) || attempts[retried[0].header.Get("webhook-id")] != " 2:200 1:500" {
				t.Errorf("delivery log %v, %v", attempts, err)
			}

			// Erasure: lead.erased, ids only.
			n := len(e.hook.deliveries())
			if err := leads.DeleteLead(ctx, e.st, l.ID, leads.Timestamp(time.Now())); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "lead.erased", 20*time.Second, func() bool { return len(e.hook.deliveries()) > n })
			last := e.hook.deliveries()[n]
			if !strings.Contains(string(last.body), `"type":"lead.erased"`) || strings.Contains(string(last.body), `"lead"`) ||
				!strings.Contains(string(last.body), l.ID) {
				t.Errorf("erasure delivered %s", last.body)
			}

			// 410 Gone: the subscription stops.
			e.hook.answer = func(int) int { return http.StatusGone }
			e.save("u2", leads.SaveInput{Step: ptr(1)}, time.Now())
			waitFor(t, "the subscription disabled", 20*time.Second, func() bool {
				h, err := e.st.Webhook(ctx, "crm")
				return err == nil && !h.Active && h.Disabled != nil
			})
			n = len(e.hook.deliveries())
			e.save("u3", leads.SaveInput{Step: ptr(1)}, time.Now())
			time.Sleep(time.Second)
			if len(e.hook.deliveries()) != n {
				t.Error("a disabled subscription still gets deliveries")
			}
		})
	}
}

// loopbackName is a host name of this machine that resolves to a loopback
// address (through /etc/hosts), other than localhost.
func loopbackName(t *testing.T) string {
	host, _ := os.Hostname()
	for _, name := range []string{host, "ip6-localhost", "localhost.localdomain"} {
		addrs, err := net.LookupHost(name)
		if err != nil || len(addrs) == 0 || name == "" {
			continue
		}
		if ip := net.ParseIP(addrs[0]); ip != nil && ip.IsLoopback() {
			return name
		}
	}
	testdb.Skip(t, "loopback-name", "no host name here resolves to a loopback address")
	return ""
}

// A host name that resolves to a loopback address is refused at delivery
// when private addresses are not allowed (PUT cannot know what it resolves to).
func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			testWebhookRefusesPrivateAddresses(t, eng.open)
		})
	}
}

func testWebhookRefusesPrivateAddresses(t *testing.T, open func(testing.TB) jobStore) {
	e := start(t, open, func(c *notify.Config) { c.AllowPrivate = false })
	ctx := context.Background()
	port := e.hook.URL[strings.LastIndex(e.hook.URL, ":")+1:]
	url := "http://" + loopbackName(t) + ":" + port + "/hook"
	if _, err := leads.ParseWebhook("h", []byte(`{"url":"`+url+`","events":["lead.created"]}`), false); err != nil {
		t.Fatalf("PUT refused %s: %v (it cannot know where a name resolves)", url, err)
	}
	if _, err := e.st.PutWebhook(ctx, leads.Webhook{ID: "h", URL: url, Events: []string{"lead.created"}, Secret: secret}, leads.Timestamp(time.Now())); err != nil {
		t.Fatal(err)
	}
	e.save("u1", leads.SaveInput{Step: ptr(1)}, time.Now())
	waitFor(t, "the refused delivery logged", 20*time.Second, func() bool {
		log, _ := e.st.Deliveries(ctx, "h", 10)
		return len(log) > 0
	})
	log, _ := e.st.Deliveries(ctx, "h", 10)
	if log[0].StatusCode != nil || log[0].Error == nil || !strings.Contains(*log[0].Error, "private") {
		t.Errorf("delivery %+v, want a refusal naming private addresses", log[0])
	}
	if n := len(e.hook.deliveries()); n != 0 {
		t.Errorf("the receiver on 127.0.0.1 got %d requests", n)
	}
	for _, literal := range []string{"http://127.0.0.1/x", "http://localhost/x", "http://10.0.0.8/x", "http://[::1]/x", "http://169.254.169.254/x", "ftp://example.org/x"} {
		if _, err := leads.ParseWebhook("h", []byte(`{"url":"`+literal+`","events":["lead.created"]}`), false); err == nil {
			t.Errorf("PUT took %s", literal)
		}
	}
}

// BenchmarkDeliveryLatency measures, on each engine, how long an e-mail
// takes from the save that causes it (acknowledged) to the SMTP server's
// acceptance: 50 first saves a tenth of a second apart, each one's progress
// e-mail to the applicant.
func BenchmarkDeliveryLatency(b *testing.B) {
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			for b.Loop() {
				e := start(b, eng.open, nil)
				const n = 50
				saved := map[string]time.Time{}
				for i := range n {
					uid := fmt.Sprintf("lat%d", i)
					e.save(uid, leads.SaveInput{Step: ptr(1)}, time.Now())
					saved[uid+"@example.com"] = time.Now()
					time.Sleep(100 * time.Millisecond)
				}
				var took []time.Duration
				for _, m := range e.smtp.Wait(b, 2*n, time.Minute) {
					if at, ok := saved[m.To[0]]; ok {
						took = append(took, m.At.Sub(at))
					}
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
