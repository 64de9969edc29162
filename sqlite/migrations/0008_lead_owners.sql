-- A rep's own leads (S-REP-1, the rep's list) are found without an index on leads (owner_id).
-- That index took one entry per owned lead in the middle of its tree, one run per rep, so every
-- group commit of routed leads dirtied one index page per rep it touched: with 20 reps, 0.6 of a
-- 4 KB page per routed lead, written to the WAL and again by the checkpoint — the largest part
-- of what push routing cost a new lead (BENCHMARKS.md). Instead:
--
--   * lead_owners holds (owner, lead) exactly for the leads up to lead_owners_upto.lead_id;
--   * the store's writer merges the newer leads' owners into it in bulk, every few
--     hundred new leads (see sqlstore.WriteBehind), so a merge writes one page per rep for
--     hundreds of leads;
--   * a lead newer than that point is found by a scan of the newest rows of leads;
--   * the triggers keep the merged part exact when an older lead changes owner or is erased.
CREATE TABLE lead_owners (
    owner_id INTEGER NOT NULL,
    lead_id  INTEGER NOT NULL,
    PRIMARY KEY (owner_id, lead_id)
) WITHOUT ROWID;
CREATE TABLE lead_owners_upto (lead_id INTEGER NOT NULL);
INSERT INTO lead_owners SELECT owner_id, id FROM leads WHERE owner_id IS NOT NULL ORDER BY owner_id, id;
INSERT INTO lead_owners_upto SELECT COALESCE(MAX(id), 0) FROM leads;
DROP INDEX leads_owner;

CREATE TRIGGER lead_owner_changed AFTER UPDATE OF owner_id ON leads
WHEN new.owner_id IS NOT old.owner_id AND old.id <= (SELECT lead_id FROM lead_owners_upto)
BEGIN
    DELETE FROM lead_owners WHERE owner_id = old.owner_id AND lead_id = old.id;
    INSERT OR IGNORE INTO lead_owners SELECT new.owner_id, new.id WHERE new.owner_id IS NOT NULL;
END;

CREATE TRIGGER lead_owner_erased AFTER DELETE ON leads
WHEN old.owner_id IS NOT NULL AND old.id <= (SELECT lead_id FROM lead_owners_upto)
BEGIN
    DELETE FROM lead_owners WHERE owner_id = old.owner_id AND lead_id = old.id;
END;
