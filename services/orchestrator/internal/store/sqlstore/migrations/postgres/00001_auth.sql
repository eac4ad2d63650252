-- +goose Up
-- API clients. Only a SHA-256 of each secret is kept. Times are Unix microseconds, UTC.
CREATE TABLE api_clients (
    id          TEXT   PRIMARY KEY,
    secret_hash BYTEA  NOT NULL,
    role        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Access tokens, by SHA-256 of the token string.
CREATE TABLE access_tokens (
    hash       BYTEA  PRIMARY KEY,
    id         TEXT   NOT NULL UNIQUE,
    client_id  TEXT   NOT NULL REFERENCES api_clients (id) ON DELETE CASCADE,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_client ON access_tokens (client_id, expires_at);

-- +goose Down
DROP TABLE access_tokens;
DROP TABLE api_clients;
