-- +goose Up
-- The last sync cycle each CRM connector reported (ReportConnectorCycle), keyed by its
-- source. Times are Unix microseconds, UTC; error is empty when the cycle succeeded.
CREATE TABLE connector_cycles (
    source           TEXT   COLLATE "C" PRIMARY KEY,
    started_at       BIGINT NOT NULL,
    finished_at      BIGINT NOT NULL,
    error            TEXT   NOT NULL DEFAULT '',
    rows_read        BIGINT NOT NULL DEFAULT 0,
    records_sent     BIGINT NOT NULL DEFAULT 0,
    records_applied  BIGINT NOT NULL DEFAULT 0,
    records_parked   BIGINT NOT NULL DEFAULT 0,
    records_rejected BIGINT NOT NULL DEFAULT 0,
    deletes_waiting  BIGINT NOT NULL DEFAULT 0,
    reported_at      BIGINT NOT NULL
);

-- +goose Down
DROP TABLE connector_cycles;
