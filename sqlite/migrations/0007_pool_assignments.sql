-- Only the claim pool's rules read a rep's assignments by rep (the claims : auto-assigned ratio,
-- S-COMP-5), and only those the pool made: claims, and pool leads pushed instead (expired,
-- paused team, held back, onboarding shares). An index of every assignment by rep cost each
-- push-routed lead a write to one index page per rep at every commit; it now holds the pool's.
ALTER TABLE assignments ADD COLUMN pool INTEGER NOT NULL DEFAULT 0;
UPDATE assignments SET pool = 1 WHERE method = 'claim' OR rule_id IN (SELECT DISTINCT rule_id FROM pool);
DROP INDEX assignments_rep;
CREATE INDEX assignments_pool_rep ON assignments (rep_id, at) WHERE pool = 1;
