-- Conversion tracking at a million leads (issue 8): the stats read these two
-- indexes only, never the table (index-only scans, as long as autovacuum keeps
-- the visibility map current).
--
-- idx_leads_stats holds every column the stats group by and filter on.
-- idx_leads_first_contact keeps the contacted leads in order of their
-- first-contact delay (the expression is the one in stats.go, letter for
-- letter; contacted_at and created_at are in it so that no heap read is
-- needed), so that a percentile is an OFFSET into it. The statistics tell the
-- planner how few groups the day counts make (hundreds of thousands fewer
-- than rows), without which it sorts instead of hashing in parallel.

-- +goose Up
CREATE INDEX idx_leads_stats ON leads (created_at, center_id, course_id, status, step_reached, contacted_at);
CREATE INDEX idx_leads_first_contact ON leads ((floor(extract(epoch FROM contacted_at - created_at))::bigint), created_at, center_id, course_id, contacted_at)
    WHERE contacted_at IS NOT NULL;
CREATE STATISTICS leads_stats_groups ON ((created_at AT TIME ZONE 'UTC')::date), center_id, status, step_reached FROM leads;
ANALYZE leads;

-- +goose Down
DROP STATISTICS leads_stats_groups;
DROP INDEX idx_leads_first_contact;
DROP INDEX idx_leads_stats;
