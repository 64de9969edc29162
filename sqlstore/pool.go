package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
)

const poolColumns = `lead_id, rule_id, team_id, rep_ids, band, blind, cohort, pooled_at, expires_at, status, claimed_by, claimed_at, releases`

func scanPool(r interface{ Scan(...any) error }) (*leadflow.PoolEntry, error) {
	var e leadflow.PoolEntry
	var repIDs string
	var blind int
	var pooled, expires int64
	var claimedAt sql.NullInt64
	if err := r.Scan(&e.LeadID, &e.RuleID, &e.TeamID, &repIDs, &e.Band, &blind, &e.Cohort, &pooled, &expires, &e.Status, &e.ClaimedBy, &claimedAt, &e.Releases); err != nil {
		return nil, err
	}
	e.Blind, e.PooledAt, e.ExpiresAt = blind != 0, fromMS(pooled), fromMS(expires)
	if claimedAt.Valid {
		t := fromMS(claimedAt.Int64)
		e.ClaimedAt = &t
	}
	for _, f := range strings.Split(repIDs, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			e.RepIDs = append(e.RepIDs, id)
		}
	}
	return &e, nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func (x *queries) PoolEntry(ctx context.Context, leadID int64) (*leadflow.PoolEntry, error) {
	e, err := scanPool(x.q.QueryRowContext(ctx, `SELECT `+poolColumns+` FROM pool WHERE lead_id = ?`, leadID))
	if err != nil {
		return nil, mapErr(err, "pool entry")
	}
	return e, nil
}

func (x *queries) poolWhere(ctx context.Context, where string, args ...any) ([]leadflow.PoolEntry, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT `+poolColumns+` FROM pool WHERE `+where+` ORDER BY pooled_at, lead_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("pool: %w", err)
	}
	defer rows.Close()
	var out []leadflow.PoolEntry
	for rows.Next() {
		e, err := scanPool(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

func (x *queries) OpenPool(ctx context.Context) ([]leadflow.PoolEntry, error) {
	return x.poolWhere(ctx, `status = 'open'`)
}

func (x *queries) PooledSince(ctx context.Context, since time.Time) ([]leadflow.PoolEntry, error) {
	return x.poolWhere(ctx, `pooled_at >= ?`, ms(since))
}

func (x *queries) PutPoolEntry(ctx context.Context, e *leadflow.PoolEntry) error {
	var claimedAt any
	if e.ClaimedAt != nil {
		claimedAt = ms(*e.ClaimedAt)
	}
	_, err := x.q.ExecContext(ctx, `INSERT INTO pool (`+poolColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (lead_id) DO UPDATE SET rule_id = excluded.rule_id, team_id = excluded.team_id, rep_ids = excluded.rep_ids,
		band = excluded.band, blind = excluded.blind, cohort = excluded.cohort, pooled_at = excluded.pooled_at,
		expires_at = excluded.expires_at, status = excluded.status, claimed_by = excluded.claimed_by,
		claimed_at = excluded.claimed_at, releases = excluded.releases`,
		e.LeadID, e.RuleID, e.TeamID, joinIDs(e.RepIDs), e.Band, flag(e.Blind), e.Cohort, ms(e.PooledAt), ms(e.ExpiresAt), e.Status, e.ClaimedBy, claimedAt, e.Releases)
	return mapErr(err, "pool entry")
}

// ClaimPoolEntry decides a claim race with one conditional UPDATE: only the first writer finds
// the entry open (S-COMP-1).
func (x *queries) ClaimPoolEntry(ctx context.Context, leadID, repID int64, at time.Time) (bool, *leadflow.PoolEntry, error) {
	e, err := scanPool(x.q.QueryRowContext(ctx, `UPDATE pool SET status = 'claimed', claimed_by = ?, claimed_at = ?
		WHERE lead_id = ? AND status = 'open' RETURNING `+poolColumns, repID, ms(at), leadID))
	if err == nil {
		return true, e, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, nil, fmt.Errorf("claim: %w", err)
	}
	e, err = x.PoolEntry(ctx, leadID)
	return false, e, err
}

func (x *queries) SetPoolStatus(ctx context.Context, leadID int64, status string) (bool, error) {
	res, err := x.q.ExecContext(ctx, `UPDATE pool SET status = ? WHERE lead_id = ? AND status = 'open'`, status, leadID)
	if err != nil {
		return false, fmt.Errorf("pool status: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const claimColumns = `id, lead_id, rep_id, at, outcome, rule, winner_id, band, offered_at, released_at`

func (x *queries) InsertClaimAttempt(ctx context.Context, a *leadflow.ClaimAttempt) error {
	id, _, err := x.insertID(ctx, `INSERT INTO claims (lead_id, rep_id, at, outcome, rule, winner_id, band, offered_at, released_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.LeadID, a.RepID, ms(a.At), a.Outcome, a.Rule, a.WinnerID, a.Band, optMS(a.OfferedAt), optMS(a.ReleasedAt))
	if err != nil {
		return fmt.Errorf("claim attempt: %w", err)
	}
	a.ID = id
	return nil
}

func optMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ms(*t)
}

func (x *queries) claimsWhere(ctx context.Context, where string, args ...any) ([]leadflow.ClaimAttempt, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT `+claimColumns+` FROM claims WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	defer rows.Close()
	var out []leadflow.ClaimAttempt
	for rows.Next() {
		var a leadflow.ClaimAttempt
		var at int64
		var offered, released sql.NullInt64
		if err := rows.Scan(&a.ID, &a.LeadID, &a.RepID, &at, &a.Outcome, &a.Rule, &a.WinnerID, &a.Band, &offered, &released); err != nil {
			return nil, err
		}
		a.At = fromMS(at)
		if offered.Valid {
			t := fromMS(offered.Int64)
			a.OfferedAt = &t
		}
		if released.Valid {
			t := fromMS(released.Int64)
			a.ReleasedAt = &t
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (x *queries) ClaimsSince(ctx context.Context, repID int64, since time.Time) ([]leadflow.ClaimAttempt, error) {
	if repID == 0 {
		return x.claimsWhere(ctx, `outcome = 'won' AND at >= ?`, ms(since))
	}
	return x.claimsWhere(ctx, `outcome = 'won' AND rep_id = ? AND at >= ?`, repID, ms(since))
}

func (x *queries) ClaimAttempts(ctx context.Context, leadID int64) ([]leadflow.ClaimAttempt, error) {
	return x.claimsWhere(ctx, `lead_id = ?`, leadID)
}

func (x *queries) MarkReleased(ctx context.Context, leadID, repID int64, at time.Time) error {
	_, err := x.q.ExecContext(ctx, `UPDATE claims SET released_at = ? WHERE id = (
		SELECT id FROM claims WHERE lead_id = ? AND rep_id = ? AND outcome = 'won' ORDER BY id DESC LIMIT 1)`, ms(at), leadID, repID)
	return mapErr(err, "claim")
}

func (x *queries) PutOffers(ctx context.Context, offers ...leadflow.Offer) error {
	const per = 200 // rows per statement: 4 parameters each, well under SQLite's limit
	for len(offers) > 0 {
		n := min(len(offers), per)
		var sb strings.Builder
		sb.WriteString(`INSERT INTO offers (lead_id, rep_id, sent_at, channel) VALUES `)
		args := make([]any, 0, 4*n)
		for i, o := range offers[:n] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?)")
			args = append(args, o.LeadID, o.RepID, ms(o.SentAt), o.Channel)
		}
		sb.WriteString(` ON CONFLICT (lead_id, rep_id) DO NOTHING`)
		if _, err := x.q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("offers: %w", err)
		}
		offers = offers[n:]
	}
	return nil
}

func (x *queries) MarkOfferSeen(ctx context.Context, leadID, repID int64, at time.Time) (bool, error) {
	res, err := x.q.ExecContext(ctx, `UPDATE offers SET seen_at = COALESCE(seen_at, ?) WHERE lead_id = ? AND rep_id = ?`, ms(at), leadID, repID)
	if err != nil {
		return false, fmt.Errorf("offer seen: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (x *queries) Offers(ctx context.Context, leadID int64) ([]leadflow.Offer, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT lead_id, rep_id, sent_at, channel, seen_at FROM offers WHERE lead_id = ? ORDER BY sent_at, rep_id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("offers: %w", err)
	}
	defer rows.Close()
	var out []leadflow.Offer
	for rows.Next() {
		var o leadflow.Offer
		var sent int64
		var seen sql.NullInt64
		if err := rows.Scan(&o.LeadID, &o.RepID, &sent, &o.Channel, &seen); err != nil {
			return nil, err
		}
		o.SentAt = fromMS(sent)
		if seen.Valid {
			t := fromMS(seen.Int64)
			o.SeenAt = &t
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (x *queries) PoolCount(ctx context.Context, teamID int64, band string, from, until time.Time) (int, error) {
	var n int
	err := x.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pool WHERE pooled_at >= ? AND pooled_at < ? AND team_id = ? AND band = ? AND cohort = ''`,
		ms(from), ms(until), teamID, band).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("pool count: %w", err)
	}
	return n, nil
}

func (x *queries) PushSubscriptions(ctx context.Context, repIDs []int64) ([]leadflow.PushSubscription, error) {
	if len(repIDs) == 0 {
		return nil, nil
	}
	rows, err := x.q.QueryContext(ctx, `SELECT rep_id, endpoint, p256dh, auth, created_at FROM push_subscriptions
		WHERE rep_id IN `+x.intList("?")+` ORDER BY rep_id, endpoint`, "["+joinIDs(repIDs)+"]")
	if err != nil {
		return nil, fmt.Errorf("push subscriptions: %w", err)
	}
	defer rows.Close()
	var out []leadflow.PushSubscription
	for rows.Next() {
		var p leadflow.PushSubscription
		var created int64
		if err := rows.Scan(&p.RepID, &p.Endpoint, &p.P256dh, &p.Auth, &created); err != nil {
			return nil, err
		}
		p.CreatedAt = fromMS(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

func (x *queries) PutPushSubscription(ctx context.Context, p leadflow.PushSubscription) error {
	_, err := x.q.ExecContext(ctx, `INSERT INTO push_subscriptions (endpoint, rep_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (endpoint) DO UPDATE SET rep_id = excluded.rep_id, p256dh = excluded.p256dh, auth = excluded.auth`,
		p.Endpoint, p.RepID, p.P256dh, p.Auth, ms(p.CreatedAt))
	return mapErr(err, "push subscription")
}

func (x *queries) DeletePushSubscription(ctx context.Context, endpoint string) (bool, error) {
	res, err := x.q.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ?`, endpoint)
	if err != nil {
		return false, fmt.Errorf("push subscription: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (x *queries) OfferTo(ctx context.Context, leadID, repID int64) (*leadflow.Offer, error) {
	var o leadflow.Offer
	var sent int64
	var seen sql.NullInt64
	err := x.q.QueryRowContext(ctx, `SELECT lead_id, rep_id, sent_at, channel, seen_at FROM offers WHERE lead_id = ? AND rep_id = ?`, leadID, repID).
		Scan(&o.LeadID, &o.RepID, &sent, &o.Channel, &seen)
	if err != nil {
		return nil, mapErr(err, "offer")
	}
	o.SentAt = fromMS(sent)
	if seen.Valid {
		t := fromMS(seen.Int64)
		o.SeenAt = &t
	}
	return &o, nil
}
