-- A rep's own claims and assignments are read at every claim (the pool rules' counts): index
-- them by rep so a claim costs the same however many claims the team made.
CREATE INDEX claims_rep ON claims (rep_id, at) WHERE outcome = 'won';
CREATE INDEX assignments_rep ON assignments (rep_id, at);
