// Package notify does the jobs that changes to leads queue (contract §9): it
// sends the e-mails (new lead, progress saved, nudges) and delivers webhook
// events, as River workers, and queues the nudges that come due. A worker
// reads what it needs when it runs (a job holds ids only) and records what it
// did on the lead's timeline or the webhook's delivery log.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/leads/leads/internal/leads"
)

// Config is what the workers need.
type Config struct {
	Store leads.Store
	// Mailer sends e-mail; nil means e-mail is off (jobs are dropped).
	Mailer Mailer
	// From is the sender (LEADS_MAIL_FROM); Desk gets new leads nobody is
	// assigned to (LEADS_NOTIFY_EMAIL, may be empty).
	From, Desk string
	// PublicURL is the base of links (LEADS_PUBLIC_URL), with no trailing /.
	PublicURL string
	Nudges    leads.NudgePolicy
	// AllowPrivate lets webhooks reach private addresses.
	AllowPrivate bool
	// Client delivers webhooks; nil means one that refuses private
	// addresses unless AllowPrivate (NewWebhookClient).
	Client *http.Client
	Log    *slog.Logger
	Now    func() time.Time
}

// Workers returns the queue's workers and periodic jobs for cfg.
func Workers(cfg Config) (*river.Workers, []*river.PeriodicJob) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Client == nil {
		cfg.Client = NewWebhookClient(cfg.AllowPrivate)
	}
	w := river.NewWorkers()
	river.AddWorker(w, &EmailWorker{cfg: cfg})
	river.AddWorker(w, &WebhookWorker{cfg: cfg})
	var periodic []*river.PeriodicJob
	if cfg.Mailer != nil && cfg.Nudges.Max > 0 {
		river.AddWorker(w, &NudgeScanWorker{cfg: cfg})
		// A due nudge leaves within LEADS_NUDGE_AFTER or a minute, whichever
		// is shorter: look twice as often.
		every := min(cfg.Nudges.After, time.Minute) / 2
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) { return NudgeScan{}, nil },
			&river.PeriodicJobOpts{ID: "nudge_scan", RunOnStart: true}))
	}
	return w, periodic
}

// EmailWorker sends one e-mail.
type EmailWorker struct {
	river.WorkerDefaults[leads.EmailJob]
	cfg Config
}

// Work sends the e-mail the job names and records it on the lead's timeline.
// A temporary failure returns an error (River tries again, backing off); a
// permanent refusal is recorded as email.failed and ends the job. The
// Message-ID is the job's, so a resend after a crash carries the same one.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[leads.EmailJob]) error {
	c := w.cfg
	if c.Mailer == nil {
		return nil // e-mail is off
	}
	l, err := c.Store.Lead(ctx, job.Args.LeadID)
	if errors.Is(err, leads.ErrLeadNotFound) {
		return nil // erased: nothing to send
	}
	if err != nil {
		return err
	}
	v := emailView{Lead: l, Link: c.PublicURL + "/onboarding"}
	to := l.Email
	switch job.Args.Email {
	case leads.EmailNewLead:
		v.Link = c.PublicURL + "/staff/leads/" + url.PathEscape(l.ID)
		to = c.Desk
		if l.AssignedTo != nil {
			staff, err := c.Store.Roster(ctx)
			if err != nil {
				return err
			}
			for _, m := range staff {
				if m.ID == *l.AssignedTo && m.Active {
					to, v.Assignee = m.Email, m.FullName
				}
			}
		}
		if to == "" {
			c.Log.Info("new lead e-mail: nobody to send it to (no assignee, no LEADS_NOTIFY_EMAIL)", "job", job.ID)
			return nil
		}
	case leads.EmailNudge:
		if l.Status != leads.StatusPending || l.UnsubscribedAt != nil {
			return nil // moved on, or asked for no more
		}
		key, err := c.Store.Secret(ctx, "unsubscribe", 32, leads.Timestamp(time.Now()))
		if err != nil {
			return err
		}
		v.UnsubscribeURL = UnsubscribeURL(c.PublicURL, key, l.ID)
	}
	subject, text, html, err := compose(job.Args.Email, v)
	if err != nil {
		return river.JobCancel(err)
	}
	host := "leads.invalid"
	if u, err := url.Parse(c.PublicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	m := Message{ID: job.Args.Email + "." + strconv.FormatInt(job.ID, 10) + "@" + host, From: c.From, To: to,
		Subject: subject, Text: text, HTML: html, UnsubscribeURL: v.UnsubscribeURL, Date: c.Now()}
	err = c.Mailer.Send(ctx, m)
	now := leads.Timestamp(c.Now())
	switch {
	case errors.Is(err, ErrRefused):
		c.Log.Warn("e-mail refused for good", "job", job.ID, "kind", job.Args.Email, "error", err.Error())
		return leads.RecordEmail(ctx, c.Store, l.ID, true, job.Args.Email, to, now)
	case err != nil:
		c.Log.Warn("e-mail not sent yet; will try again", "job", job.ID, "attempt", job.Attempt, "error", err.Error())
		return err
	}
	c.Log.Info("e-mail sent", "job", job.ID, "kind", job.Args.Email)
	return leads.RecordEmail(ctx, c.Store, l.ID, false, job.Args.Email, to, now)
}

// NudgeScan is the periodic job that queues the nudges come due.
type NudgeScan struct{}

// Kind is the nudge scanner's.
func (NudgeScan) Kind() string { return "nudge_scan" }

// NudgeScanWorker queues the nudges due now.
type NudgeScanWorker struct {
	river.WorkerDefaults[NudgeScan]
	cfg Config
}

// Work queues the due nudges, a batch at a time.
func (w *NudgeScanWorker) Work(ctx context.Context, _ *river.Job[NudgeScan]) error {
	total := 0
	for {
		n, err := leads.QueueNudges(ctx, w.cfg.Store, w.cfg.Nudges, leads.Timestamp(w.cfg.Now()), 100)
		if err != nil {
			return fmt.Errorf("queue nudges: %w", err)
		}
		if total += n; n < 100 {
			break
		}
	}
	if total > 0 {
		w.cfg.Log.Info("nudges queued", "count", total)
	}
	return nil
}
