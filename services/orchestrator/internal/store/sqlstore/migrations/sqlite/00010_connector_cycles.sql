-- +goose Up
-- The last sync cycle each CRM connector reported (ReportConnectorCycle), keyed by its
-- source. Times are Unix microseconds, UTC; error is empty when the cycle succeeded.
CREATE TABLE connector_cycles (
    source           TEXT    PRIMARY KEY,
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER NOT NULL,
    error            TEXT    NOT NULL DEFAULT '',
    rows_read        INTEGER NOT NULL DEFAULT 0,
    records_sent     INTEGER NOT NULL DEFAULT 0,
    records_applied  INTEGER NOT NULL DEFAULT 0,
    records_parked   INTEGER NOT NULL DEFAULT 0,
    records_rejected INTEGER NOT NULL DEFAULT 0,
    deletes_waiting  INTEGER NOT NULL DEFAULT 0,
    reported_at      INTEGER NOT NULL
);

-- +goose Down
DROP TABLE connector_cycles;
