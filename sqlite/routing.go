package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leadflow/leadflow"
)

func (x *queries) Rotation(ctx context.Context, key string) ([]byte, error) {
	var state string
	err := x.q.QueryRowContext(ctx, `SELECT state FROM rotations WHERE key = ?`, key).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rotation %s: %w", key, err)
	}
	return []byte(state), nil
}

func (x *queries) PutRotation(ctx context.Context, key string, state []byte) error {
	_, err := x.q.ExecContext(ctx, `INSERT INTO rotations (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state`, key, string(state))
	return mapErr(err, "rotation")
}

func (x *queries) InsertAssignment(ctx context.Context, a *leadflow.Assignment) error {
	res, err := x.q.ExecContext(ctx, `INSERT INTO assignments (lead_id, rep_id, rule_id, method, at, actor, reason, explanation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		nullInt(a.LeadID), a.RepID, a.RuleID, a.Method, ms(a.At), a.Actor, a.Reason, string(a.Explanation))
	if err != nil {
		return mapErr(err, "assignment")
	}
	a.ID, err = res.LastInsertId()
	return err
}

func (x *queries) Assignments(ctx context.Context, leadID int64) ([]leadflow.Assignment, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT id, lead_id, rep_id, rule_id, method, at, actor, reason, explanation FROM assignments WHERE lead_id = ? ORDER BY id`, leadID)
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
		a.LeadID, a.At, a.Explanation = lead.Int64, fromMS(at), []byte(ex)
		out = append(out, a)
	}
	return out, rows.Err()
}

func countBy(ctx context.Context, q querier, query string, args ...any) (map[int64]int64, error) {
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
	return countBy(ctx, x.q, `SELECT rep_id, COUNT(*) FROM assignments WHERE at >= ? GROUP BY rep_id`, ms(since))
}

func (x *queries) OpenOpportunities(ctx context.Context) (map[int64]int64, error) {
	return countBy(ctx, x.q, `SELECT owner_id, COUNT(*) FROM leads WHERE owner_id IS NOT NULL AND stage = 'opportunity' GROUP BY owner_id`)
}
