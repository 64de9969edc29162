-- The schema of the SQLite store's migration 9: an owner entry of a lead's history may be kept
-- with its assignment (history_id, its id in lead_history's sequence). This store writes every
-- entry as a row of its own; the column keeps one history query for both.
ALTER TABLE assignments ADD COLUMN history_id BIGINT;
