-- The staff desk (contract §7) and conversion tracking's stepReached (§8):
-- the roster, assignment, the timeline, the list's new filters and search,
-- and the payment plan a save keeps (§5).

-- +goose Up
ALTER TABLE leads ADD COLUMN assigned_to TEXT;
ALTER TABLE leads ADD COLUMN assigned_at TEXT;
-- 'auto' or 'manual' once the lead has been assigned (or unassigned) by
-- either way: automatic assignment never overrides a manual one.
ALTER TABLE leads ADD COLUMN assigned_how TEXT CHECK (assigned_how IN ('auto', 'manual'));
-- The highest onboarding step ever saved; what is known of existing leads is
-- their current step.
ALTER TABLE leads ADD COLUMN step_reached INTEGER NOT NULL DEFAULT 1 CHECK (step_reached BETWEEN 1 AND 3);
UPDATE leads SET step_reached = onboarding_step;
ALTER TABLE leads ADD COLUMN payment_plan TEXT;

CREATE INDEX idx_leads_assigned_to ON leads (assigned_to, created_at, id);
CREATE INDEX idx_leads_course_id ON leads (course_id, created_at, id);
CREATE INDEX idx_leads_last_saved_at ON leads (last_saved_at, id);
CREATE INDEX idx_leads_converted_to_student_id ON leads (converted_to_student_id);
CREATE INDEX idx_leads_step ON leads (onboarding_step, created_at, id);
-- Overdue leads (PENDING, never contacted), oldest first: the list's overdue
-- filter reads and counts this index alone.
CREATE INDEX idx_leads_overdue ON leads (created_at, id) WHERE status = 'PENDING' AND contacted_at IS NULL;

-- Staff members, by their token's sub. Not tied to users: staff need no lead.
CREATE TABLE staff (
    id         TEXT PRIMARY KEY,
    full_name  TEXT NOT NULL,
    email      TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- The centres each staff member takes leads for.
CREATE TABLE staff_centers (
    staff_id  TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    center_id TEXT NOT NULL REFERENCES centers (id) ON DELETE CASCADE,
    PRIMARY KEY (center_id, staff_id)
) STRICT, WITHOUT ROWID;

-- The round-robin turn of each centre: the staff member who got its last
-- lead. The next lead goes to the first active staff member of the centre
-- after them in id order (wrapping around), so the turn survives restarts
-- and roster changes.
CREATE TABLE assignment_turns (
    center_id     TEXT PRIMARY KEY REFERENCES centers (id) ON DELETE CASCADE,
    last_staff_id TEXT
) STRICT;

-- The timeline: every change to a lead, written in the same transaction as
-- the change, erased with the lead.
CREATE TABLE activities (
    id      TEXT PRIMARY KEY,
    lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    type    TEXT NOT NULL,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    data    TEXT NOT NULL -- a JSON object
) STRICT;
CREATE INDEX idx_activities_lead ON activities (lead_id, at, id);

-- Search (the list's q): a trigram index over name, e-mail and phone, so a
-- substring of three characters or more is found without reading every lead.
-- The triggers keep it in step with the leads table.
CREATE VIRTUAL TABLE leads_search USING fts5 (
    full_name, email, phone, content = 'leads', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO leads_search (leads_search) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER leads_search_insert AFTER INSERT ON leads
BEGIN
    INSERT INTO leads_search (rowid, full_name, email, phone) VALUES (NEW.rowid, NEW.full_name, NEW.email, NEW.phone);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER leads_search_delete AFTER DELETE ON leads
BEGIN
    INSERT INTO leads_search (leads_search, rowid, full_name, email, phone)
    VALUES ('delete', OLD.rowid, OLD.full_name, OLD.email, OLD.phone);
END;
-- +goose StatementEnd

-- A save rewrites every column; only a real change of the searched ones
-- touches the index.
-- +goose StatementBegin
CREATE TRIGGER leads_search_update AFTER UPDATE OF full_name, email, phone ON leads
WHEN OLD.full_name IS NOT NEW.full_name OR OLD.email IS NOT NEW.email OR OLD.phone IS NOT NEW.phone
BEGIN
    INSERT INTO leads_search (leads_search, rowid, full_name, email, phone)
    VALUES ('delete', OLD.rowid, OLD.full_name, OLD.email, OLD.phone);
    INSERT INTO leads_search (rowid, full_name, email, phone) VALUES (NEW.rowid, NEW.full_name, NEW.email, NEW.phone);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER leads_search_update;
DROP TRIGGER leads_search_delete;
DROP TRIGGER leads_search_insert;
DROP TABLE leads_search;
DROP TABLE activities;
DROP TABLE assignment_turns;
DROP TABLE staff_centers;
DROP TABLE staff;
DROP INDEX idx_leads_overdue;
DROP INDEX idx_leads_step;
DROP INDEX idx_leads_converted_to_student_id;
DROP INDEX idx_leads_last_saved_at;
DROP INDEX idx_leads_course_id;
DROP INDEX idx_leads_assigned_to;
ALTER TABLE leads DROP COLUMN payment_plan;
ALTER TABLE leads DROP COLUMN step_reached;
ALTER TABLE leads DROP COLUMN assigned_how;
ALTER TABLE leads DROP COLUMN assigned_at;
ALTER TABLE leads DROP COLUMN assigned_to;
