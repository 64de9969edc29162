-- leadflow schema, version 2 (SQLite): reps, teams and territories (S-REP-1, S-REP-4).
-- Each entity is stored whole as JSON; `key` is its unique natural key (lower-cased email or name).
CREATE TABLE reps (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT    NOT NULL UNIQUE,
    data       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT    NOT NULL UNIQUE,
    data       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE territories (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT    NOT NULL UNIQUE,
    data       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Routing (S-DIST): rotation state per rule, read and written in the lead's transaction, and every
-- assignment with its explanation. Erasure clears lead_id, keeping anonymous counts for fairness.
CREATE TABLE rotations (
    key   TEXT PRIMARY KEY,
    state BLOB NOT NULL
);

CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id     INTEGER,
    rep_id      INTEGER NOT NULL,
    rule_id     TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    explanation TEXT    NOT NULL
);
CREATE INDEX assignments_lead ON assignments (lead_id, id) WHERE lead_id IS NOT NULL;
CREATE INDEX assignments_at ON assignments (at, rep_id);

-- SLA response timers (S-DIST-10): one per assigned, not yet contacted lead; they survive restarts.
CREATE TABLE sla_timers (
    lead_id       INTEGER PRIMARY KEY,
    rep_id        INTEGER NOT NULL,
    assignment_id INTEGER NOT NULL,
    assigned_at   INTEGER NOT NULL,
    due_at        INTEGER NOT NULL
);
CREATE INDEX sla_timers_due ON sla_timers (due_at);

-- Every change of a rep's weight inputs, with who, when and why (S-DIST-4).
CREATE TABLE weight_changes (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    rep_id INTEGER NOT NULL,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    field  TEXT    NOT NULL,
    old    TEXT    NOT NULL DEFAULT '',
    new    TEXT    NOT NULL DEFAULT '',
    reason TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX weight_changes_rep ON weight_changes (rep_id, id);
