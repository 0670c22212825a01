-- The staff desk (contract §7) and conversion tracking's stepReached (§8):
-- the roster, assignment, the timeline, the list's new filters and search,
-- and the payment plan a save keeps (§5).

-- +goose Up
ALTER TABLE leads
    ADD COLUMN assigned_to text COLLATE "C",
    ADD COLUMN assigned_at timestamptz,
    -- 'auto' or 'manual' once the lead has been assigned (or unassigned) by
    -- either way: automatic assignment never overrides a manual one.
    ADD COLUMN assigned_how text CHECK (assigned_how IN ('auto', 'manual')),
    -- The highest onboarding step ever saved; what is known of existing leads
    -- is their current step.
    ADD COLUMN step_reached integer NOT NULL DEFAULT 1 CHECK (step_reached BETWEEN 1 AND 3),
    ADD COLUMN payment_plan text;
UPDATE leads SET step_reached = onboarding_step;

CREATE INDEX idx_leads_assigned_to ON leads (assigned_to, created_at, id);
CREATE INDEX idx_leads_course_id ON leads (course_id, created_at, id);
CREATE INDEX idx_leads_last_saved_at ON leads (last_saved_at, id);
CREATE INDEX idx_leads_converted_to_student_id ON leads (converted_to_student_id);
CREATE INDEX idx_leads_step ON leads (onboarding_step, created_at, id);
-- Overdue leads (PENDING, never contacted), oldest first: the list's overdue
-- filter reads and counts this index alone.
CREATE INDEX idx_leads_overdue ON leads (created_at, id) WHERE status = 'PENDING' AND contacted_at IS NULL;

-- Search (the list's q): trigram indexes, so that ILIKE '%…%' on a name,
-- e-mail or phone reads the index, not every lead. The extension lives in
-- public, once per database (pg_trgm is trusted: a database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE INDEX idx_leads_full_name_trgm ON leads USING gin (full_name public.gin_trgm_ops);
CREATE INDEX idx_leads_email_trgm ON leads USING gin (email public.gin_trgm_ops);
CREATE INDEX idx_leads_phone_trgm ON leads USING gin (phone public.gin_trgm_ops);

-- Staff members, by their token's sub. Not tied to users: staff need no lead.
-- "C" collation: the round robin's id order is byte order, as on SQLite.
CREATE TABLE staff (
    id         text COLLATE "C" PRIMARY KEY,
    full_name  text NOT NULL,
    email      text NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- The centres each staff member takes leads for.
CREATE TABLE staff_centers (
    staff_id  text COLLATE "C" NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    center_id text NOT NULL REFERENCES centers (id) ON DELETE CASCADE,
    PRIMARY KEY (center_id, staff_id)
);
CREATE INDEX idx_staff_centers_staff_id ON staff_centers (staff_id);

-- The round-robin turn of each centre: the staff member who got its last
-- lead. The next lead goes to the first active staff member of the centre
-- after them in id order (wrapping around), so the turn survives restarts
-- and roster changes. Its row is the lock that queues concurrent creates.
CREATE TABLE assignment_turns (
    center_id     text PRIMARY KEY REFERENCES centers (id) ON DELETE CASCADE,
    last_staff_id text COLLATE "C"
);

-- The timeline: every change to a lead, written in the same transaction as
-- the change, erased with the lead.
CREATE TABLE activities (
    id      text COLLATE "C" PRIMARY KEY,
    lead_id text NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    type    text NOT NULL,
    at      timestamptz NOT NULL,
    actor   text NOT NULL,
    data    json NOT NULL -- json, not jsonb: clients get the text as written
);
CREATE INDEX idx_activities_lead ON activities (lead_id, at, id);

-- +goose Down
DROP TABLE activities;
DROP TABLE assignment_turns;
DROP TABLE staff_centers;
DROP TABLE staff;
DROP INDEX idx_leads_phone_trgm;
DROP INDEX idx_leads_email_trgm;
DROP INDEX idx_leads_full_name_trgm;
DROP INDEX idx_leads_overdue;
DROP INDEX idx_leads_step;
DROP INDEX idx_leads_converted_to_student_id;
DROP INDEX idx_leads_last_saved_at;
DROP INDEX idx_leads_course_id;
DROP INDEX idx_leads_assigned_to;
ALTER TABLE leads
    DROP COLUMN payment_plan,
    DROP COLUMN step_reached,
    DROP COLUMN assigned_how,
    DROP COLUMN assigned_at,
    DROP COLUMN assigned_to;
