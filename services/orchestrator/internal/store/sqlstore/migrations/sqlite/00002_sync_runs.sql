-- +goose Up
-- Sync runs: one CRM change set each. Times are Unix microseconds, UTC; 0 means unset.
CREATE TABLE sync_runs (
    id                     TEXT    PRIMARY KEY,
    request_id             TEXT    NOT NULL DEFAULT '',
    state                  TEXT    NOT NULL,
    reject_missing_parents INTEGER NOT NULL DEFAULT 0,
    lease_until            INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL,
    started_at             INTEGER NOT NULL DEFAULT 0,
    completed_at           INTEGER NOT NULL DEFAULT 0
);
-- A client's idempotency key names one run.
CREATE UNIQUE INDEX sync_runs_request ON sync_runs (request_id) WHERE request_id <> '';
-- Workers claim the oldest runnable run.
CREATE INDEX sync_runs_state ON sync_runs (state, created_at);

-- The records of the runs; the integer id is the public pending id.
CREATE TABLE sync_records (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id          TEXT    NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    object_type     INTEGER NOT NULL,
    idx             INTEGER NOT NULL,
    record          TEXT    NOT NULL,
    rec_key         TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT '',
    rec_id          INTEGER NOT NULL DEFAULT 0,
    guid            TEXT    NOT NULL DEFAULT '',
    reasons         TEXT    NOT NULL DEFAULT '',
    missing_kind    TEXT    NOT NULL DEFAULT '',
    missing_key     TEXT    NOT NULL DEFAULT '',
    missing_display TEXT    NOT NULL DEFAULT '',
    park_time       INTEGER NOT NULL DEFAULT 0,
    expire_time     INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    attempt_time    INTEGER NOT NULL DEFAULT 0,
    update_time     INTEGER NOT NULL
);
CREATE UNIQUE INDEX sync_records_run ON sync_records (run_id, object_type, idx);
CREATE INDEX sync_records_missing ON sync_records (state, missing_kind, missing_key);
CREATE INDEX sync_records_expiry ON sync_records (state, expire_time);
CREATE INDEX sync_records_parked ON sync_records (state, park_time, id);

-- +goose Down
DROP TABLE sync_records;
DROP TABLE sync_runs;
