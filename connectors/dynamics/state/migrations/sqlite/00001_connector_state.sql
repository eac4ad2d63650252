-- +goose Up
-- cursors are the connector's named positions: one Dataverse delta link per entity set
-- ("delta:<set>") and the orchestrator writeback feed cursor ("writeback"). Times are Unix
-- microseconds, UTC.
CREATE TABLE cursors (
    name        TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- records remembers what the connector last sent for each CRM row: the fingerprint of the
-- mapped record (unchanged rows are not sent again, which also stops our own writeback from
-- echoing back as a change) and facts needed later (a role's key to delete it, a user's
-- status, the findings reported for the row).
CREATE TABLE records (
    entity_set   TEXT    NOT NULL,
    crm_id       TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    facts        TEXT    NOT NULL DEFAULT '',
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (entity_set, crm_id)
);

-- writeback_misses are writeback PATCHes Dataverse answered 404 (the row is gone): recorded
-- and skipped, never retried.
CREATE TABLE writeback_misses (
    entity_set  TEXT    NOT NULL,
    crm_id      TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    message     TEXT    NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (entity_set, crm_id)
);

-- +goose Down
DROP TABLE writeback_misses;
DROP TABLE records;
DROP TABLE cursors;
