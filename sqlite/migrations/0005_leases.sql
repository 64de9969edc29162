-- Leases: which node runs the cluster's background work (S-STORE-4). One node of a SQLite
-- database always holds it; the table is here so both stores share the queries.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
