-- Conversion tracking at a million leads (issue 8): the stats read these two
-- indexes only, never the table.
--
-- idx_leads_stats leads with the UTC day of createdAt (text "YYYY-MM-DD..."),
-- then the columns the stats group by and filter on, so that the day counts
-- come off it in group order with no sort. idx_leads_first_contact keeps the
-- contacted leads in order of their first-contact delay (the expression is
-- the one in stats.go, letter for letter), so that a percentile is an OFFSET
-- into it.

-- +goose Up
CREATE INDEX idx_leads_stats ON leads (substr(created_at, 1, 10), center_id, status, step_reached, contacted_at, course_id, created_at);
CREATE INDEX idx_leads_first_contact ON leads ((unixepoch(substr(contacted_at, 1, 19)) - unixepoch(substr(created_at, 1, 19)) - (substr(contacted_at, 21, 6) < substr(created_at, 21, 6))), created_at, center_id, course_id, contacted_at)
    WHERE contacted_at IS NOT NULL;

-- +goose Down
DROP INDEX idx_leads_first_contact;
DROP INDEX idx_leads_stats;
