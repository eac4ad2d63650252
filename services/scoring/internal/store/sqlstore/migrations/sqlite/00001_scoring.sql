-- +goose Up
-- One row per linked lead: its link (CRM id and owner, canonical and case-folded key) and
-- its derived MSI values. urgency_key is L = log2(urgency) + t/half-life (see MODEL.md),
-- NULL while the lead has no positive score change. Times are Unix microseconds, UTC; 0
-- means none.
CREATE TABLE leads (
    lead_id             INTEGER PRIMARY KEY,
    external_person_id  TEXT    NOT NULL DEFAULT '',
    person_key          TEXT    NOT NULL DEFAULT '',
    owner_id            TEXT    NOT NULL DEFAULT '',
    owner_key           TEXT    NOT NULL DEFAULT '',
    scored              INTEGER NOT NULL DEFAULT 0,
    score               INTEGER NOT NULL DEFAULT 0,
    urgency_key         REAL,
    stars               INTEGER NOT NULL DEFAULT 0,
    flames              INTEGER NOT NULL DEFAULT 0,
    priority            INTEGER NOT NULL DEFAULT 0,
    moment_id           INTEGER NOT NULL DEFAULT 0,
    moment_type         INTEGER NOT NULL DEFAULT 0,
    moment_time         INTEGER NOT NULL DEFAULT 0,
    moment_desc         TEXT    NOT NULL DEFAULT '',
    moment_source       TEXT    NOT NULL DEFAULT '',
    updated_at          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX leads_person_key ON leads (person_key);
CREATE INDEX leads_best_bets ON leads (owner_key, priority DESC, lead_id) WHERE priority > 0;
CREATE INDEX leads_score ON leads (score) WHERE scored = 1;
CREATE INDEX leads_urgency ON leads (urgency_key) WHERE urgency_key IS NOT NULL;

-- The activity log: kind 1 is a score change (Marketo type 22), kind 2 an interesting
-- moment (type 46). Ids are never reused (AUTOINCREMENT).
CREATE TABLE activities (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id       INTEGER NOT NULL,
    kind          INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    event_time    INTEGER NOT NULL,
    change_value  INTEGER NOT NULL DEFAULT 0,
    new_value     INTEGER NOT NULL DEFAULT 0,
    old_value     INTEGER NOT NULL DEFAULT 0,
    reason        TEXT    NOT NULL DEFAULT '',
    moment_type   INTEGER NOT NULL DEFAULT 0,
    description   TEXT    NOT NULL DEFAULT '',
    source        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX activities_lead ON activities (lead_id, id);
CREATE INDEX activities_recorded ON activities (recorded_at);

-- The change feed, read in seq order. SQLite has one writer at a time, so seq order is
-- commit order.
CREATE TABLE changes (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id             INTEGER NOT NULL,
    external_person_id  TEXT    NOT NULL,
    fields              INTEGER NOT NULL,
    score               INTEGER NOT NULL,
    urgency_key         REAL,
    stars               INTEGER NOT NULL,
    flames              INTEGER NOT NULL,
    priority            INTEGER NOT NULL,
    moment_type         INTEGER NOT NULL,
    moment_time         INTEGER NOT NULL,
    moment_desc         TEXT    NOT NULL,
    moment_source       TEXT    NOT NULL,
    change_time         INTEGER NOT NULL
);

-- The tier boundaries in force (one row). A NULL threshold is unreachable.
CREATE TABLE tiers (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    mode           INTEGER NOT NULL,
    fingerprint    TEXT    NOT NULL,
    score1         REAL,
    score2         REAL,
    score3         REAL,
    urgency1       REAL,
    urgency2       REAL,
    urgency3       REAL,
    scored_leads   INTEGER NOT NULL,
    computed_at    INTEGER NOT NULL
);

-- Settings the stored values depend on (the urgency half-life).
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE tiers;
DROP TABLE changes;
DROP TABLE activities;
DROP TABLE leads;
