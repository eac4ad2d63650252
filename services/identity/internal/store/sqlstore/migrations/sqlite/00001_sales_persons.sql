-- +goose Up
-- Sales persons (CRM users). external_key is the case-folded external id that every lookup
-- matches on; external_id is the canonical form returned to callers. Times are Unix
-- microseconds, UTC.
CREATE TABLE sales_persons (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id   TEXT    NOT NULL,
    external_key  TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL DEFAULT '',
    email_key     TEXT    NOT NULL DEFAULT '',
    first_name    TEXT    NOT NULL DEFAULT '',
    last_name     TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    phone         TEXT    NOT NULL DEFAULT '',
    mobile_phone  TEXT    NOT NULL DEFAULT '',
    fax           TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX sales_persons_email_key ON sales_persons (email_key);

-- +goose Down
DROP TABLE sales_persons;
