package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leadflow/leadflow"
)

func (x *queries) Rotation(ctx context.Context, key string) ([]byte, error) {
	if x.wb != nil {
		if state, ok := x.wb.rotation(key); ok {
			if len(state) == 0 {
				return nil, nil
			}
			return state, nil
		}
	}
	lock := x.forUpdate()
	if lock != "" { // the row must exist to be locked: two nodes starting a rotation take turns
		if _, err := x.q.ExecContext(ctx, `INSERT INTO rotations (key, state) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, []byte{}); err != nil {
			return nil, fmt.Errorf("rotation %s: %w", key, err)
		}
	}
	var state []byte
	err := x.q.QueryRowContext(ctx, `SELECT state FROM rotations WHERE key = ?`+lock, key).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) || err == nil && len(state) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rotation %s: %w", key, err)
	}
	return state, nil
}

func (x *queries) PutRotation(ctx context.Context, key string, state []byte) error {
	if x.wb != nil {
		x.wb.hold(key, state)
		return nil
	}
	return x.putRotation(ctx, key, state)
}

func (x *queries) putRotation(ctx context.Context, key string, state []byte) error {
	_, err := x.q.ExecContext(ctx, `INSERT INTO rotations (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state`, key, state)
	return mapErr(err, "rotation")
}

func (x *queries) InsertAssignment(ctx context.Context, a *leadflow.Assignment) error {
	if x.wb != nil {
		return x.wb.holdAssignment(ctx, a)
	}
	id, _, err := x.insertID(ctx, `INSERT INTO assignments (lead_id, rep_id, rule_id, method, at, actor, reason, explanation, pool) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullInt(a.LeadID), a.RepID, a.RuleID, a.Method, ms(a.At), a.Actor, a.Reason, string(a.Explanation), flag(a.Pool))
	if err != nil {
		return mapErr(err, "assignment")
	}
	a.ID = id
	if x.d.AssignmentHours {
		return markHour(ctx, x.q, hourOf(ms(a.At)), id)
	}
	return nil
}

// markHour records that assignment id was made in hour: the hour's first id is at most id, and
// the hour is open (it has no last id) until closeHours.
func markHour(ctx context.Context, q Querier, hour, id int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO assignment_hours (hour, first_id) VALUES (?, ?)
ON CONFLICT (hour) DO UPDATE SET first_id = MIN(assignment_hours.first_id, excluded.first_id), last_id = NULL
WHERE excluded.first_id < assignment_hours.first_id OR assignment_hours.last_id IS NOT NULL`, hour, id)
	return mapErr(err, "assignment hour")
}

// closeHours gives every open hour but the one of assignment id the last id id-1: the writer
// calls it as it marks an hour, when no assignment after id's is written yet and no other
// connection is writing (any that wrote before reopens its hour with its next assignment: its
// write epoch has moved on).
func closeHours(ctx context.Context, q Querier, hour, id int64) error {
	_, err := q.ExecContext(ctx, `UPDATE assignment_hours SET last_id = ? WHERE last_id IS NULL AND hour <> ?`, id-1, hour)
	return mapErr(err, "assignment hours")
}

func (x *queries) Assignments(ctx context.Context, leadID int64) ([]leadflow.Assignment, error) {
	return x.assignmentsWhere(ctx, `explanation`, `lead_id = ? ORDER BY id`, leadID)
}

func countBy(ctx context.Context, q Querier, query string, args ...any) (map[int64]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

func (x *queries) AssignmentCounts(ctx context.Context, since time.Time) (map[int64]int64, error) {
	count := func() (map[int64]int64, error) {
		where, args := x.assignedSince(since)
		return countBy(ctx, x.q, `SELECT rep_id, COUNT(*) FROM assignments WHERE `+where+` GROUP BY rep_id`, args...)
	}
	if x.wb != nil {
		return x.wb.assignmentCounts(ms(since), count)
	}
	return count()
}

// assignedSince is the condition on assignments made at or after since, with its arguments.
func (x *queries) assignedSince(since time.Time) (string, []any) {
	if !x.d.AssignmentHours {
		return `at >= ?`, []any{ms(since)}
	}
	return `id >= (SELECT COALESCE(MIN(first_id), 9223372036854775807) FROM assignment_hours WHERE hour >= ?) AND at >= ?`, []any{hourOf(ms(since)), ms(since)}
}

// hourOf is the hour (of assignment_hours) of a time in milliseconds since the epoch.
func hourOf(ms int64) int64 {
	const hour = 3_600_000
	if ms < 0 {
		return (ms - hour + 1) / hour
	}
	return ms / hour
}

func (x *queries) OpenOpportunities(ctx context.Context) (map[int64]int64, error) {
	return countBy(ctx, x.q, `SELECT owner_id, COUNT(*) FROM leads WHERE owner_id IS NOT NULL AND stage = 'opportunity' GROUP BY owner_id`)
}

func (x *queries) PutSLATimer(ctx context.Context, t leadflow.SLATimer) error {
	_, err := x.q.ExecContext(ctx, `INSERT INTO sla_timers (lead_id, rep_id, assignment_id, assigned_at, due_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (lead_id) DO UPDATE SET rep_id = excluded.rep_id, assignment_id = excluded.assignment_id, assigned_at = excluded.assigned_at, due_at = excluded.due_at`,
		t.LeadID, t.RepID, t.AssignmentID, ms(t.AssignedAt), ms(t.DueAt))
	return mapErr(err, "sla timer")
}

func (x *queries) DeleteSLATimer(ctx context.Context, leadID int64) error {
	_, err := x.q.ExecContext(ctx, `DELETE FROM sla_timers WHERE lead_id = ?`, leadID)
	return mapErr(err, "sla timer")
}

func (x *queries) slaTimers(ctx context.Context, query string, args ...any) ([]leadflow.SLATimer, error) {
	rows, err := x.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sla timers: %w", err)
	}
	defer rows.Close()
	var out []leadflow.SLATimer
	for rows.Next() {
		var t leadflow.SLATimer
		var assigned, due int64
		if err := rows.Scan(&t.LeadID, &t.RepID, &t.AssignmentID, &assigned, &due); err != nil {
			return nil, err
		}
		t.AssignedAt, t.DueAt = fromMS(assigned), fromMS(due)
		out = append(out, t)
	}
	return out, rows.Err()
}

func (x *queries) SLATimer(ctx context.Context, leadID int64) (*leadflow.SLATimer, error) {
	ts, err := x.slaTimers(ctx, `SELECT lead_id, rep_id, assignment_id, assigned_at, due_at FROM sla_timers WHERE lead_id = ?`, leadID)
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	return &ts[0], nil
}

func (x *queries) DueSLATimers(ctx context.Context, t time.Time, limit int) ([]leadflow.SLATimer, error) {
	return x.slaTimers(ctx, `SELECT lead_id, rep_id, assignment_id, assigned_at, due_at FROM sla_timers WHERE due_at <= ? ORDER BY due_at LIMIT ?`, ms(t), limit)
}

func (x *queries) SetLeadOwner(ctx context.Context, leadID, ownerID int64, at time.Time) error {
	res, err := x.q.ExecContext(ctx, `UPDATE leads SET owner_id = ?, updated_at = ?, rev = rev + 1 WHERE id = ?`, nullInt(ownerID), ms(at), leadID)
	if err != nil {
		return mapErr(err, "lead")
	}
	return expectOne(res, "lead")
}

func (x *queries) ClaimWon(ctx context.Context, a *leadflow.ClaimAttempt, as *leadflow.Assignment) (*leadflow.Lead, error) {
	var l *leadflow.Lead
	var err error
	if x.d.Returning { // one data-modifying statement: one round trip instead of four
		l, err = x.claimWonCTE(ctx, a, as)
	} else if err = x.InsertClaimAttempt(ctx, a); err == nil {
		if l, err = scanLead(x.q.QueryRowContext(ctx, takeLead+leadColumns, a.RepID, ms(a.At), a.LeadID)); err == nil {
			err = x.InsertAssignment(ctx, as)
		}
	}
	if errors.Is(err, sql.ErrNoRows) { // the attempt is recorded; the lead was not taken
		if _, err := x.LeadByID(ctx, a.LeadID); err != nil {
			return nil, err // ENOTFOUND
		}
		return nil, nil // it has an owner
	}
	if err != nil {
		return nil, mapErr(err, "claim")
	}
	return l, nil
}

// takeLead makes a lead without an owner the claim's winner's, returning the lead's columns.
const takeLead = `UPDATE leads SET owner_id = ?, updated_at = ?, rev = rev + 1 WHERE id = ? AND owner_id IS NULL RETURNING `

// claimWonCTE is ClaimWon as one statement of data-modifying CTEs (PostgreSQL); sql.ErrNoRows
// when the lead was not taken.
func (x *queries) claimWonCTE(ctx context.Context, a *leadflow.ClaimAttempt, as *leadflow.Assignment) (*leadflow.Lead, error) {
	var claimID, assignmentID int64
	row := x.q.QueryRowContext(ctx, `WITH c AS (
	INSERT INTO claims (lead_id, rep_id, at, outcome, rule, winner_id, band, offered_at, released_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id),
l AS (`+takeLead+leadColumns+`),
a AS (INSERT INTO assignments (lead_id, rep_id, rule_id, method, at, actor, reason, explanation, pool)
	SELECT id, ?::bigint, ?::text, ?::text, ?::bigint, ?::text, ?::text, ?::text, ?::bigint FROM l RETURNING id)
SELECT (SELECT id FROM c), (SELECT id FROM a), `+leadColumns+` FROM l`,
		a.LeadID, a.RepID, ms(a.At), a.Outcome, a.Rule, a.WinnerID, a.Band, optMS(a.OfferedAt), optMS(a.ReleasedAt),
		a.RepID, ms(a.At), a.LeadID,
		as.RepID, as.RuleID, as.Method, ms(as.At), as.Actor, as.Reason, string(as.Explanation), flag(as.Pool))
	l, err := scanLead(prefixed{row, []any{&claimID, &assignmentID}})
	if err == nil {
		a.ID, as.ID = claimID, assignmentID
	}
	return l, err
}

// flag is a boolean as the integer column that stores it (0 or 1, the same in both dialects).
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// prefixed scans a row whose first columns go to pre, the rest to the caller's destinations.
type prefixed struct {
	r   rowScanner
	pre []any
}

func (p prefixed) Scan(dest ...any) error { return p.r.Scan(append(p.pre, dest...)...) }

func (x *queries) AssignmentsBetween(ctx context.Context, from, until time.Time) ([]leadflow.Assignment, error) {
	where, args := x.assignedSince(from)
	if x.d.AssignmentHours { // not after the last id of the hours up to until
		where += ` AND id <= (SELECT COALESCE(MAX(COALESCE(last_id, 9223372036854775807)), -1) FROM assignment_hours WHERE hour <= ?)`
		args = append(args, hourOf(ms(until)))
	}
	return x.assignmentsWhere(ctx, `''`, where+` AND at < ? ORDER BY at, id`, append(args, ms(until))...)
}

func (x *queries) ClaimCounts(ctx context.Context, q leadflow.ClaimCountsQuery) (leadflow.ClaimCounts, error) {
	week, today, last := ms(q.ThisWeek), ms(q.Today), ms(q.LastWeek)
	pooled, auto := "0", "0"
	var args []any
	if q.ColdPooled {
		pooled = `(SELECT COUNT(*) FROM pool WHERE pooled_at >= ? AND pooled_at < ? AND team_id = ? AND band = 'cold' AND cohort = '')`
		args = append(args, last, week, q.TeamID)
	}
	if q.AutoAccepted {
		auto = `(SELECT COUNT(DISTINCT a.lead_id) FROM assignments a JOIN leads l ON l.id = a.lead_id
WHERE a.pool = 1 AND a.rep_id = ? AND a.at >= ? AND a.method <> 'claim' AND l.owner_id = ?)`
		args = append(args, q.RepID, week, q.RepID)
	}
	args = append(args, week, today, week, week, week, week, q.RepID, last)
	var c leadflow.ClaimCounts
	err := x.q.QueryRowContext(ctx, `SELECT `+pooled+`, `+auto+`,
 COUNT(CASE WHEN at >= ? THEN 1 END),
 COUNT(CASE WHEN at >= ? THEN 1 END),
 COUNT(CASE WHEN at >= ? AND band = 'hot' THEN 1 END),
 COUNT(CASE WHEN at >= ? AND band = 'warm' AND released_at IS NULL THEN 1 END),
 COUNT(CASE WHEN at >= ? AND band = 'cold' AND released_at IS NULL THEN 1 END),
 COUNT(CASE WHEN at < ? AND band = 'cold' AND released_at IS NULL THEN 1 END)
FROM claims WHERE outcome = 'won' AND rep_id = ? AND at >= ?`, args...).Scan(
		&c.ColdPooledLastWeek, &c.AutoAccepted, &c.ThisWeek, &c.Today, &c.HotThisWeek, &c.WarmKeptThisWeek, &c.ColdKeptThisWeek, &c.ColdKeptLastWeek)
	if err != nil {
		return c, fmt.Errorf("claim counts: %w", err)
	}
	return c, nil
}

// assignmentsWhere lists assignments; explanation is the column to read them from, or ” to
// leave them out (lists for counting).
func (x *queries) assignmentsWhere(ctx context.Context, explanation, where string, args ...any) ([]leadflow.Assignment, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT id, lead_id, rep_id, rule_id, method, at, actor, reason, `+explanation+` FROM assignments WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("assignments: %w", err)
	}
	defer rows.Close()
	var out []leadflow.Assignment
	for rows.Next() {
		var a leadflow.Assignment
		var lead sql.NullInt64
		var at int64
		var ex string
		if err := rows.Scan(&a.ID, &lead, &a.RepID, &a.RuleID, &a.Method, &at, &a.Actor, &a.Reason, &ex); err != nil {
			return nil, err
		}
		a.LeadID, a.At = lead.Int64, fromMS(at)
		if ex != "" {
			a.Explanation = []byte(ex)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (x *queries) TryLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := x.q.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`, name, holder, ms(now.Add(ttl)), ms(now))
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
