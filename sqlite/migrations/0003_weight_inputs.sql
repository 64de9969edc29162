-- The inputs a weight change was computed from (S-DIST-4: every weight change is recorded with
-- its inputs), as JSON; empty for changes typed in by a person.
ALTER TABLE weight_changes ADD COLUMN inputs TEXT NOT NULL DEFAULT '';
