-- +goose Up
-- Where merged and qualified CRM records went: one row per subordinate, keyed by object type
-- (the API's SyncObjectType) and the case-folded external id. kind is the API's MergeKind.
-- Times are Unix microseconds, UTC.
CREATE TABLE merges (
    object_type        INTEGER NOT NULL,
    ext_key            TEXT    NOT NULL,
    external_id        TEXT    NOT NULL,
    master_external_id TEXT    NOT NULL,
    kind               INTEGER NOT NULL,
    merge_time         INTEGER NOT NULL,
    PRIMARY KEY (object_type, ext_key)
);

-- +goose Down
DROP TABLE merges;
