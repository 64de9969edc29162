-- Leases: which node runs the cluster's background work — sweeps, expiry, recalculation, tier
-- ranking, rescoring, live offer scheduling (S-STORE-4). A node renews its lease well before it
-- expires; a node killed mid-job leaves it to the next node that acquires the lease.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
