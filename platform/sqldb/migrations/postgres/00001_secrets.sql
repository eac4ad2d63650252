-- +goose Up
-- Keys a service generates once and keeps across restarts (page-token signing, for example).
CREATE TABLE msisync_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- +goose Down
DROP TABLE msisync_secrets;
