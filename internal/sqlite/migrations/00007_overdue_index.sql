-- The overdue filter (contract §8) at a million leads: the partial index of
-- overdue candidates also holds the two columns its condition fixes, so the
-- planner sees the filter's three terms (status, contacted_at, created_at)
-- in one index and counts and pages from it alone. With created_at first,
-- SQLite preferred idx_leads_status and read 400,000 rows for contacted_at.

-- +goose Up
DROP INDEX idx_leads_overdue;
CREATE INDEX idx_leads_overdue ON leads (status, contacted_at, created_at, id) WHERE status = 'PENDING' AND contacted_at IS NULL;

-- +goose Down
DROP INDEX idx_leads_overdue;
CREATE INDEX idx_leads_overdue ON leads (created_at, id) WHERE status = 'PENDING' AND contacted_at IS NULL;
