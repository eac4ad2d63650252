-- +goose Up
-- Opportunity roles: the links between leads and opportunities. The dedupe key is
-- (external_opportunity_key, lead_id, role_key); role_key is the case-folded role. seq orders
-- records by creation (keyset paging) and is never reused; marketo_guid is the public id.
-- The opportunity and the lead live in other tables or services, so there is no foreign
-- key: the orchestrator checks them before writing. Dates are Unix microseconds, UTC.
CREATE TABLE opportunity_roles (
    seq                       INTEGER PRIMARY KEY AUTOINCREMENT,
    marketo_guid              TEXT    NOT NULL UNIQUE,
    external_opportunity_id   TEXT    NOT NULL,
    external_opportunity_key  TEXT    NOT NULL,
    lead_id                   INTEGER NOT NULL,
    role                      TEXT    NOT NULL,
    role_key                  TEXT    NOT NULL,
    is_primary                BOOLEAN NOT NULL DEFAULT FALSE,
    external_created_date     INTEGER,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    UNIQUE (external_opportunity_key, lead_id, role_key)
);
CREATE INDEX opportunity_roles_lead_id ON opportunity_roles (lead_id);

-- +goose Down
DROP TABLE opportunity_roles;
