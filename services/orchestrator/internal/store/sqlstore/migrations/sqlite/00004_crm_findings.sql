-- +goose Up
-- The CRM's own users, as CRM connectors report them, keyed by the case-folded
-- externalSalesPersonId (ext_key; external_sales_person_id is the canonical form as last
-- reported). Times are Unix microseconds, UTC. Keys sort in byte order (SQLite's BINARY
-- collation), as PostgreSQL (COLLATE "C") and the service sort them.
CREATE TABLE crm_users (
    ext_key                  TEXT    PRIMARY KEY,
    external_sales_person_id TEXT    NOT NULL,
    source                   TEXT    NOT NULL,
    email                    TEXT    NOT NULL DEFAULT '',
    full_name                TEXT    NOT NULL DEFAULT '',
    active                   INTEGER NOT NULL DEFAULT 0,
    update_time              INTEGER NOT NULL
);

-- What CRM connectors found about CRM records: one row per record and kind. object_type and
-- kind are the values of the API's SyncObjectType and CrmFindingKind.
CREATE TABLE crm_findings (
    object_type INTEGER NOT NULL,
    ext_key     TEXT    NOT NULL,
    kind        INTEGER NOT NULL,
    external_id TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    update_time INTEGER NOT NULL,
    PRIMARY KEY (object_type, ext_key, kind)
);
-- Lists filtered by kind.
CREATE INDEX crm_findings_kind ON crm_findings (kind, object_type, ext_key);

-- +goose Down
DROP TABLE crm_findings;
DROP TABLE crm_users;
