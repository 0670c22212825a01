-- What an applicant chooses a course by (contract §4, issue 12): optional
-- free text. (Migration 4 is River's, in Go.)

-- +goose Up
ALTER TABLE courses ADD COLUMN description TEXT;
ALTER TABLE courses ADD COLUMN duration TEXT;
ALTER TABLE courses ADD COLUMN fee TEXT;

-- +goose Down
ALTER TABLE courses DROP COLUMN fee;
ALTER TABLE courses DROP COLUMN duration;
ALTER TABLE courses DROP COLUMN description;
