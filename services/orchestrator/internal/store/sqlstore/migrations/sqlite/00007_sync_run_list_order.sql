-- +goose Up
-- GET /v1/syncs lists runs newest first (created_at, then id), an admin's over all runs and a
-- client's over its own: both orders come from an index instead of a sort of every run.
CREATE INDEX sync_runs_created ON sync_runs (created_at, id);
DROP INDEX sync_runs_client;
CREATE INDEX sync_runs_client ON sync_runs (client_id, created_at, id);

-- +goose Down
DROP INDEX sync_runs_client;
CREATE INDEX sync_runs_client ON sync_runs (client_id);
DROP INDEX sync_runs_created;
