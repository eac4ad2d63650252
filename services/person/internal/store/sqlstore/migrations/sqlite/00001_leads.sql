-- +goose Up
-- Leads (CRM leads and contacts). Every *_key column is the case-folded match key of the
-- column before it (see platform/extid); lookups match keys, callers get the canonical
-- forms back. external_person_key is unique when set; email_key is not (Marketo allows
-- several leads with one email). custom_fields is a JSON object. Times are Unix
-- microseconds, UTC.
CREATE TABLE leads (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    email                     TEXT    NOT NULL DEFAULT '',
    email_key                 TEXT    NOT NULL DEFAULT '',
    external_person_id        TEXT    NOT NULL DEFAULT '',
    external_person_key       TEXT    NOT NULL DEFAULT '',
    external_company_id       TEXT    NOT NULL DEFAULT '',
    external_company_key      TEXT    NOT NULL DEFAULT '',
    external_sales_person_id  TEXT    NOT NULL DEFAULT '',
    external_sales_person_key TEXT    NOT NULL DEFAULT '',
    salutation                TEXT    NOT NULL DEFAULT '',
    first_name                TEXT    NOT NULL DEFAULT '',
    middle_name               TEXT    NOT NULL DEFAULT '',
    last_name                 TEXT    NOT NULL DEFAULT '',
    title                     TEXT    NOT NULL DEFAULT '',
    department                TEXT    NOT NULL DEFAULT '',
    phone                     TEXT    NOT NULL DEFAULT '',
    mobile_phone              TEXT    NOT NULL DEFAULT '',
    fax                       TEXT    NOT NULL DEFAULT '',
    company                   TEXT    NOT NULL DEFAULT '',
    website                   TEXT    NOT NULL DEFAULT '',
    address                   TEXT    NOT NULL DEFAULT '',
    city                      TEXT    NOT NULL DEFAULT '',
    state                     TEXT    NOT NULL DEFAULT '',
    postal_code               TEXT    NOT NULL DEFAULT '',
    country                   TEXT    NOT NULL DEFAULT '',
    lead_source               TEXT    NOT NULL DEFAULT '',
    lead_status               TEXT    NOT NULL DEFAULT '',
    lead_role                 TEXT    NOT NULL DEFAULT '',
    rating                    TEXT    NOT NULL DEFAULT '',
    industry                  TEXT    NOT NULL DEFAULT '',
    annual_revenue            REAL    NOT NULL DEFAULT 0,
    number_of_employees       INTEGER NOT NULL DEFAULT 0,
    unsubscribed              INTEGER NOT NULL DEFAULT 0,
    do_not_call               INTEGER NOT NULL DEFAULT 0,
    custom_fields             TEXT    NOT NULL DEFAULT '{}',
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);
-- Queries on external_person_key repeat the index predicate so that both engines use it.
CREATE UNIQUE INDEX leads_external_person_key ON leads (external_person_key) WHERE external_person_key <> '';
CREATE INDEX leads_email_key ON leads (email_key);
CREATE INDEX leads_external_company_key ON leads (external_company_key);
CREATE INDEX leads_external_sales_person_key ON leads (external_sales_person_key);

-- +goose Down
DROP TABLE leads;
