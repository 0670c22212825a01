-- The leads schema on PostgreSQL. Times are timestamptz, always written from Go
-- (UTC, microseconds), never from the database's clock.

-- +goose Up
CREATE TABLE users (
    id         text PRIMARY KEY,
    full_name  text NOT NULL,
    email      text NOT NULL,
    phone      text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE locations (
    id   text PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE centers (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    location_id text REFERENCES locations (id) ON DELETE SET NULL
);
CREATE INDEX idx_centers_location_id ON centers (location_id);

CREATE TABLE courses (
    id        text PRIMARY KEY,
    name      text NOT NULL,
    center_id text REFERENCES centers (id) ON DELETE SET NULL
);
CREATE INDEX idx_courses_center_id ON courses (center_id);

CREATE TABLE students (
    id         text PRIMARY KEY,
    user_id    text REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL
);
-- One student per user: CompleteOnboarding relies on it under races.
CREATE UNIQUE INDEX idx_students_user_id ON students (user_id);

CREATE TABLE leads (
    -- "C" so the id tie-break of the list order is byte order, as on SQLite,
    -- whatever the database's collation.
    id                      text COLLATE "C" PRIMARY KEY,
    user_id                 text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    full_name               text NOT NULL,
    email                   text NOT NULL,
    phone                   text,
    training_location       text,
    training_location_name  text,
    center_id               text REFERENCES centers (id) ON DELETE SET NULL,
    center_name             text,
    student_address         text,
    course_id               text REFERENCES courses (id) ON DELETE SET NULL,
    course_name             text,
    has_guardian            boolean NOT NULL DEFAULT false,
    guardian_name           text,
    guardian_phone          text,
    guardian_email          text,
    guardian_address        text,
    onboarding_step         integer NOT NULL DEFAULT 1 CHECK (onboarding_step BETWEEN 1 AND 3),
    last_saved_at           timestamptz NOT NULL,
    status                  text NOT NULL DEFAULT 'PENDING'
                            CHECK (status IN ('PENDING', 'CONTACTED', 'CONVERTED', 'LOST')),
    source                  text NOT NULL, -- leads.DefaultSource when a save names none
    notes                   text,
    contacted_at            timestamptz,
    contacted_by            text,
    converted_at            timestamptz,
    converted_to_student_id text REFERENCES students (id) ON DELETE SET NULL,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
) WITH (fillfactor = 85); -- room on each page for HOT updates: a re-save touches no index
-- The one-lead-per-user constraint the save's upsert targets.
CREATE UNIQUE INDEX "idx_leads_userId" ON leads (user_id);
CREATE INDEX idx_leads_status ON leads (status, created_at, id);
CREATE INDEX "idx_leads_centerId" ON leads (center_id, created_at, id);
CREATE INDEX "idx_leads_createdAt" ON leads (created_at, id);

-- Exact lead counts per (status, centre), kept by the triggers below so that a
-- ListLeads total is a SUM over a few rows rather than a count over every lead.
-- Each change lands on one of 16 random shards so that concurrent writers do
-- not queue on one hot row; a shard may go negative, the sum stays exact.
-- fillfactor leaves room for HOT updates of n.
CREATE TABLE lead_counts (
    status    text NOT NULL,
    center_id text NOT NULL DEFAULT '',
    shard     integer NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (status, center_id, shard)
) WITH (fillfactor = 50);
-- The centre-only filter cannot use the primary key's leading status column.
CREATE INDEX idx_lead_counts_center_id ON lead_counts (center_id);

-- +goose StatementBegin
CREATE FUNCTION lead_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_counts (status, center_id, shard, n)
    VALUES (NEW.status, COALESCE(NEW.center_id, ''), floor(random() * 16)::integer, 1)
    ON CONFLICT (status, center_id, shard) DO UPDATE SET n = lead_counts.n + 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION lead_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_counts (status, center_id, shard, n)
    VALUES (OLD.status, COALESCE(OLD.center_id, ''), floor(random() * 16)::integer, -1)
    ON CONFLICT (status, center_id, shard) DO UPDATE SET n = lead_counts.n - 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Both rows of a move are written by one statement in key order, so two
-- transactions moving leads between the same keys lock them in the same order
-- and cannot deadlock. The trigger's WHEN guarantees the two keys differ.
-- +goose StatementBegin
CREATE FUNCTION lead_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s integer := floor(random() * 16)::integer;
BEGIN
    INSERT INTO lead_counts (status, center_id, shard, n)
    SELECT v.status, v.center_id, s, v.n
    FROM (VALUES (OLD.status, COALESCE(OLD.center_id, ''), -1),
                 (NEW.status, COALESCE(NEW.center_id, ''), 1)) AS v (status, center_id, n)
    ORDER BY v.status, v.center_id
    ON CONFLICT (status, center_id, shard) DO UPDATE SET n = lead_counts.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER leads_count_insert AFTER INSERT ON leads
    FOR EACH ROW EXECUTE FUNCTION lead_counts_insert();
CREATE TRIGGER leads_count_delete AFTER DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION lead_counts_delete();
-- The WHEN is checked without calling the function, so the usual save (same
-- status, same centre) costs nothing here.
CREATE TRIGGER leads_count_update AFTER UPDATE OF status, center_id ON leads
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR COALESCE(OLD.center_id, '') IS DISTINCT FROM COALESCE(NEW.center_id, ''))
    EXECUTE FUNCTION lead_counts_update();

-- +goose Down
DROP TABLE lead_counts;
DROP TABLE leads;
DROP FUNCTION lead_counts_update();
DROP FUNCTION lead_counts_delete();
DROP FUNCTION lead_counts_insert();
DROP TABLE students;
DROP TABLE courses;
DROP TABLE centers;
DROP TABLE locations;
DROP TABLE users;
