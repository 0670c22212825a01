package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/queue"
)

// Notifications' storage: the job queue (River, in this database's schema),
// the webhook subscriptions and their deliveries, nudges, and the service's
// keys.

// riverMigration is migration 4: River's own tables, at queue.Version, in
// the schema the search path names. River migrates outside a transaction of
// goose's (inside one, PostgreSQL refuses with SQLSTATE 55P04), on the
// direct pool (the pool itself unless OpenPooled).
func (s *Store) riverMigration() *goose.Migration {
	run := func(target int) func(ctx context.Context, _ *sql.DB) error {
		return func(ctx context.Context, _ *sql.DB) error {
			m, err := rivermigrate.New(riverpgxv5.New(s.direct), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return err
			}
			dir := rivermigrate.DirectionUp
			if target < 0 {
				dir = rivermigrate.DirectionDown
			}
			_, err = m.Migrate(ctx, dir, &rivermigrate.MigrateOpts{TargetVersion: target})
			return err
		}
	}
	return goose.NewGoMigration(4, &goose.GoFunc{RunDB: run(queue.Version)}, &goose.GoFunc{RunDB: run(-1)})
}

// StartJobs starts working the queue with workers (and the periodic jobs)
// until the returned stop is called. River takes its connections from the
// store's pool, one of them to LISTEN for new jobs (behind a pooler, it
// polls).
func (s *Store) StartJobs(ctx context.Context, workers *river.Workers, periodic []*river.PeriodicJob, log *slog.Logger) (stop func(context.Context) error, err error) {
	cfg := queue.Config(workers, periodic, log)
	cfg.PollOnly = s.pollOnly
	client, err := river.NewClient(riverpgxv5.New(s.pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: job queue: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("postgres: start the job queue: %w", err)
	}
	return client.Stop, nil
}

// Enqueue inserts the jobs in the transaction.
func (t *tx) Enqueue(ctx context.Context, jobs ...leads.Job) error {
	tx, err := t.begun(ctx) // River writes on the transaction itself
	if err != nil {
		return err
	}
	if _, err := t.s.inserter.InsertManyTx(ctx, tx, queue.InsertParams(jobs)); err != nil {
		return fmt.Errorf("postgres: queue jobs: %w", err)
	}
	return nil
}

// WebhooksFor returns the ids of the active subscriptions to each event.
func (t *tx) WebhooksFor(ctx context.Context, events ...string) (map[string][]string, error) {
	rows, err := t.db().Query(ctx, `SELECT DISTINCT w.id, e FROM webhooks w, unnest(w.events) e
		WHERE w.active AND w.events && $1 AND e = ANY ($1) ORDER BY w.id`, events)
	if err != nil {
		return nil, fmt.Errorf("postgres: find webhooks: %w", err)
	}
	hooks := map[string][]string{}
	var id, event string
	if _, err := pgx.ForEachRow(rows, []any{&id, &event}, func() error {
		hooks[event] = append(hooks[event], id)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: find webhooks: %w", err)
	}
	return hooks, nil
}

// ClaimNudges marks the leads a nudge is due for, and returns them; rows
// another transaction holds are skipped.
func (t *tx) ClaimNudges(ctx context.Context, savedBefore time.Time, max int, now time.Time, limit int) ([]string, error) {
	rows, err := t.db().Query(ctx, `UPDATE leads SET nudges_sent = nudges_sent + 1, last_nudged_at = $3
		WHERE id IN (SELECT id FROM leads
			WHERE status = 'PENDING' AND unsubscribed_at IS NULL AND last_saved_at < $1 AND nudges_sent < $2
				AND (last_nudged_at IS NULL OR last_nudged_at < $1)
			ORDER BY last_saved_at LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING id`, savedBefore, max, now, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim nudges: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: claim nudges: %w", err)
	}
	return ids, nil
}

// Unsubscribe stops the lead's nudges (the first time counts).
func (t *tx) Unsubscribe(ctx context.Context, leadID string, now time.Time) error {
	tag, err := t.db().Exec(ctx, `UPDATE leads SET unsubscribed_at = COALESCE(unsubscribed_at, $2) WHERE id = $1`, leadID, now)
	if err != nil {
		return fmt.Errorf("postgres: unsubscribe: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return leads.ErrLeadNotFound
	}
	return nil
}

// deleteJobsOf removes the queued jobs of an erased lead, but a running one
// (River's to finish; it will find no lead).
func (t *tx) deleteJobsOf(ctx context.Context, leadID string) error {
	if _, err := t.db().Exec(ctx, `DELETE FROM river_job WHERE args->>'lead_id' = $1 AND state <> 'running'`, leadID); err != nil {
		return fmt.Errorf("postgres: delete the lead's jobs: %w", err)
	}
	return nil
}

// PutWebhook creates or replaces a subscription; a replacement without a
// secret keeps the one it had.
func (s *Store) PutWebhook(ctx context.Context, w leads.Webhook, now time.Time) (bool, error) {
	created, err := s.putWith(ctx,
		`INSERT INTO webhooks (id, url, events, secret, active, created_at, updated_at)
		VALUES ($1, $2, $3, $4, true, $5, $5) ON CONFLICT (id) DO NOTHING`, []any{w.ID, w.URL, w.Events, w.Secret, now},
		`UPDATE webhooks SET url = $2, events = $3, secret = COALESCE(NULLIF($4, ''), secret), active = true, disabled = NULL,
		updated_at = $5 WHERE id = $1`, []any{w.ID, w.URL, w.Events, w.Secret, now})
	if err != nil {
		return false, fmt.Errorf("postgres: put webhook: %w", err)
	}
	return created, nil
}

// webhookColumns are scanWebhook's.
const webhookColumns = `id, url, events, secret, active, disabled, created_at`

func scanWebhook(row pgx.Row) (leads.Webhook, error) {
	var w leads.Webhook
	err := row.Scan(&w.ID, &w.URL, &w.Events, &w.Secret, &w.Active, &w.Disabled, &w.CreatedAt)
	utc(&w.CreatedAt)
	return w, err
}

// Webhooks lists the subscriptions by id, without their secrets.
func (s *Store) Webhooks(ctx context.Context) ([]leads.Webhook, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list webhooks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (leads.Webhook, error) {
		w, err := scanWebhook(r)
		w.Secret = ""
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list webhooks: %w", err)
	}
	if out == nil {
		out = []leads.Webhook{}
	}
	return out, nil
}

// Webhook returns a subscription with its secret.
func (s *Store) Webhook(ctx context.Context, id string) (leads.Webhook, error) {
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, leads.ErrNotFound
	}
	if err != nil {
		return w, fmt.Errorf("postgres: read webhook: %w", err)
	}
	return w, nil
}

// DeleteWebhook removes a subscription and its deliveries' log.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return leads.ErrNotFound
	}
	return nil
}

// DisableWebhook stops deliveries to a subscription.
func (s *Store) DisableWebhook(ctx context.Context, id, why string, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE webhooks SET active = false, disabled = $2, updated_at = $3 WHERE id = $1`, id, why, now); err != nil {
		return fmt.Errorf("postgres: disable webhook: %w", err)
	}
	return nil
}

// RecordDelivery logs an attempt to deliver an event.
func (s *Store) RecordDelivery(ctx context.Context, webhookID string, d leads.Delivery, excerpt string) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, message_id, event, attempt, status_code, error, excerpt, at)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = $2)`,
		id.String(), webhookID, d.MessageID, d.Event, d.Attempt, d.StatusCode, d.Error, excerpt, d.At)
	if err != nil {
		return fmt.Errorf("postgres: record delivery: %w", err)
	}
	return nil
}

// Deliveries lists a subscription's attempts, newest first.
func (s *Store) Deliveries(ctx context.Context, webhookID string, limit int) ([]leads.Delivery, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = $1)`, webhookID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("postgres: list deliveries: %w", err)
	}
	if !exists {
		return nil, leads.ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT id, message_id, event, attempt, status_code, error, at
		FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (leads.Delivery, error) {
		var d leads.Delivery
		err := r.Scan(&d.ID, &d.MessageID, &d.Event, &d.Attempt, &d.StatusCode, &d.Error, &d.At)
		utc(&d.At)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list deliveries: %w", err)
	}
	if out == nil {
		out = []leads.Delivery{}
	}
	return out, nil
}

// Secret returns the key kept under name, making it on first use; the
// insert that loses a race keeps the winner's key.
func (s *Store) Secret(ctx context.Context, name string, size int, now time.Time) ([]byte, error) {
	var key []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&key)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: read secret: %w", err)
	}
	fresh := make([]byte, size)
	rand.Read(fresh)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, name, fresh, now); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: make secret: %w", err)
	}
	return key, nil
}

// JobCounts counts the queue's jobs by state.
func (s *Store) JobCounts(ctx context.Context) (leads.JobCounts, error) {
	var c leads.JobCounts
	err := s.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE state IN ('available', 'scheduled', 'pending')),
		count(*) FILTER (WHERE state = 'running'),
		count(*) FILTER (WHERE state = 'retryable'),
		count(*) FILTER (WHERE state = 'discarded')
		FROM river_job`).Scan(&c.Pending, &c.Running, &c.Retrying, &c.Failed)
	if err != nil {
		return c, fmt.Errorf("postgres: count jobs: %w", err)
	}
	return c, nil
}
