-- +goose Up
-- Opportunities. seq orders records by creation (keyset paging) and is never reused;
-- marketo_guid is the public id. Every *_key column is the case-folded external id that
-- lookups match on; the *_id column beside it is the canonical form returned to callers.
-- Dates are Unix microseconds, UTC; NULL when not set.
CREATE TABLE opportunities (
    seq                       INTEGER PRIMARY KEY AUTOINCREMENT,
    marketo_guid              TEXT    NOT NULL UNIQUE,
    external_id               TEXT    NOT NULL,
    external_key              TEXT    NOT NULL UNIQUE,
    external_company_id       TEXT    NOT NULL,
    external_company_key      TEXT    NOT NULL,
    external_sales_person_id  TEXT    NOT NULL,
    external_sales_person_key TEXT    NOT NULL,
    name                      TEXT    NOT NULL,
    description               TEXT    NOT NULL DEFAULT '',
    type                      TEXT    NOT NULL DEFAULT '',
    stage                     TEXT    NOT NULL DEFAULT '',
    amount                    REAL    NOT NULL DEFAULT 0,
    expected_revenue          REAL    NOT NULL DEFAULT 0,
    quantity                  REAL    NOT NULL DEFAULT 0,
    probability               INTEGER NOT NULL DEFAULT 0,
    close_date                INTEGER,
    is_closed                 BOOLEAN NOT NULL DEFAULT FALSE,
    is_won                    BOOLEAN NOT NULL DEFAULT FALSE,
    fiscal_quarter            INTEGER NOT NULL DEFAULT 0,
    fiscal_year               INTEGER NOT NULL DEFAULT 0,
    forecast_category         TEXT    NOT NULL DEFAULT '',
    forecast_category_name    TEXT    NOT NULL DEFAULT '',
    lead_source               TEXT    NOT NULL DEFAULT '',
    source                    TEXT    NOT NULL DEFAULT '',
    next_step                 TEXT    NOT NULL DEFAULT '',
    last_activity_date        INTEGER,
    external_created_date     INTEGER,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);
CREATE INDEX opportunities_external_company_key ON opportunities (external_company_key);
CREATE INDEX opportunities_external_sales_person_key ON opportunities (external_sales_person_key);

-- +goose Down
DROP TABLE opportunities;
