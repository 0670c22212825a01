-- Notifications (contract §9): nudges and their opt-out, webhook
-- subscriptions and their delivery log, and the service's own keys. The job
-- queue itself (River's tables) is migration 4, in Go.

-- +goose Up
ALTER TABLE leads
    ADD COLUMN nudges_sent integer NOT NULL DEFAULT 0,
    ADD COLUMN last_nudged_at timestamptz,
    ADD COLUMN unsubscribed_at timestamptz;
-- The leads a nudge may be due for: pending, not unsubscribed, by last save.
CREATE INDEX idx_leads_nudge ON leads (last_saved_at) WHERE status = 'PENDING' AND unsubscribed_at IS NULL;

CREATE TABLE webhooks (
    id         text PRIMARY KEY,
    url        text NOT NULL,
    events     text[] NOT NULL,
    secret     text NOT NULL, -- whsec_…: signs every delivery
    active     boolean NOT NULL DEFAULT true,
    disabled   text,          -- why it stopped (410 Gone), when it did
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Every attempt to deliver an event: no body is kept beyond a short excerpt.
CREATE TABLE webhook_deliveries (
    id          text COLLATE "C" PRIMARY KEY,
    webhook_id  text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id  text NOT NULL,
    event       text NOT NULL,
    attempt     integer NOT NULL,
    status_code integer,      -- NULL when no answer came
    error       text,
    excerpt     text,
    at          timestamptz NOT NULL
);
CREATE INDEX idx_webhook_deliveries ON webhook_deliveries (webhook_id, at, id);

-- Keys the service makes for itself on first use (the unsubscribe links'),
-- shared by every instance through the database.
CREATE TABLE secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP INDEX idx_leads_nudge;
ALTER TABLE leads
    DROP COLUMN unsubscribed_at,
    DROP COLUMN last_nudged_at,
    DROP COLUMN nudges_sent;
