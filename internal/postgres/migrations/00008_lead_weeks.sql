-- Conversion tracking over a whole table (issue 15: GET /leads/stats at a
-- million leads in 200 ms): the leads counted by the UTC ISO week of their
-- creation (its Monday), centre, course, status and step reached, with how
-- many of them were ever contacted, kept by triggers in the transaction of
-- each change. The stats read whole weeks from here, a few hundred rows a
-- week, instead of every lead's index entry; the weeks at the range's edges
-- and those from the overdue time's week on are counted from the leads.
--
-- One row per key, no shards: a lead's creation already locks its centre's
-- assignment turn, and every key here names a centre, or none. A count may
-- reach 0; the reads skip those.

-- +goose Up
CREATE TABLE lead_weeks (
    week         date NOT NULL,
    center_id    text NOT NULL DEFAULT '',
    course_id    text NOT NULL DEFAULT '',
    status       text NOT NULL,
    step_reached integer NOT NULL,
    n            bigint NOT NULL,
    contacted    bigint NOT NULL,
    PRIMARY KEY (week, center_id, course_id, status, step_reached)
) WITH (fillfactor = 70);

-- +goose StatementBegin
CREATE FUNCTION lead_weeks_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_weeks (week, center_id, course_id, status, step_reached, n, contacted)
    VALUES (date_trunc('week', NEW.created_at AT TIME ZONE 'UTC')::date, COALESCE(NEW.center_id, ''), COALESCE(NEW.course_id, ''),
        NEW.status, NEW.step_reached, 1, (NEW.contacted_at IS NOT NULL)::integer)
    ON CONFLICT (week, center_id, course_id, status, step_reached)
    DO UPDATE SET n = lead_weeks.n + 1, contacted = lead_weeks.contacted + excluded.contacted;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION lead_weeks_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE lead_weeks SET n = n - 1, contacted = contacted - (OLD.contacted_at IS NOT NULL)::integer
    WHERE week = date_trunc('week', OLD.created_at AT TIME ZONE 'UTC')::date AND center_id = COALESCE(OLD.center_id, '')
        AND course_id = COALESCE(OLD.course_id, '') AND status = OLD.status AND step_reached = OLD.step_reached;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Both rows of a move are written by one statement in key order, so two
-- transactions moving leads between the same keys lock them in the same
-- order and cannot deadlock; when only the first contact changes, the two
-- rows are one.
-- +goose StatementBegin
CREATE FUNCTION lead_weeks_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_weeks (week, center_id, course_id, status, step_reached, n, contacted)
    SELECT v.week, v.center_id, v.course_id, v.status, v.step_reached, sum(v.n), sum(v.contacted)
    FROM (VALUES
        (date_trunc('week', OLD.created_at AT TIME ZONE 'UTC')::date, COALESCE(OLD.center_id, ''), COALESCE(OLD.course_id, ''),
            OLD.status, OLD.step_reached, -1, -(OLD.contacted_at IS NOT NULL)::integer),
        (date_trunc('week', NEW.created_at AT TIME ZONE 'UTC')::date, COALESCE(NEW.center_id, ''), COALESCE(NEW.course_id, ''),
            NEW.status, NEW.step_reached, 1, (NEW.contacted_at IS NOT NULL)::integer)
    ) AS v (week, center_id, course_id, status, step_reached, n, contacted)
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (week, center_id, course_id, status, step_reached)
    DO UPDATE SET n = lead_weeks.n + excluded.n, contacted = lead_weeks.contacted + excluded.contacted;
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
DROP TABLE lead_weeks;
