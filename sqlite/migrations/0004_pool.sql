-- leadflow schema, version 4 (SQLite): the competitive claim pool (S-COMP) and offer tracking
-- (S-NOTIFY-3).
CREATE TABLE pool (
    lead_id    INTEGER PRIMARY KEY,
    rule_id    TEXT    NOT NULL,
    team_id    INTEGER NOT NULL DEFAULT 0,
    rep_ids    TEXT    NOT NULL DEFAULT '',
    band       TEXT    NOT NULL DEFAULT '',
    blind      INTEGER NOT NULL DEFAULT 0,
    cohort     TEXT    NOT NULL DEFAULT '',
    pooled_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    claimed_by INTEGER NOT NULL DEFAULT 0,
    claimed_at INTEGER,
    releases   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pool_open ON pool (pooled_at) WHERE status = 'open';
CREATE INDEX pool_pooled ON pool (pooled_at);

-- Every claim attempt with its outcome; the won ones are the claim history the pool rules count.
CREATE TABLE claims (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id     INTEGER NOT NULL,
    rep_id      INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    rule        TEXT    NOT NULL DEFAULT '',
    winner_id   INTEGER NOT NULL DEFAULT 0,
    band        TEXT    NOT NULL DEFAULT '',
    offered_at  INTEGER,
    released_at INTEGER
);
CREATE INDEX claims_lead ON claims (lead_id, id);
CREATE INDEX claims_won ON claims (at, rep_id) WHERE outcome = 'won';

CREATE TABLE offers (
    lead_id INTEGER NOT NULL,
    rep_id  INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    channel TEXT    NOT NULL,
    seen_at INTEGER,
    PRIMARY KEY (lead_id, rep_id)
) WITHOUT ROWID;

-- Web Push subscriptions of reps' browsers (S-NOTIFY-1).
CREATE TABLE push_subscriptions (
    endpoint   TEXT PRIMARY KEY,
    rep_id     INTEGER NOT NULL,
    p256dh     TEXT    NOT NULL,
    auth       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_rep ON push_subscriptions (rep_id);
