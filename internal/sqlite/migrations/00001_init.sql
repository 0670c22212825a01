-- The leads schema on SQLite. Tables are STRICT so a wrong type is an error, not
-- a silent conversion. Times are TEXT in the fixed-width form
-- 2006-01-02T15:04:05.000000Z, always written from Go, so text order is time order.

-- +goose Up
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    full_name  TEXT NOT NULL,
    email      TEXT NOT NULL,
    phone      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE locations (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE centers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    location_id TEXT REFERENCES locations (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX idx_centers_location_id ON centers (location_id, name);

CREATE TABLE courses (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    center_id TEXT REFERENCES centers (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX idx_courses_center_id ON courses (center_id, name);

CREATE TABLE students (
    id         TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
) STRICT;
-- One student per user: CompleteOnboarding relies on it under races.
CREATE UNIQUE INDEX idx_students_user_id ON students (user_id);

CREATE TABLE leads (
    id                      TEXT PRIMARY KEY,
    user_id                 TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    full_name               TEXT NOT NULL,
    email                   TEXT NOT NULL,
    phone                   TEXT,
    training_location       TEXT,
    training_location_name  TEXT,
    center_id               TEXT REFERENCES centers (id) ON DELETE SET NULL,
    center_name             TEXT,
    student_address         TEXT,
    course_id               TEXT REFERENCES courses (id) ON DELETE SET NULL,
    course_name             TEXT,
    has_guardian            INTEGER NOT NULL DEFAULT 0 CHECK (has_guardian IN (0, 1)),
    guardian_name           TEXT,
    guardian_phone          TEXT,
    guardian_email          TEXT,
    guardian_address        TEXT,
    onboarding_step         INTEGER NOT NULL DEFAULT 1 CHECK (onboarding_step BETWEEN 1 AND 3),
    last_saved_at           TEXT NOT NULL,
    status                  TEXT NOT NULL DEFAULT 'PENDING'
                            CHECK (status IN ('PENDING', 'CONTACTED', 'CONVERTED', 'LOST')),
    source                  TEXT NOT NULL, -- leads.DefaultSource when a save names none
    notes                   TEXT,
    contacted_at            TEXT,
    contacted_by            TEXT,
    converted_at            TEXT,
    converted_to_student_id TEXT REFERENCES students (id) ON DELETE SET NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
) STRICT;
-- The one-lead-per-user constraint the save's upsert targets.
CREATE UNIQUE INDEX "idx_leads_userId" ON leads (user_id);
CREATE INDEX idx_leads_status ON leads (status, created_at, id);
CREATE INDEX "idx_leads_centerId" ON leads (center_id, created_at, id);
CREATE INDEX "idx_leads_createdAt" ON leads (created_at, id);

-- Exact lead counts per (status, centre), kept by the triggers below so that
-- ListLeads totals are a small SUM rather than a count over every lead.
-- SQLite has one writer, so shard is always 0.
CREATE TABLE lead_counts (
    status    TEXT NOT NULL,
    center_id TEXT NOT NULL DEFAULT '',
    shard     INTEGER NOT NULL DEFAULT 0,
    n         INTEGER NOT NULL,
    PRIMARY KEY (status, center_id, shard)
) STRICT, WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER leads_count_insert AFTER INSERT ON leads
BEGIN
    INSERT INTO lead_counts (status, center_id, shard, n)
    VALUES (NEW.status, COALESCE(NEW.center_id, ''), 0, 1)
    ON CONFLICT (status, center_id, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER leads_count_delete AFTER DELETE ON leads
BEGIN
    UPDATE lead_counts SET n = n - 1
    WHERE status = OLD.status AND center_id = COALESCE(OLD.center_id, '') AND shard = 0;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER leads_count_update AFTER UPDATE OF status, center_id ON leads
WHEN OLD.status IS NOT NEW.status OR OLD.center_id IS NOT NEW.center_id
BEGIN
    UPDATE lead_counts SET n = n - 1
    WHERE status = OLD.status AND center_id = COALESCE(OLD.center_id, '') AND shard = 0;
    INSERT INTO lead_counts (status, center_id, shard, n)
    VALUES (NEW.status, COALESCE(NEW.center_id, ''), 0, 1)
    ON CONFLICT (status, center_id, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE lead_counts;
DROP TABLE leads;
DROP TABLE students;
DROP TABLE courses;
DROP TABLE centers;
DROP TABLE locations;
DROP TABLE users;
