-- +goose Up
-- Companies (CRM accounts). external_key is the case-folded external id that every lookup
-- matches on; external_id is the canonical form returned to callers. The owner is kept the
-- same way: external_sales_person_id as returned, sales_person_key to match and count on.
-- company_key is the case-folded company name, for the name filter. Times are Unix
-- microseconds, UTC.
CREATE TABLE companies (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id               TEXT    NOT NULL,
    external_key              TEXT    NOT NULL UNIQUE,
    external_sales_person_id  TEXT    NOT NULL,
    sales_person_key          TEXT    NOT NULL,
    company                   TEXT    NOT NULL DEFAULT '',
    company_key               TEXT    NOT NULL DEFAULT '',
    site                      TEXT    NOT NULL DEFAULT '',
    website                   TEXT    NOT NULL DEFAULT '',
    main_phone                TEXT    NOT NULL DEFAULT '',
    industry                  TEXT    NOT NULL DEFAULT '',
    sic_code                  TEXT    NOT NULL DEFAULT '',
    number_of_employees       INTEGER NOT NULL DEFAULT 0,
    annual_revenue            REAL    NOT NULL DEFAULT 0,
    billing_street            TEXT    NOT NULL DEFAULT '',
    billing_city              TEXT    NOT NULL DEFAULT '',
    billing_state             TEXT    NOT NULL DEFAULT '',
    billing_postal_code       TEXT    NOT NULL DEFAULT '',
    billing_country           TEXT    NOT NULL DEFAULT '',
    company_notes             TEXT    NOT NULL DEFAULT '',
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);
-- (key, id): the filters page by id within a key, and the owner count groups by key.
CREATE INDEX companies_sales_person_key ON companies (sales_person_key, id);
CREATE INDEX companies_company_key ON companies (company_key, id);

-- +goose Down
DROP TABLE companies;
