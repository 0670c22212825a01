package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/queue"
)

// Notifications' storage: the job queue (River, on this database file), the
// webhook subscriptions and their deliveries, nudges, and the service's keys.

// riverMigration is migration 4: River's own tables, at queue.Version, made
// by River's migrator outside a transaction of goose's.
func (s *Store) riverMigration() *goose.Migration {
	run := func(target int) func(ctx context.Context, db *sql.DB) error {
		return func(ctx context.Context, db *sql.DB) error {
			m, err := rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
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
// until the returned stop is called. River gets a connection of its own to
// the file: its polling must not queue behind the batcher's transactions on
// the writer, nor they behind it.
func (s *Store) StartJobs(ctx context.Context, workers *river.Workers, periodic []*river.PeriodicJob, log *slog.Logger) (stop func(context.Context) error, err error) {
	db, err := sql.Open("sqlite", s.dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the queue's connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	cfg := queue.Config(workers, periodic, log)
	cfg.PollOnly = true // SQLite has no LISTEN; River polls
	client, err := river.NewClient(riversqlite.New(db), cfg)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: job queue: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: start the job queue: %w", err)
	}
	return func(ctx context.Context) error {
		err := client.Stop(ctx)
		return errors.Join(err, db.Close())
	}, nil
}

// Enqueue inserts the jobs in the transaction.
func (t *tx) Enqueue(ctx context.Context, jobs ...leads.Job) error {
	if _, err := t.s.inserter.InsertManyTx(ctx, t.tx, queue.InsertParams(jobs)); err != nil {
		return fmt.Errorf("sqlite: queue jobs: %w", err)
	}
	return nil
}

// WebhooksFor returns the ids of the active subscriptions to each event.
func (t *tx) WebhooksFor(ctx context.Context, events ...string) (map[string][]string, error) {
	list, err := json.Marshal(events)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find webhooks: %w", err)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT DISTINCT w.id, e.value FROM webhooks w, json_each(w.events) e
		WHERE w.active AND e.value IN (SELECT value FROM json_each(?1)) ORDER BY w.id`, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: find webhooks: %w", err)
	}
	defer rows.Close()
	hooks := map[string][]string{}
	for rows.Next() {
		var id, event string
		if err := rows.Scan(&id, &event); err != nil {
			return nil, fmt.Errorf("sqlite: find webhooks: %w", err)
		}
		hooks[event] = append(hooks[event], id)
	}
	return hooks, rows.Err()
}

// ClaimNudges marks the leads a nudge is due for, and returns them.
func (t *tx) ClaimNudges(ctx context.Context, savedBefore time.Time, max int, now time.Time, limit int) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, `UPDATE leads SET nudges_sent = nudges_sent + 1, last_nudged_at = ?3
		WHERE id IN (SELECT id FROM leads
			WHERE status = 'PENDING' AND unsubscribed_at IS NULL AND last_saved_at < ?1 AND nudges_sent < ?2
				AND (last_nudged_at IS NULL OR last_nudged_at < ?1)
			ORDER BY last_saved_at LIMIT ?4)
		RETURNING id`, timeText(savedBefore), max, timeText(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim nudges: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: claim nudges: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Unsubscribe stops the lead's nudges (the first time counts).
func (t *tx) Unsubscribe(ctx context.Context, leadID string, now time.Time) error {
	delete(t.read, leadID) // what UpdateLead would compare with is old now
	res, err := t.tx.ExecContext(ctx, `UPDATE leads SET unsubscribed_at = COALESCE(unsubscribed_at, ?2) WHERE id = ?1`,
		leadID, timeText(now))
	if err != nil {
		return fmt.Errorf("sqlite: unsubscribe: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("sqlite: unsubscribe: %w", err)
		}
		return leads.ErrLeadNotFound
	}
	return nil
}

// deleteJobsOf removes the queued jobs of an erased lead, but a running one
// (River's to finish; it will find no lead).
func (t *tx) deleteJobsOf(ctx context.Context, leadID string) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM river_job WHERE args->>'$.lead_id' = ?1 AND state <> 'running'`, leadID); err != nil {
		return fmt.Errorf("sqlite: delete the lead's jobs: %w", err)
	}
	return nil
}

// PutWebhook creates or replaces a subscription; a replacement without a
// secret keeps the one it had.
func (s *Store) PutWebhook(ctx context.Context, w leads.Webhook, now time.Time) (bool, error) {
	events, err := json.Marshal(w.Events)
	if err != nil {
		return false, err
	}
	created, err := s.putWith(ctx,
		`INSERT INTO webhooks (id, url, events, secret, active, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5) ON CONFLICT (id) DO NOTHING`, []any{w.ID, w.URL, string(events), w.Secret, timeText(now)},
		`UPDATE webhooks SET url = ?2, events = ?3, secret = COALESCE(NULLIF(?4, ''), secret), active = 1, disabled = NULL,
		updated_at = ?5 WHERE id = ?1`, []any{w.ID, w.URL, string(events), w.Secret, timeText(now)})
	if err != nil {
		return false, fmt.Errorf("sqlite: put webhook: %w", err)
	}
	return created, nil
}

// webhookColumns are scanWebhook's.
const webhookColumns = `id, url, events, secret, active, disabled, created_at`

func scanWebhook(row scanner) (leads.Webhook, error) {
	var w leads.Webhook
	var events string
	if err := row.Scan(&w.ID, &w.URL, &events, &w.Secret, &w.Active, &w.Disabled, scanTime{&w.CreatedAt}); err != nil {
		return w, err
	}
	return w, json.Unmarshal([]byte(events), &w.Events)
}

// Webhooks lists the subscriptions by id, without their secrets.
func (s *Store) Webhooks(ctx context.Context) ([]leads.Webhook, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list webhooks: %w", err)
	}
	defer rows.Close()
	out := []leads.Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list webhooks: %w", err)
		}
		w.Secret = ""
		out = append(out, w)
	}
	return out, rows.Err()
}

// Webhook returns a subscription with its secret.
func (s *Store) Webhook(ctx context.Context, id string) (leads.Webhook, error) {
	w, err := scanWebhook(s.read.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, leads.ErrNotFound
	}
	if err != nil {
		return w, fmt.Errorf("sqlite: read webhook: %w", err)
	}
	return w, nil
}

// DeleteWebhook removes a subscription and its deliveries' log.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?1`, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return leads.ErrNotFound
		}
		return nil
	})
}

// DisableWebhook stops deliveries to a subscription.
func (s *Store) DisableWebhook(ctx context.Context, id, why string, now time.Time) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhooks SET active = 0, disabled = ?2, updated_at = ?3 WHERE id = ?1`, id, why, timeText(now))
		if err != nil {
			return fmt.Errorf("sqlite: disable webhook: %w", err)
		}
		return nil
	})
}

// RecordDelivery logs an attempt to deliver an event.
func (s *Store) RecordDelivery(ctx context.Context, webhookID string, d leads.Delivery, excerpt string) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, message_id, event, attempt, status_code, error, excerpt, at)
			SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?2)`,
			id.String(), webhookID, d.MessageID, d.Event, d.Attempt, d.StatusCode, d.Error, excerpt, timeText(d.At))
		if err != nil {
			return fmt.Errorf("sqlite: record delivery: %w", err)
		}
		return nil
	})
}

// Deliveries lists a subscription's attempts, newest first.
func (s *Store) Deliveries(ctx context.Context, webhookID string, limit int) ([]leads.Delivery, error) {
	var exists bool
	if err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = ?1)`, webhookID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	if !exists {
		return nil, leads.ErrNotFound
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, message_id, event, attempt, status_code, error, at
		FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	defer rows.Close()
	out := []leads.Delivery{}
	for rows.Next() {
		var d leads.Delivery
		if err := rows.Scan(&d.ID, &d.MessageID, &d.Event, &d.Attempt, &d.StatusCode, &d.Error, scanTime{&d.At}); err != nil {
			return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Secret returns the key kept under name, making it on first use; the
// insert that loses a race keeps the winner's key.
func (s *Store) Secret(ctx context.Context, name string, size int, now time.Time) ([]byte, error) {
	var key []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?1`, name).Scan(&key)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: read secret: %w", err)
	}
	fresh := make([]byte, size)
	rand.Read(fresh)
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?1, ?2, ?3)
			ON CONFLICT (name) DO NOTHING`, name, fresh, timeText(now)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?1`, name).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: make secret: %w", err)
	}
	return key, nil
}

// JobCounts counts the queue's jobs by state.
func (s *Store) JobCounts(ctx context.Context) (leads.JobCounts, error) {
	var c leads.JobCounts
	err := s.read.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE state IN ('available', 'scheduled', 'pending')),
		count(*) FILTER (WHERE state = 'running'),
		count(*) FILTER (WHERE state = 'retryable'),
		count(*) FILTER (WHERE state = 'discarded')
		FROM river_job`).Scan(&c.Pending, &c.Running, &c.Retrying, &c.Failed)
	if err != nil {
		return c, fmt.Errorf("sqlite: count jobs: %w", err)
	}
	return c, nil
}
