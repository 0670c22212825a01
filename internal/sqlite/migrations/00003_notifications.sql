-- Notifications (contract §9): nudges and their opt-out, webhook
-- subscriptions and their delivery log, and the service's own keys. The job
-- queue itself (River's tables) is migration 4, in Go.

-- +goose Up
ALTER TABLE leads ADD COLUMN nudges_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN last_nudged_at TEXT;
ALTER TABLE leads ADD COLUMN unsubscribed_at TEXT;
-- The leads a nudge may be due for: pending, not unsubscribed, by last save.
CREATE INDEX idx_leads_nudge ON leads (last_saved_at) WHERE status = 'PENDING' AND unsubscribed_at IS NULL;

CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL, -- a JSON array of event names
    secret     TEXT NOT NULL, -- whsec_…: signs every delivery
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    disabled   TEXT,          -- why it stopped (410 Gone), when it did
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Every attempt to deliver an event: no body is kept beyond a short excerpt.
CREATE TABLE webhook_deliveries (
    id          TEXT PRIMARY KEY,
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id  TEXT NOT NULL,
    event       TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    status_code INTEGER,      -- NULL when no answer came
    error       TEXT,
    excerpt     TEXT,
    at          TEXT NOT NULL
) STRICT;
CREATE INDEX idx_webhook_deliveries ON webhook_deliveries (webhook_id, at, id);

-- Keys the service makes for itself on first use (the unsubscribe links'),
-- shared by every instance through the database.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE secrets;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP INDEX idx_leads_nudge;
ALTER TABLE leads DROP COLUMN unsubscribed_at;
ALTER TABLE leads DROP COLUMN last_nudged_at;
ALTER TABLE leads DROP COLUMN nudges_sent;
