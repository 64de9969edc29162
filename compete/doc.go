// Package compete is the policy of leadflow's competitive claim pool (S-COMP-1 … S-COMP-10): who
// may see a pooled lead and when, who may claim it, how reps are ranked into tiers, the
// anti-cherry-picking ratios and limits, priority windows, onboarding phases, blind claims, the
// quality mix of the pool, claim-and-release churn and pausing competition.
//
// The package is pure: no I/O, no database, no goroutines and no clock. Every function that
// depends on the time takes it as an argument, and everything it needs to know about the past
// (claims made, leads accepted) is passed in as plain counts, so the same inputs always give the
// same answer and every decision can be explained and replayed after the fact (S-DIST-11).
//
// # How the service uses it
//
// The service layer loads the facts from the store, calls these functions and persists the
// outcome:
//
//   - once a week it calls RankTiers with each rep's conversion rate, quota attainment and
//     response speed and stores the resulting tiers (S-COMP-2);
//   - once a day, per team, it calls PriorityWindows and keeps the windows of the day (S-COMP-6);
//   - when a lead is due for the pool it uses AdmitToPool or ShapeRelease to keep the pool's
//     quality mix on target (S-COMP-5), decides once with IsBlind whether the lead is blind and
//     stores that with the pool entry, then calls See for every rep of the team to know whom to
//     notify and when, and OfferContent for what to show (S-NOTIFY-2);
//   - when a rep claims, it calls Decide with the rep's History (counts it queries with the
//     boundaries of PeriodsAt) and, when the claim is allowed, performs the atomic
//     first-claim-wins update itself (S-COMP-1);
//   - when a lead passes its pool expiry (Expired) it assigns the lead by push (S-COMP-3);
//   - it reports release churn with Churn and ChurnByRep (S-COMP-8, S-HEALTH-2) and pauses
//     competition with PauseUntil (S-COMP-9).
//
// Rule names (Rule) are stable machine names meant for API responses, logs and metrics; the
// messages are for people.
package compete
