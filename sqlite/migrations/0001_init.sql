-- leadflow schema, version 1 (SQLite).
CREATE TABLE leads (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id   TEXT UNIQUE,
    email_norm    TEXT UNIQUE,
    stage         TEXT    NOT NULL,
    owner_id      INTEGER,
    source        TEXT    NOT NULL DEFAULT '',
    campaign      TEXT    NOT NULL DEFAULT '',
    search        TEXT    NOT NULL DEFAULT '',
    fit           REAL    NOT NULL DEFAULT 0,
    engagement    REAL    NOT NULL DEFAULT 0,
    total         REAL    NOT NULL DEFAULT 0,
    grade         TEXT    NOT NULL DEFAULT '',
    band          TEXT    NOT NULL DEFAULT '',
    model_version INTEGER NOT NULL DEFAULT 0,
    scored_at     INTEGER NOT NULL DEFAULT 0,
    hits          TEXT,
    rescore_at    INTEGER,
    rev           INTEGER NOT NULL DEFAULT 0, -- bumped by every write: optimistic checks
    data          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX leads_stage ON leads (stage, id);
CREATE INDEX leads_owner ON leads (owner_id, id) WHERE owner_id IS NOT NULL;
CREATE INDEX leads_rescore ON leads (rescore_at) WHERE rescore_at IS NOT NULL;

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT UNIQUE,
    lead_id     INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    properties  TEXT
);
CREATE INDEX events_lead ON events (lead_id, occurred_at);

CREATE TABLE lead_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id       INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    field         TEXT    NOT NULL DEFAULT '',
    old           TEXT    NOT NULL DEFAULT '',
    new           TEXT    NOT NULL DEFAULT '',
    reason        TEXT    NOT NULL DEFAULT '',
    model_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX lead_history_lead ON lead_history (lead_id, id);

CREATE TABLE stage_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id    INTEGER,
    from_stage TEXT    NOT NULL,
    to_stage   TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    source     TEXT    NOT NULL DEFAULT '',
    campaign   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX stage_changes_to ON stage_changes (to_stage, at);
CREATE INDEX stage_changes_lead ON stage_changes (lead_id) WHERE lead_id IS NOT NULL;

CREATE TABLE costs (
    id       INTEGER PRIMARY KEY,
    source   TEXT    NOT NULL DEFAULT '',
    campaign TEXT    NOT NULL DEFAULT '',
    from_at  INTEGER NOT NULL,
    to_at    INTEGER NOT NULL,
    amount   REAL    NOT NULL,
    currency TEXT    NOT NULL DEFAULT '',
    note     TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE idempotency (
    token_id     INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB,
    lead_id      INTEGER,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (token_id, key)
);
CREATE INDEX idempotency_lead ON idempotency (lead_id) WHERE lead_id IS NOT NULL;

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL DEFAULT '',
    role       TEXT    NOT NULL,
    rep_id     INTEGER,
    hash       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE scoring_models (
    version    INTEGER PRIMARY KEY,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE rescore_jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    model_version INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    total         INTEGER NOT NULL DEFAULT 0,
    done          INTEGER NOT NULL DEFAULT 0,
    changed       INTEGER NOT NULL DEFAULT 0,
    last_lead_id  INTEGER NOT NULL DEFAULT 0,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    error         TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    url             TEXT    NOT NULL,
    secret          TEXT    NOT NULL DEFAULT '',
    event           TEXT    NOT NULL,
    body            BLOB    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX webhooks_due ON webhooks (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT    NOT NULL DEFAULT '',
    duration_ns INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
