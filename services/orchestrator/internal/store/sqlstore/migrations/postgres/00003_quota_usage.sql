-- +goose Up
-- Each API client's calls per quota day (Marketo's daily quota). day is the date, as
-- YYYY-MM-DD, in the time zone where the quota resets (America/Chicago); replicas add their
-- counts to the shared row.
CREATE TABLE api_quota_usage (
    client_id TEXT    NOT NULL,
    day       TEXT    NOT NULL,
    calls     BIGINT  NOT NULL,
    PRIMARY KEY (client_id, day)
);

-- +goose Down
DROP TABLE api_quota_usage;
