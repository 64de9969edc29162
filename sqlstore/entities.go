package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
)

// An entity is a configuration object stored whole as JSON under a unique natural key: reps,
// teams and territories share one implementation.
type entity interface {
	leadflow.Rep | leadflow.Team | leadflow.Territory
}

// entityTable describes how one entity type is stored.
type entityTable[T entity] struct {
	table string // SQL table name
	what  string // noun for errors
	field string // the field holding the natural key, for conflict errors
	key   func(*T) string
	id    func(*T) *int64
	times func(*T) (created, updated *time.Time)
}

var (
	repTable = entityTable[leadflow.Rep]{table: "reps", what: "rep", field: "email",
		key: func(r *leadflow.Rep) string { return r.Email }, id: func(r *leadflow.Rep) *int64 { return &r.ID },
		times: func(r *leadflow.Rep) (*time.Time, *time.Time) { return &r.CreatedAt, &r.UpdatedAt }}
	teamTable = entityTable[leadflow.Team]{table: "teams", what: "team", field: "name",
		key: func(t *leadflow.Team) string { return t.Name }, id: func(t *leadflow.Team) *int64 { return &t.ID },
		times: func(t *leadflow.Team) (*time.Time, *time.Time) { return &t.CreatedAt, &t.UpdatedAt }}
	territoryTable = entityTable[leadflow.Territory]{table: "territories", what: "territory", field: "name",
		key: func(t *leadflow.Territory) string { return t.Name }, id: func(t *leadflow.Territory) *int64 { return &t.ID },
		times: func(t *leadflow.Territory) (*time.Time, *time.Time) { return &t.CreatedAt, &t.UpdatedAt }}
)

func (et entityTable[T]) normKey(v *T) string { return strings.ToLower(strings.TrimSpace(et.key(v))) }

func (et entityTable[T]) conflict(err error) error {
	err = mapErr(err, et.what)
	if e, ok := err.(*leadflow.Error); ok && e.Code == leadflow.ECONFLICT {
		e.Fields = []leadflow.FieldError{{Field: et.field, Reason: "already used by another " + et.what}}
	}
	return err
}

func (et entityTable[T]) scan(r rowScanner) (*T, error) {
	var v T
	var id, created, updated int64
	var data string
	if err := r.Scan(&id, &data, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return nil, fmt.Errorf("%s %d: %w", et.what, id, err)
	}
	*et.id(&v) = id
	c, u := et.times(&v)
	*c, *u = fromMS(created), fromMS(updated)
	return &v, nil
}

func (et entityTable[T]) get(ctx context.Context, x *queries, id int64) (*T, error) {
	v, err := et.scan(x.q.QueryRowContext(ctx, `SELECT id, data, created_at, updated_at FROM `+et.table+` WHERE id = ?`+x.forUpdate(), id))
	return v, mapErr(err, et.what)
}

func (et entityTable[T]) list(ctx context.Context, q Querier) ([]T, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, data, created_at, updated_at FROM `+et.table+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("%s list: %w", et.what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := et.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

func (et entityTable[T]) insert(ctx context.Context, x *queries, v *T) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", et.what, err)
	}
	c, u := et.times(v)
	*et.id(v), _, err = x.insertID(ctx, `INSERT INTO `+et.table+` (key, data, created_at, updated_at) VALUES (?, ?, ?, ?)`, et.normKey(v), string(data), ms(*c), ms(*u))
	if err != nil {
		return et.conflict(err)
	}
	return nil
}

func (et entityTable[T]) update(ctx context.Context, q Querier, v *T) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", et.what, err)
	}
	_, u := et.times(v)
	res, err := q.ExecContext(ctx, `UPDATE `+et.table+` SET key = ?, data = ?, updated_at = ? WHERE id = ?`, et.normKey(v), string(data), ms(*u), *et.id(v))
	if err != nil {
		return et.conflict(err)
	}
	return expectOne(res, et.what)
}

func (x *queries) Rep(ctx context.Context, id int64) (*leadflow.Rep, error) {
	return repTable.get(ctx, x, id)
}
func (x *queries) Reps(ctx context.Context) ([]leadflow.Rep, error) { return repTable.list(ctx, x.q) }
func (x *queries) InsertRep(ctx context.Context, r *leadflow.Rep) error {
	return repTable.insert(ctx, x, r)
}
func (x *queries) UpdateRep(ctx context.Context, r *leadflow.Rep) error {
	return repTable.update(ctx, x.q, r)
}
func (x *queries) Team(ctx context.Context, id int64) (*leadflow.Team, error) {
	return teamTable.get(ctx, x, id)
}
func (x *queries) Teams(ctx context.Context) ([]leadflow.Team, error) {
	return teamTable.list(ctx, x.q)
}
func (x *queries) InsertTeam(ctx context.Context, t *leadflow.Team) error {
	return teamTable.insert(ctx, x, t)
}
func (x *queries) UpdateTeam(ctx context.Context, t *leadflow.Team) error {
	return teamTable.update(ctx, x.q, t)
}
func (x *queries) Territory(ctx context.Context, id int64) (*leadflow.Territory, error) {
	return territoryTable.get(ctx, x, id)
}
func (x *queries) Territories(ctx context.Context) ([]leadflow.Territory, error) {
	return territoryTable.list(ctx, x.q)
}
func (x *queries) InsertTerritory(ctx context.Context, t *leadflow.Territory) error {
	return territoryTable.insert(ctx, x, t)
}
func (x *queries) UpdateTerritory(ctx context.Context, t *leadflow.Territory) error {
	return territoryTable.update(ctx, x.q, t)
}

func (x *queries) InsertWeightChanges(ctx context.Context, changes ...leadflow.WeightChange) error {
	for _, c := range changes {
		if _, err := x.q.ExecContext(ctx, `INSERT INTO weight_changes (rep_id, at, actor, field, old, new, reason, inputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			c.RepID, ms(c.At), c.Actor, c.Field, c.Old, c.New, c.Reason, string(c.Inputs)); err != nil {
			return fmt.Errorf("weight change: %w", err)
		}
	}
	return nil
}

func (x *queries) WeightChanges(ctx context.Context, repID int64, limit int) ([]leadflow.WeightChange, error) {
	if limit <= 0 {
		limit = 200
	}
	rows, err := x.q.QueryContext(ctx, `SELECT id, rep_id, at, actor, field, old, new, reason, inputs FROM weight_changes WHERE ? = 0 OR rep_id = ? ORDER BY id DESC LIMIT ?`, repID, repID, limit)
	if err != nil {
		return nil, fmt.Errorf("weight changes: %w", err)
	}
	defer rows.Close()
	var out []leadflow.WeightChange
	for rows.Next() {
		var c leadflow.WeightChange
		var at int64
		var inputs string
		if err := rows.Scan(&c.ID, &c.RepID, &at, &c.Actor, &c.Field, &c.Old, &c.New, &c.Reason, &inputs); err != nil {
			return nil, err
		}
		if inputs != "" {
			c.Inputs = json.RawMessage(inputs)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
