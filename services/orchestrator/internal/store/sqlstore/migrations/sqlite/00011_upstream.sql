-- +goose Up
-- Upstream mode (docs/upstream.md): what still has to reach the customer's Marketo, what
-- Marketo holds, and the forwarder's state. Records are named by their msisync id (local_id:
-- the decimal id of a sales person, company or lead, the GUID of an opportunity or role).
-- Times are Unix microseconds, UTC.

-- One row per record marked since its last delivery. seq moves on every mark, so a
-- delivery only removes the version it claimed.
CREATE TABLE upstream_outbox (
    object          TEXT NOT NULL,
    local_id        TEXT NOT NULL,
    seq             INTEGER NOT NULL DEFAULT 1,
    enqueued_at     INTEGER NOT NULL,
    claimed_seq     INTEGER NOT NULL DEFAULT 0,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    wait_reason     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (object, local_id)
);
CREATE INDEX upstream_outbox_due ON upstream_outbox (object, next_attempt_at, enqueued_at);

-- Writes in progress: the records a write is about to change, as its caller named them
-- (JSON), removed in the transaction that marks what it changed.
CREATE TABLE upstream_fences (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    keys       TEXT NOT NULL
);

-- What Marketo holds of each record delivered: its ids, the hash of the version sent and
-- Marketo's last answer.
CREATE TABLE upstream_ids (
    object       TEXT NOT NULL,
    local_id     TEXT NOT NULL,
    external_key TEXT NOT NULL DEFAULT '',
    marketo_id   INTEGER NOT NULL DEFAULT 0,
    marketo_guid TEXT NOT NULL DEFAULT '',
    sent_hash    BLOB,
    status       TEXT NOT NULL DEFAULT '',
    code         TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL DEFAULT '',
    at           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (object, local_id)
);
CREATE INDEX upstream_ids_external ON upstream_ids (object, external_key);
CREATE INDEX upstream_ids_marketo ON upstream_ids (object, marketo_id);

-- The parents the version sent of a record names (a parent's delete waits while one does).
CREATE TABLE upstream_refs (
    object        TEXT NOT NULL,
    local_id      TEXT NOT NULL,
    parent_object TEXT NOT NULL,
    parent_key    TEXT NOT NULL,
    PRIMARY KEY (object, local_id, parent_object)
);
CREATE INDEX upstream_refs_parent ON upstream_refs (parent_object, parent_key);

-- Named values: the activity paging token, the backfill progress, the forwarder's lease.
CREATE TABLE upstream_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE upstream_state;
DROP TABLE upstream_refs;
DROP TABLE upstream_ids;
DROP TABLE upstream_fences;
DROP TABLE upstream_outbox;
