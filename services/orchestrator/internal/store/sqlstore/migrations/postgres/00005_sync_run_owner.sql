-- +goose Up
-- A sync run belongs to the API client that created it: its request id is that client's
-- idempotency key, and only that client (or an admin client) sees and manages the run and
-- its records.
ALTER TABLE sync_runs ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
-- Runs stored before owners were kept belong to the only API client when there was exactly
-- one; otherwise to none, and only admin clients see them.
UPDATE sync_runs SET client_id = (SELECT MIN(id) FROM api_clients) WHERE (SELECT COUNT(*) FROM api_clients) = 1;
DROP INDEX sync_runs_request;
CREATE UNIQUE INDEX sync_runs_request ON sync_runs (client_id, request_id) WHERE request_id <> '';
CREATE INDEX sync_runs_client ON sync_runs (client_id);

-- +goose Down
DROP INDEX sync_runs_client;
DROP INDEX sync_runs_request;
CREATE UNIQUE INDEX sync_runs_request ON sync_runs (request_id) WHERE request_id <> '';
ALTER TABLE sync_runs DROP COLUMN client_id;
