-- +goose Up
-- Completed sync runs are pruned once older than the retention, oldest first.
CREATE INDEX sync_runs_completed ON sync_runs (state, completed_at, id);
-- What was pruned from a run that keeps some records (its dead letters): the counts of the
-- records deleted, as JSON [{"t":<object type>,"s":"<state>","n":<count>}, …]; '' when none.
ALTER TABLE sync_runs ADD COLUMN pruned_counts TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sync_runs DROP COLUMN pruned_counts;
DROP INDEX sync_runs_completed;
