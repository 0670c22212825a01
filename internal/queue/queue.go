// Package queue is the service's job queue, on River
// (github.com/riverqueue/river), shared by both storage engines: how jobs are
// inserted (in the transaction of the change that causes them), retried and
// worked. Each engine runs River on its own database through River's driver
// for it; this package holds what is the same on both.
package queue

import (
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leads/leads/internal/leads"
)

// Version is River's schema version this binary runs (River v0.51.2's
// latest), pinned so that a newer River never changes the schema unasked.
const Version = 8

// The attempts of each kind of job before it is given up on. E-mails are
// retried for about two days (an SMTP outage delays them, never loses them),
// webhooks for about a day (the contract).
const (
	emailAttempts   = 60
	webhookAttempts = 30
)

// InsertParams turns the domain's jobs into River's, with each kind's options.
func InsertParams(jobs []leads.Job) []river.InsertManyParams {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		opts := &river.InsertOpts{MaxAttempts: emailAttempts}
		if j.Kind() == (leads.WebhookJob{}).Kind() {
			opts.MaxAttempts = webhookAttempts
		}
		params[i] = river.InsertManyParams{Args: j, InsertOpts: opts}
	}
	return params
}

// Backoff is the retry policy: the first retry 5 seconds after the first
// failure (so a short outage costs little), doubling to at most an hour.
type Backoff struct{}

// NextRetry is when a job that failed its attempt runs again.
func (Backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().UTC().Add(RetryDelay(job.Attempt))
}

// RetryDelay is the wait after failed attempt n (from 1).
func RetryDelay(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Config is the configuration of a client that works the queue.
func Config(workers *river.Workers, periodic []*river.PeriodicJob, log *slog.Logger) *river.Config {
	return &river.Config{
		Logger:       log,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 8}},
		Workers:      workers,
		PeriodicJobs: periodic,
		RetryPolicy:  Backoff{},
		// A job queued by a save leaves within a fraction of a second: the
		// contract asks a minute, a person expects less.
		FetchCooldown:     50 * time.Millisecond,
		FetchPollInterval: 250 * time.Millisecond,
		// A job that ran when its process died is tried again after this.
		RescueStuckJobsAfter: 5 * time.Minute,
		// Job rows keep ids only; finished ones go after a day.
		CompletedJobRetentionPeriod: 24 * time.Hour,
	}
}
