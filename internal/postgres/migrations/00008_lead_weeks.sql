-- Conversion tracking over a whole table (issue 15: GET /leads/stats at a
-- million leads in 200 ms): the leads counted by the UTC ISO week of their
-- creation (its Monday), centre, course, status and step reached, with how
-- many of them were ever contacted, kept by triggers in the transaction of
-- each change. The stats read whole weeks from here, a few hundred rows a
-- week, instead of every lead's index entry; the weeks at the range's edges
-- and those from the overdue time's week on are counted from the leads.
--
-- A row stays locked from the change that writes it until that change
-- commits, so changes with the same key queue. A lead created with a centre
-- already queues on its centre's assignment turn, whose key is coarser; a
-- lead created without one does not, so the keys without a centre are spread
-- over 8 random shards (a shard may go negative; the sums stay exact). Later
-- moves (a step raised, a status, a first contact) queue only behind moves
-- of the same week, centre, course, status and step. A count may reach 0;
-- the reads skip those.

-- +goose Up
CREATE TABLE lead_weeks (
    week         date NOT NULL,
    center_id    text NOT NULL DEFAULT '',
    course_id    text NOT NULL DEFAULT '',
    status       text NOT NULL,
    step_reached integer NOT NULL,
    shard        integer NOT NULL DEFAULT 0,
    n            bigint NOT NULL,
    contacted    bigint NOT NULL,
    PRIMARY KEY (week, center_id, course_id, status, step_reached, shard)
) WITH (fillfactor = 70);

-- lead_weeks_add adds n leads (c of them contacted) to the key of lead l,
-- on a random shard when l has no centre.
-- +goose StatementBegin
CREATE FUNCTION lead_weeks_add(l leads, n integer, c integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO lead_weeks (week, center_id, course_id, status, step_reached, shard, n, contacted)
    VALUES (date_trunc('week', l.created_at AT TIME ZONE 'UTC')::date, COALESCE(l.center_id, ''), COALESCE(l.course_id, ''),
        l.status, l.step_reached, CASE WHEN l.center_id IS NULL THEN floor(random() * 8)::integer ELSE 0 END, n, c)
    ON CONFLICT (week, center_id, course_id, status, step_reached, shard)
    DO UPDATE SET n = lead_weeks.n + excluded.n, contacted = lead_weeks.contacted + excluded.contacted
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION lead_weeks_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lead_weeks_add(NEW, 1, (NEW.contacted_at IS NOT NULL)::integer);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION lead_weeks_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lead_weeks_add(OLD, -1, -(OLD.contacted_at IS NOT NULL)::integer);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- The two rows of a move are written in key order, so two transactions
-- moving leads between the same keys lock them in the same order and cannot
-- deadlock; a first contact that moves no key is one row.
-- +goose StatementBegin
CREATE FUNCTION lead_weeks_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_key record := (date_trunc('week', OLD.created_at AT TIME ZONE 'UTC'), COALESCE(OLD.center_id, ''), COALESCE(OLD.course_id, ''), OLD.status, OLD.step_reached);
    new_key record := (date_trunc('week', NEW.created_at AT TIME ZONE 'UTC'), COALESCE(NEW.center_id, ''), COALESCE(NEW.course_id, ''), NEW.status, NEW.step_reached);
BEGIN
    IF old_key = new_key THEN
        PERFORM lead_weeks_add(NEW, 0, (NEW.contacted_at IS NOT NULL)::integer - (OLD.contacted_at IS NOT NULL)::integer);
    ELSIF old_key < new_key THEN
        PERFORM lead_weeks_add(OLD, -1, -(OLD.contacted_at IS NOT NULL)::integer);
        PERFORM lead_weeks_add(NEW, 1, (NEW.contacted_at IS NOT NULL)::integer);
    ELSE
        PERFORM lead_weeks_add(NEW, 1, (NEW.contacted_at IS NOT NULL)::integer);
        PERFORM lead_weeks_add(OLD, -1, -(OLD.contacted_at IS NOT NULL)::integer);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER leads_weeks_insert AFTER INSERT ON leads
    FOR EACH ROW EXECUTE FUNCTION lead_weeks_insert();
CREATE TRIGGER leads_weeks_delete AFTER DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION lead_weeks_delete();
-- The WHEN is checked without calling the function: a save that moves none
-- of the keys (the usual one) costs nothing here.
CREATE TRIGGER leads_weeks_update AFTER UPDATE OF created_at, center_id, course_id, status, step_reached, contacted_at ON leads
    FOR EACH ROW
    WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.center_id IS DISTINCT FROM NEW.center_id
          OR OLD.course_id IS DISTINCT FROM NEW.course_id
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.step_reached IS DISTINCT FROM NEW.step_reached
          OR (OLD.contacted_at IS NULL) <> (NEW.contacted_at IS NULL))
    EXECUTE FUNCTION lead_weeks_update();

INSERT INTO lead_weeks (week, center_id, course_id, status, step_reached, n, contacted)
SELECT date_trunc('week', created_at AT TIME ZONE 'UTC')::date, COALESCE(center_id, ''), COALESCE(course_id, ''),
    status, step_reached, count(*), count(contacted_at)
FROM leads GROUP BY 1, 2, 3, 4, 5;

-- +goose Down
DROP TRIGGER leads_weeks_update ON leads;
DROP TRIGGER leads_weeks_delete ON leads;
DROP TRIGGER leads_weeks_insert ON leads;
DROP FUNCTION lead_weeks_update();
DROP FUNCTION lead_weeks_delete();
DROP FUNCTION lead_weeks_insert();
DROP FUNCTION lead_weeks_add(leads, integer, integer);
DROP TABLE lead_weeks;
