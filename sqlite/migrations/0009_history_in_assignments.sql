-- A lead's owner entry (S-LEAD-5) written with the assignment that made it (S-DIST-11), and
-- saying nothing that assignment does not (a new owner where there was none: a routed new lead,
-- a claim), is kept with the assignment instead of as a row of lead_history: history_id is the
-- entry's id, taken from lead_history's own sequence, so a lead's history still reads back in
-- one order (see sqlstore.WriteBehind). It saves every routed lead a third history row.
ALTER TABLE assignments ADD COLUMN history_id INTEGER;
