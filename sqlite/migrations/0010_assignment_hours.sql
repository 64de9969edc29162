-- Assignments by time (caps, S-DIST-9; volume and performance figures, S-DIST-12, S-REP-2) are
-- found from the hour they were made in, not from an index on assignments (at, rep_id). That
-- index took an entry, and every group commit of routed leads a page write, for each routed lead
-- or claim; this table takes a row per hour. The store's single writer keeps it (see
-- sqlstore.WriteBehind): an assignment made in hour h (at / 3,600,000) has an id at or above
-- first_id of h, whatever the clock did, so the assignments at or after a time are those at or
-- above the lowest first_id of the hours from then on that also have their at there. An hour's
-- last_id bounds its ids from above once its writer has moved on to another hour (NULL while it
-- is open: written again when the clock comes back to it), so a period in the past is read
-- without the assignments after it. Counts per rep since a time are kept by the writer between
-- commits.
CREATE TABLE assignment_hours (
    hour     INTEGER PRIMARY KEY,
    first_id INTEGER NOT NULL,
    last_id  INTEGER
);
INSERT INTO assignment_hours (hour, first_id, last_id) SELECT at / 3600000, MIN(id), MAX(id) FROM assignments GROUP BY at / 3600000;
DROP INDEX assignments_at;
