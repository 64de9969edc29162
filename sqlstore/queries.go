package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
)

// queries implements leadflow.Tx (and so leadflow.ReadTx) over a Querier in one dialect.
type queries struct {
	q Querier // rebinds placeholders for the dialect
	d *Dialect
	// write is set in write transactions: rows read for update are locked where the dialect
	// needs it (several nodes writing).
	write bool
	// wb holds rotation writes back until the group commit and numbers write epochs; nil on
	// stores without a single writer connection.
	wb *WriteBehind
}

// WriteEpoch implements leadflow.Tx.
func (x *queries) WriteEpoch() (uint64, bool) {
	if x.wb == nil {
		return 0, false
	}
	return x.wb.epoch, true
}

var _ leadflow.Tx = (*queries)(nil)

// leadData is the part of a lead kept as JSON: personal and descriptive fields that are read
// whole and filtered rarely.
type leadData struct {
	ExternalID  string          `json:"external_id,omitempty"`
	Email       string          `json:"email,omitempty"`
	FirstName   string          `json:"first_name,omitempty"`
	LastName    string          `json:"last_name,omitempty"`
	Phone       string          `json:"phone,omitempty"`
	Company     string          `json:"company,omitempty"`
	CompanySize int             `json:"company_size,omitempty"`
	Industry    string          `json:"industry,omitempty"`
	JobTitle    string          `json:"job_title,omitempty"`
	Seniority   string          `json:"seniority,omitempty"`
	Country     string          `json:"country,omitempty"`
	Region      string          `json:"region,omitempty"`
	City        string          `json:"city,omitempty"`
	Timezone    string          `json:"timezone,omitempty"`
	Language    string          `json:"language,omitempty"`
	Custom      map[string]any  `json:"custom,omitempty"`
	Consent     map[string]bool `json:"consent,omitempty"`
	StageReason string          `json:"stage_reason,omitempty"`
	Criteria    map[string]bool `json:"criteria,omitempty"`
	Contacted   *time.Time      `json:"first_contact_at,omitempty"`
	DealValue   float64         `json:"deal_value,omitempty"`
}

const leadColumns = `id, stage, owner_id, source, campaign, fit, engagement, total, grade, band, model_version, scored_at, hits, rescore_at, rev, data, created_at, updated_at`

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// mapErr turns driver errors into leadflow errors: unique violations become ECONFLICT.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return leadflow.Errorf(leadflow.ENOTFOUND, "%s not found", what)
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "duplicate key value violates unique constraint") {
		field := "id"
		switch {
		case strings.Contains(msg, "email_norm"):
			field = "email"
		case strings.Contains(msg, "external_id"):
			field = "external_id"
		case strings.Contains(msg, "event_id"):
			field = "event_id"
		}
		return &leadflow.Error{Code: leadflow.ECONFLICT, Message: what + " already exists",
			Fields: []leadflow.FieldError{{Field: field, Reason: "already used by another " + what}}, Cause: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

type rowScanner interface{ Scan(dest ...any) error }

func scanLead(r rowScanner) (*leadflow.Lead, error) {
	var (
		l                          leadflow.Lead
		owner, rescoreAt           sql.NullInt64
		hits                       sql.NullString
		data                       string
		scoredAt, created, updated int64
		stage                      string
	)
	if err := r.Scan(&l.ID, &stage, &owner, &l.Source, &l.Campaign, &l.Score.Fit, &l.Score.Engagement, &l.Score.Total,
		&l.Score.Grade, &l.Score.Band, &l.Score.ModelVersion, &scoredAt, &hits, &rescoreAt, &l.Rev, &data, &created, &updated); err != nil {
		return nil, err
	}
	var d leadData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, fmt.Errorf("lead %d data: %w", l.ID, err)
	}
	if hits.Valid && hits.String != "" {
		if err := json.Unmarshal([]byte(hits.String), &l.Hits); err != nil {
			return nil, fmt.Errorf("lead %d hits: %w", l.ID, err)
		}
	}
	l.Stage = leadflow.Stage(stage)
	l.OwnerID = owner.Int64
	l.Score.ScoredAt = fromMS(scoredAt)
	l.RescoreAt = fromMS(rescoreAt.Int64)
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	l.ExternalID, l.Email, l.FirstName, l.LastName, l.Phone = d.ExternalID, d.Email, d.FirstName, d.LastName, d.Phone
	l.Company, l.CompanySize, l.Industry, l.JobTitle, l.Seniority = d.Company, d.CompanySize, d.Industry, d.JobTitle, d.Seniority
	l.Country, l.Region, l.City, l.Timezone, l.Language = d.Country, d.Region, d.City, d.Timezone, d.Language
	l.Custom, l.Consent, l.StageReason, l.Criteria, l.FirstContactAt, l.DealValue = d.Custom, d.Consent, d.StageReason, d.Criteria, d.Contacted, d.DealValue
	return &l, nil
}

func encodeLead(l *leadflow.Lead) (data string, hits any, search string, err error) {
	d := leadData{ExternalID: l.ExternalID, Email: l.Email, FirstName: l.FirstName, LastName: l.LastName, Phone: l.Phone,
		Company: l.Company, CompanySize: l.CompanySize, Industry: l.Industry, JobTitle: l.JobTitle, Seniority: l.Seniority,
		Country: l.Country, Region: l.Region, City: l.City, Timezone: l.Timezone, Language: l.Language,
		Custom: l.Custom, Consent: l.Consent, StageReason: l.StageReason, Criteria: l.Criteria, Contacted: l.FirstContactAt, DealValue: l.DealValue}
	b, err := json.Marshal(d)
	if err != nil {
		return "", nil, "", fmt.Errorf("encode lead: %w", err)
	}
	hits, err = encodeHits(l.Hits)
	search = strings.ToLower(strings.Join([]string{l.Email, l.FirstName, l.LastName, l.Company}, " "))
	return string(b), hits, search, err
}

func encodeHits(h leadflow.RuleHits) (any, error) {
	if len(h) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode hits: %w", err)
	}
	return string(b), nil
}

func queryLeads(ctx context.Context, q Querier, query string, args ...any) ([]leadflow.Lead, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query leads: %w", err)
	}
	defer rows.Close()
	var out []leadflow.Lead
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
	}
	return out, rows.Err()
}

func (x *queries) leadWhere(ctx context.Context, where string, arg any) (*leadflow.Lead, error) {
	l, err := scanLead(x.q.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE `+where+x.forUpdate(), arg))
	return l, mapErr(err, "lead")
}

func (x *queries) LeadByID(ctx context.Context, id int64) (*leadflow.Lead, error) {
	return x.leadWhere(ctx, "id = ?", id)
}

func (x *queries) LeadByExternalID(ctx context.Context, ext string) (*leadflow.Lead, error) {
	return x.leadWhere(ctx, "external_id = ?", ext)
}

func (x *queries) LeadByEmail(ctx context.Context, email string) (*leadflow.Lead, error) {
	return x.leadWhere(ctx, "email_norm = ?", leadflow.NormalizeEmail(email))
}

func (x *queries) LeadsByKeys(ctx context.Context, ids []int64, externalIDs, emails []string) ([]leadflow.Lead, error) {
	norm := make([]string, len(emails))
	for i, e := range emails {
		norm[i] = leadflow.NormalizeEmail(e)
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	if ids == nil {
		ids = []int64{}
	}
	if externalIDs == nil {
		externalIDs = []string{}
	}
	// json_each keeps this one prepared statement whatever the list lengths; each IN uses its
	// index. UNION ALL avoids sorting whole rows; a lead matched twice is dropped here.
	q := `SELECT ` + leadColumns + ` FROM leads WHERE id IN ` + x.intList("?1") + `
UNION ALL SELECT ` + leadColumns + ` FROM leads WHERE external_id IN ` + x.textList("?2") + `
UNION ALL SELECT ` + leadColumns + ` FROM leads WHERE email_norm IN ` + x.textList("?3")
	if lock := x.forUpdate(); lock != "" { // locking cannot apply to a UNION: one scan with OR
		q = `SELECT ` + leadColumns + ` FROM leads WHERE id IN ` + x.intList("?1") + ` OR external_id IN ` + x.textList("?2") +
			` OR email_norm IN ` + x.textList("?3") + ` ORDER BY id` + lock
	}
	leads, err := queryLeads(ctx, x.q, q, enc(ids), enc(externalIDs), enc(norm))
	if err != nil {
		return nil, err
	}
	seen := make(map[int64]bool, len(leads))
	out := leads[:0]
	for _, l := range leads {
		if !seen[l.ID] {
			seen[l.ID] = true
			out = append(out, l)
		}
	}
	return out, nil
}

func (x *queries) ListLeads(ctx context.Context, f leadflow.LeadFilter) ([]leadflow.Lead, error) {
	var (
		conds []string // on leads as l
		args  []any
	)
	add := func(cond string, arg any) { conds = append(conds, cond); args = append(args, arg) }
	if f.Stage != "" {
		add("l.stage = ?", string(f.Stage))
	}
	if f.Band != "" {
		add("l.band = ?", f.Band)
	}
	if f.Source != "" {
		add("l.source = ?", f.Source)
	}
	if f.Query != "" {
		add("l.search LIKE ? ESCAPE '\\'", "%"+likeEscape(strings.ToLower(f.Query))+"%")
	}
	if f.Before > 0 {
		add("l.id < ?", f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if f.OwnerID != 0 && x.d.MergedOwners {
		return x.leadsOfOwner(ctx, f.OwnerID, f.Before, conds, args, limit)
	}
	if f.OwnerID != 0 {
		add("l.owner_id = ?", f.OwnerID)
	}
	query := `SELECT ` + leadColumns + ` FROM leads l`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += fmt.Sprintf(" ORDER BY l.id DESC LIMIT %d", limit)
	return queryLeads(ctx, x.q, query, args...)
}

// leadsOfOwner is ListLeads of one owner's leads where owners are merged into lead_owners (see
// Dialect.MergedOwners): the newest limit of the merged leads, walked down lead_owners' key, and
// every matching lead newer than the merge point, by a scan of the newest rows.
func (x *queries) leadsOfOwner(ctx context.Context, owner, before int64, conds []string, args []any, limit int) ([]leadflow.Lead, error) {
	where := ""
	if len(conds) > 0 {
		where = " AND " + strings.Join(conds, " AND ")
	}
	merged := ""
	if before > 0 {
		merged = " AND o.lead_id < ?" // the cursor as a range of lead_owners' key, not only a filter
	}
	query := fmt.Sprintf(`SELECT %s FROM leads WHERE id IN (
	SELECT id FROM (SELECT o.lead_id AS id FROM lead_owners o CROSS JOIN leads l ON l.id = o.lead_id
		WHERE o.owner_id = ?%s AND l.owner_id = ?%s ORDER BY o.lead_id DESC LIMIT %d)
	UNION ALL
	SELECT l.id FROM leads l WHERE l.id > (SELECT lead_id FROM lead_owners_upto) AND l.owner_id = ?%s
) ORDER BY id DESC LIMIT %d`, leadColumns, merged, where, limit, where, limit)
	all := make([]any, 0, 2*len(args)+4)
	all = append(all, owner)
	if before > 0 {
		all = append(all, before)
	}
	all = append(all, owner)
	all = append(all, args...)
	all = append(all, owner)
	all = append(all, args...)
	return queryLeads(ctx, x.q, query, all...)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (x *queries) CountLeads(ctx context.Context) (int64, error) {
	var n int64
	err := x.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM leads`).Scan(&n)
	return n, mapErr(err, "lead count")
}

func (x *queries) LeadsAfter(ctx context.Context, afterID int64, limit int) ([]leadflow.Lead, error) {
	return queryLeads(ctx, x.q, `SELECT `+leadColumns+` FROM leads WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
}

func (x *queries) LeadsDue(ctx context.Context, t time.Time, limit int) ([]leadflow.Lead, error) {
	return queryLeads(ctx, x.q, `SELECT `+leadColumns+` FROM leads WHERE rescore_at IS NOT NULL AND rescore_at <= ? ORDER BY rescore_at LIMIT ?`, ms(t), limit)
}

func (x *queries) InsertLead(ctx context.Context, l *leadflow.Lead) error {
	data, hits, search, err := encodeLead(l)
	if err != nil {
		return err
	}
	id, _, err := x.insertID(ctx, `INSERT INTO leads (external_id, email_norm, stage, owner_id, source, campaign, search, fit, engagement, total, grade, band, model_version, scored_at, hits, rescore_at, data, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullString(l.ExternalID), nullString(leadflow.NormalizeEmail(l.Email)), string(l.Stage), nullInt(l.OwnerID), l.Source, l.Campaign, search,
		l.Score.Fit, l.Score.Engagement, l.Score.Total, l.Score.Grade, l.Score.Band, l.Score.ModelVersion, ms(l.Score.ScoredAt),
		hits, nullTime(l.RescoreAt), data, ms(l.CreatedAt), ms(l.UpdatedAt))
	if err != nil {
		return mapErr(err, "lead")
	}
	l.ID = id
	if x.wb != nil {
		x.wb.leadCreated()
	}
	return nil
}

func (x *queries) UpdateLead(ctx context.Context, l *leadflow.Lead) error {
	data, hits, search, err := encodeLead(l)
	if err != nil {
		return err
	}
	res, err := x.q.ExecContext(ctx, `UPDATE leads SET external_id = ?, email_norm = ?, stage = ?, owner_id = ?, source = ?, campaign = ?, search = ?,
fit = ?, engagement = ?, total = ?, grade = ?, band = ?, model_version = ?, scored_at = ?, hits = ?, rescore_at = ?, data = ?, updated_at = ?, rev = rev + 1 WHERE id = ?`,
		nullString(l.ExternalID), nullString(leadflow.NormalizeEmail(l.Email)), string(l.Stage), nullInt(l.OwnerID), l.Source, l.Campaign, search,
		l.Score.Fit, l.Score.Engagement, l.Score.Total, l.Score.Grade, l.Score.Band, l.Score.ModelVersion, ms(l.Score.ScoredAt),
		hits, nullTime(l.RescoreAt), data, ms(l.UpdatedAt), l.ID)
	if err != nil {
		return mapErr(err, "lead")
	}
	if err := expectOne(res, "lead"); err != nil {
		return err
	}
	l.Rev++
	return nil
}

func expectOne(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return leadflow.Errorf(leadflow.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// scoreBatch is how many leads one score UPDATE statement carries.
const scoreBatch = 50

func (x *queries) UpdateScores(ctx context.Context, leads []leadflow.Lead) error {
	leads = byID(leads)
	for len(leads) > 0 {
		n := len(leads)
		if n > scoreBatch {
			n = scoreBatch
		}
		if n > 1 && n < scoreBatch {
			n = 1 // odd-sized tails go row by row so only two statement texts are ever prepared
		}
		args := make([]any, 0, n*10)
		for i := range leads[:n] {
			l := &leads[i]
			hits, err := encodeHits(l.Hits)
			if err != nil {
				return err
			}
			args = append(args, l.ID, l.Score.Fit, l.Score.Engagement, l.Score.Total, l.Score.Grade, l.Score.Band, l.Score.ModelVersion,
				ms(l.Score.ScoredAt), hits, nullTime(l.RescoreAt))
		}
		if _, err := x.q.ExecContext(ctx, `WITH v(id, fit, engagement, total, grade, band, model_version, scored_at, hits, rescore_at) AS (VALUES `+x.typedValues(n, scoreColumnTypes)+`)
UPDATE leads SET fit = v.fit, engagement = v.engagement, total = v.total, grade = v.grade, band = v.band, model_version = v.model_version,
scored_at = v.scored_at, hits = v.hits, rescore_at = v.rescore_at, rev = leads.rev + 1 FROM v WHERE leads.id = v.id`, args...); err != nil {
			return mapErr(err, "lead")
		}
		leads = leads[n:]
	}
	return nil
}

func (x *queries) UpdateScoresIfCurrent(ctx context.Context, leads []leadflow.Lead) ([]int64, error) {
	var skipped []int64
	// Update in id order (without reordering the caller's slice): concurrent transactions then
	// lock the same leads in the same order and never deadlock.
	order := make([]int, len(leads))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(leads[a].ID, leads[b].ID) })
	for _, i := range order {
		l := &leads[i]
		hits, err := encodeHits(l.Hits)
		if err != nil {
			return nil, err
		}
		res, err := x.q.ExecContext(ctx, `UPDATE leads SET fit = ?, engagement = ?, total = ?, grade = ?, band = ?, model_version = ?, scored_at = ?, hits = ?, rescore_at = ?, rev = rev + 1 WHERE id = ? AND rev = ?`,
			l.Score.Fit, l.Score.Engagement, l.Score.Total, l.Score.Grade, l.Score.Band, l.Score.ModelVersion, ms(l.Score.ScoredAt),
			hits, nullTime(l.RescoreAt), l.ID, l.Rev)
		if err != nil {
			return nil, mapErr(err, "lead")
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 0 {
			skipped = append(skipped, l.ID)
		} else {
			l.Rev++
		}
	}
	return skipped, nil
}

func (x *queries) EraseLead(ctx context.Context, id int64) error {
	res, err := x.q.ExecContext(ctx, `DELETE FROM leads WHERE id = ?`, id)
	if err != nil {
		return mapErr(err, "lead")
	}
	if err := expectOne(res, "lead"); err != nil {
		return err
	}
	for _, stmt := range []string{
		`DELETE FROM events WHERE lead_id = ?`,
		`DELETE FROM lead_history WHERE lead_id = ?`,
		`DELETE FROM idempotency WHERE lead_id = ?`,
		`UPDATE stage_changes SET lead_id = NULL WHERE lead_id = ?`,
		`UPDATE assignments SET lead_id = NULL WHERE lead_id = ?`,
		`DELETE FROM sla_timers WHERE lead_id = ?`,
		`DELETE FROM pool WHERE lead_id = ?`,
		`DELETE FROM offers WHERE lead_id = ?`,
		`UPDATE claims SET lead_id = 0 WHERE lead_id = ?`,
	} {
		if _, err := x.q.ExecContext(ctx, stmt, id); err != nil {
			return fmt.Errorf("erase lead %d: %w", id, err)
		}
	}
	return nil
}

func (x *queries) InsertEvent(ctx context.Context, e *leadflow.Event) (bool, error) {
	var props any
	if len(e.Properties) > 0 {
		b, err := json.Marshal(e.Properties)
		if err != nil {
			return false, leadflow.Invalid("properties", "cannot be encoded: "+err.Error())
		}
		props = string(b)
	}
	id, inserted, err := x.insertID(ctx, `INSERT INTO events (event_id, lead_id, type, occurred_at, received_at, properties) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
		nullString(e.EventID), e.LeadID, e.Type, ms(e.OccurredAt), ms(e.ReceivedAt), props)
	if err != nil || !inserted {
		return false, mapErr(err, "event")
	}
	e.ID = id
	return true, err
}

func scanEvents(rows *sql.Rows) ([]leadflow.Event, error) {
	defer rows.Close()
	var out []leadflow.Event
	for rows.Next() {
		var (
			e                  leadflow.Event
			eventID, props     sql.NullString
			occurred, received int64
		)
		if err := rows.Scan(&e.ID, &eventID, &e.LeadID, &e.Type, &occurred, &received, &props); err != nil {
			return nil, err
		}
		e.EventID, e.OccurredAt, e.ReceivedAt = eventID.String, fromMS(occurred), fromMS(received)
		if props.Valid && props.String != "" {
			if err := json.Unmarshal([]byte(props.String), &e.Properties); err != nil {
				return nil, fmt.Errorf("event %d properties: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const eventColumns = `id, event_id, lead_id, type, occurred_at, received_at, properties`

func (x *queries) EventsByLead(ctx context.Context, leadID int64) ([]leadflow.Event, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE lead_id = ? ORDER BY occurred_at, id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return scanEvents(rows)
}

func (x *queries) EventsForLeads(ctx context.Context, fromID, toID int64) (map[int64][]leadflow.Event, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE lead_id BETWEEN ? AND ? ORDER BY lead_id, occurred_at, id`, fromID, toID)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return nil, err
	}
	out := map[int64][]leadflow.Event{}
	for _, e := range evs {
		out[e.LeadID] = append(out[e.LeadID], e)
	}
	return out, nil
}

// historyBatch is how many history rows one INSERT statement carries (10 parameters each, well
// under SQLite's parameter limit); one statement per row would cost more than the rows.
const historyBatch = 100

func (x *queries) AppendHistory(ctx context.Context, entries ...leadflow.HistoryEntry) error {
	if x.wb != nil {
		return x.wb.appendHistory(ctx, entries)
	}
	return x.insertHistory(ctx, entries, nil)
}

// insertHistory writes entries as rows of lead_history, with the ids ids when given (as many as
// entries), else with ids the table's sequence gives.
func (x *queries) insertHistory(ctx context.Context, entries []leadflow.HistoryEntry, ids []int64) error {
	cols, insert := 9, `INSERT INTO lead_history (lead_id, at, actor, kind, field, old, new, reason, model_version) VALUES `
	if ids != nil {
		cols, insert = 10, `INSERT INTO lead_history (id, lead_id, at, actor, kind, field, old, new, reason, model_version) VALUES `
	}
	for len(entries) > 0 {
		n := min(len(entries), historyBatch)
		args := make([]any, 0, n*cols)
		for i, h := range entries[:n] {
			if ids != nil {
				args = append(args, ids[i])
			}
			args = append(args, h.LeadID, ms(h.At), h.Actor, h.Kind, h.Field, h.Old, h.New, h.Reason, h.ModelVersion)
		}
		if _, err := x.q.ExecContext(ctx, insert+valuesList(n, cols), args...); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		entries = entries[n:]
		if ids != nil {
			ids = ids[n:]
		}
	}
	return nil
}

// byID returns the leads in id order (a sorted copy when they are not), so that concurrent
// transactions lock the same rows in the same order and never deadlock.
func byID(leads []leadflow.Lead) []leadflow.Lead {
	less := func(a, b leadflow.Lead) int { return cmp.Compare(a.ID, b.ID) }
	if slices.IsSortedFunc(leads, less) {
		return leads
	}
	out := slices.Clone(leads)
	slices.SortFunc(out, less)
	return out
}

// scoreColumnTypes are the SQL types of UpdateScores' VALUES columns.
var scoreColumnTypes = []string{"bigint", "double precision", "double precision", "double precision", "text", "text", "integer", "bigint", "text", "bigint"}

// typedValues is valuesList for a VALUES list whose columns have no other context to take their
// types from: numbered dialects (PostgreSQL) need the parameters cast.
func (x *queries) typedValues(rows int, types []string) string {
	if !x.d.Numbered {
		return valuesList(rows, len(types))
	}
	cells := make([]string, len(types))
	for i, t := range types {
		cells[i] = "?::" + t
	}
	one := "(" + strings.Join(cells, ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

// valuesList returns "(?, ?), (?, ?)" for rows × cols placeholders. Statements are cached per
// distinct text, so callers batch in fixed sizes where they can.
func valuesList(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

func (x *queries) History(ctx context.Context, leadID, afterID int64, limit int) ([]leadflow.HistoryEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	// Owner entries kept with their assignments (see WriteBehind.appendHistory) read back as the
	// rows they stand for.
	rows, err := x.q.QueryContext(ctx, `SELECT id, lead_id, at, actor, kind, field, old, new, reason, model_version FROM lead_history WHERE lead_id = ? AND id > ?
UNION ALL
SELECT history_id, lead_id, at, actor, '`+leadflow.HistoryOwner+`', '`+keptOwnerField+`', '', CAST(rep_id AS TEXT), '', 0 FROM assignments WHERE lead_id = ? AND history_id > ?
ORDER BY 1 LIMIT ?`, leadID, afterID, leadID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []leadflow.HistoryEntry
	for rows.Next() {
		var h leadflow.HistoryEntry
		var at int64
		if err := rows.Scan(&h.ID, &h.LeadID, &at, &h.Actor, &h.Kind, &h.Field, &h.Old, &h.New, &h.Reason, &h.ModelVersion); err != nil {
			return nil, err
		}
		h.At = fromMS(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

func (x *queries) InsertStageChange(ctx context.Context, c leadflow.StageChange) error {
	_, err := x.q.ExecContext(ctx, `INSERT INTO stage_changes (lead_id, from_stage, to_stage, at, source, campaign) VALUES (?, ?, ?, ?, ?, ?)`,
		nullInt(c.LeadID), string(c.From), string(c.To), ms(c.At), c.Source, c.Campaign)
	return mapErr(err, "stage change")
}

func (x *queries) StageChanges(ctx context.Context, to leadflow.Stage, from, until time.Time) ([]leadflow.StageChange, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT lead_id, from_stage, to_stage, at, source, campaign FROM stage_changes WHERE to_stage = ? AND at >= ? AND at < ? ORDER BY at`, string(to), ms(from), ms(until))
	if err != nil {
		return nil, fmt.Errorf("stage changes: %w", err)
	}
	defer rows.Close()
	var out []leadflow.StageChange
	for rows.Next() {
		var c leadflow.StageChange
		var lead sql.NullInt64
		var fromS, toS string
		var at int64
		if err := rows.Scan(&lead, &fromS, &toS, &at, &c.Source, &c.Campaign); err != nil {
			return nil, err
		}
		c.LeadID, c.From, c.To, c.At = lead.Int64, leadflow.Stage(fromS), leadflow.Stage(toS), fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (x *queries) InsertCost(ctx context.Context, c *leadflow.Cost) error {
	id, _, err := x.insertID(ctx, `INSERT INTO costs (source, campaign, from_at, to_at, amount, currency, note) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.Source, c.Campaign, ms(c.From), ms(c.To), c.Amount, c.Currency, c.Note)
	if err != nil {
		return mapErr(err, "cost")
	}
	c.ID = id
	return nil
}

func (x *queries) Costs(ctx context.Context, from, until time.Time) ([]leadflow.Cost, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT id, source, campaign, from_at, to_at, amount, currency, note FROM costs WHERE to_at > ? AND from_at < ? ORDER BY from_at, id`, ms(from), ms(until))
	if err != nil {
		return nil, fmt.Errorf("costs: %w", err)
	}
	defer rows.Close()
	var out []leadflow.Cost
	for rows.Next() {
		var c leadflow.Cost
		var f, t int64
		if err := rows.Scan(&c.ID, &c.Source, &c.Campaign, &f, &t, &c.Amount, &c.Currency, &c.Note); err != nil {
			return nil, err
		}
		c.From, c.To = fromMS(f), fromMS(t)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (x *queries) Idempotency(ctx context.Context, tokenID int64, key string) (*leadflow.IdempotencyRecord, error) {
	var r leadflow.IdempotencyRecord
	var lead sql.NullInt64
	var created int64
	err := x.q.QueryRowContext(ctx, `SELECT token_id, key, request_hash, status, body, lead_id, created_at FROM idempotency WHERE token_id = ? AND key = ?`, tokenID, key).
		Scan(&r.TokenID, &r.Key, &r.RequestHash, &r.Status, &r.Body, &lead, &created)
	if err != nil {
		return nil, mapErr(err, "idempotency record")
	}
	r.LeadID, r.CreatedAt = lead.Int64, fromMS(created)
	return &r, nil
}

func (x *queries) PutIdempotency(ctx context.Context, r leadflow.IdempotencyRecord) error {
	_, err := x.q.ExecContext(ctx, `INSERT INTO idempotency (token_id, key, request_hash, status, body, lead_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.TokenID, r.Key, r.RequestHash, r.Status, r.Body, nullInt(r.LeadID), ms(r.CreatedAt))
	return mapErr(err, "idempotency record")
}

const tokenColumns = `id, name, role, rep_id, hash, created_at, revoked_at`

func scanToken(r rowScanner) (*leadflow.Token, error) {
	var t leadflow.Token
	var rep, revoked sql.NullInt64
	var created int64
	if err := r.Scan(&t.ID, &t.Name, &t.Role, &rep, &t.Hash, &created, &revoked); err != nil {
		return nil, err
	}
	t.RepID, t.CreatedAt = rep.Int64, fromMS(created)
	if revoked.Valid {
		at := fromMS(revoked.Int64)
		t.RevokedAt = &at
	}
	return &t, nil
}

func (x *queries) TokenByHash(ctx context.Context, hash string) (*leadflow.Token, error) {
	t, err := scanToken(x.q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash))
	return t, mapErr(err, "token")
}

func (x *queries) Tokens(ctx context.Context) ([]leadflow.Token, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	var out []leadflow.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

func (x *queries) InsertToken(ctx context.Context, t *leadflow.Token) error {
	id, _, err := x.insertID(ctx, `INSERT INTO tokens (name, role, rep_id, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.Name, t.Role, nullInt(t.RepID), t.Hash, ms(t.CreatedAt))
	if err != nil {
		return mapErr(err, "token")
	}
	t.ID = id
	return nil
}

func (x *queries) RevokeToken(ctx context.Context, id int64, at time.Time) error {
	res, err := x.q.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(at), id)
	if err != nil {
		return mapErr(err, "token")
	}
	return expectOne(res, "token")
}

func (x *queries) activeVersion(ctx context.Context) (int, error) {
	b, err := x.Setting(ctx, "scoring.active_version")
	if err != nil || b == nil {
		return 0, err
	}
	var v int
	_, err = fmt.Sscan(string(b), &v)
	return v, err
}

func (x *queries) Model(ctx context.Context, version int) (*leadflow.ModelRecord, error) {
	active, err := x.activeVersion(ctx)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = active
	}
	var m leadflow.ModelRecord
	var body string
	var created int64
	err = x.q.QueryRowContext(ctx, `SELECT version, body, created_at, created_by FROM scoring_models WHERE version = ?`, version).Scan(&m.Version, &body, &created, &m.CreatedBy)
	if err != nil {
		return nil, mapErr(err, "scoring model")
	}
	m.Body, m.CreatedAt, m.Active = []byte(body), fromMS(created), m.Version == active
	return &m, nil
}

func (x *queries) Models(ctx context.Context) ([]leadflow.ModelRecord, error) {
	active, err := x.activeVersion(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := x.q.QueryContext(ctx, `SELECT version, body, created_at, created_by FROM scoring_models ORDER BY version DESC`)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer rows.Close()
	var out []leadflow.ModelRecord
	for rows.Next() {
		var m leadflow.ModelRecord
		var body string
		var created int64
		if err := rows.Scan(&m.Version, &body, &created, &m.CreatedBy); err != nil {
			return nil, err
		}
		m.Body, m.CreatedAt, m.Active = []byte(body), fromMS(created), m.Version == active
		out = append(out, m)
	}
	return out, rows.Err()
}

func (x *queries) InsertModel(ctx context.Context, m *leadflow.ModelRecord) error {
	if err := x.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM scoring_models`).Scan(&m.Version); err != nil {
		return fmt.Errorf("model version: %w", err)
	}
	if _, err := x.q.ExecContext(ctx, `INSERT INTO scoring_models (version, body, created_at, created_by) VALUES (?, ?, ?, ?)`,
		m.Version, string(m.Body), ms(m.CreatedAt), m.CreatedBy); err != nil {
		return mapErr(err, "scoring model")
	}
	m.Active = true
	return x.PutSetting(ctx, "scoring.active_version", fmt.Appendf(nil, "%d", m.Version))
}

func (x *queries) Setting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := x.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, mapErr(err, "setting")
}

func (x *queries) PutSetting(ctx context.Context, key string, value []byte) error {
	_, err := x.q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return mapErr(err, "setting")
}

const jobColumns = `id, model_version, status, total, done, changed, last_lead_id, started_at, finished_at, error`

func scanJob(r rowScanner) (*leadflow.RescoreJob, error) {
	var j leadflow.RescoreJob
	var started int64
	var finished sql.NullInt64
	if err := r.Scan(&j.ID, &j.ModelVersion, &j.Status, &j.Total, &j.Done, &j.Changed, &j.LastLeadID, &started, &finished, &j.Error); err != nil {
		return nil, err
	}
	j.StartedAt = fromMS(started)
	if finished.Valid {
		at := fromMS(finished.Int64)
		j.FinishedAt = &at
	}
	return &j, nil
}

func (x *queries) RescoreJob(ctx context.Context, id int64) (*leadflow.RescoreJob, error) {
	j, err := scanJob(x.q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM rescore_jobs WHERE id = ?`, id))
	return j, mapErr(err, "rescore job")
}

func (x *queries) RescoreJobs(ctx context.Context, limit int) ([]leadflow.RescoreJob, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT `+jobColumns+` FROM rescore_jobs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("rescore jobs: %w", err)
	}
	defer rows.Close()
	var out []leadflow.RescoreJob
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

func (x *queries) InsertRescoreJob(ctx context.Context, j *leadflow.RescoreJob) error {
	id, _, err := x.insertID(ctx, `INSERT INTO rescore_jobs (model_version, status, total, done, changed, last_lead_id, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		j.ModelVersion, j.Status, j.Total, j.Done, j.Changed, j.LastLeadID, ms(j.StartedAt))
	if err != nil {
		return mapErr(err, "rescore job")
	}
	j.ID = id
	return nil
}

func (x *queries) UpdateRescoreJob(ctx context.Context, j *leadflow.RescoreJob) error {
	var finished any
	if j.FinishedAt != nil {
		finished = ms(*j.FinishedAt)
	}
	res, err := x.q.ExecContext(ctx, `UPDATE rescore_jobs SET status = ?, total = ?, done = ?, changed = ?, last_lead_id = ?, finished_at = ?, error = ? WHERE id = ?`,
		j.Status, j.Total, j.Done, j.Changed, j.LastLeadID, finished, j.Error, j.ID)
	if err != nil {
		return mapErr(err, "rescore job")
	}
	return expectOne(res, "rescore job")
}

const webhookColumns = `id, url, secret, event, body, status, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at`

func scanWebhook(r rowScanner) (*leadflow.WebhookDelivery, error) {
	var d leadflow.WebhookDelivery
	var next, created int64
	var delivered sql.NullInt64
	if err := r.Scan(&d.ID, &d.URL, &d.Secret, &d.Event, &d.Body, &d.Status, &d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &delivered); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.CreatedAt = fromMS(next), fromMS(created)
	if delivered.Valid {
		at := fromMS(delivered.Int64)
		d.DeliveredAt = &at
	}
	return &d, nil
}

func (x *queries) webhooks(ctx context.Context, query string, args ...any) ([]leadflow.WebhookDelivery, error) {
	rows, err := x.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	defer rows.Close()
	var out []leadflow.WebhookDelivery
	for rows.Next() {
		d, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

func (x *queries) Webhooks(ctx context.Context, limit int) ([]leadflow.WebhookDelivery, error) {
	return x.webhooks(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id DESC LIMIT ?`, limit)
}

func (x *queries) EnqueueWebhook(ctx context.Context, d *leadflow.WebhookDelivery) error {
	d.Status = leadflow.WebhookPending
	id, _, err := x.insertID(ctx, `INSERT INTO webhooks (url, secret, event, body, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
		d.URL, d.Secret, d.Event, d.Body, d.Status, ms(d.NextAttemptAt), ms(d.CreatedAt))
	if err != nil {
		return mapErr(err, "webhook")
	}
	d.ID = id
	return nil
}

func (x *queries) ClaimWebhooks(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]leadflow.WebhookDelivery, error) {
	// One statement leases the rows; with several nodes, SKIP LOCKED keeps them from leasing the
	// same delivery.
	return x.webhooks(ctx, `UPDATE webhooks SET lease_until = ? WHERE id IN (SELECT id FROM webhooks WHERE status = 'pending'
AND next_attempt_at <= ? AND lease_until <= ? ORDER BY next_attempt_at LIMIT ?`+x.skipLocked()+`) RETURNING `+webhookColumns,
		ms(now.Add(lease)), ms(now), ms(now), limit)
}

func (x *queries) FinishWebhook(ctx context.Context, d leadflow.WebhookDelivery, a leadflow.WebhookAttempt) error {
	if _, err := x.q.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ns) VALUES (?, ?, ?, ?, ?)`,
		d.ID, ms(a.At), a.Status, a.Error, int64(a.Duration)); err != nil {
		return fmt.Errorf("webhook attempt: %w", err)
	}
	var delivered any
	if d.DeliveredAt != nil {
		delivered = ms(*d.DeliveredAt)
	}
	res, err := x.q.ExecContext(ctx, `UPDATE webhooks SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = 0, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?`,
		d.Status, d.Attempts, ms(d.NextAttemptAt), d.LastStatus, d.LastError, delivered, d.ID)
	if err != nil {
		return fmt.Errorf("finish webhook: %w", err)
	}
	return expectOne(res, "webhook")
}

func (x *queries) WebhookAttempts(ctx context.Context, deliveryID int64) ([]leadflow.WebhookAttempt, error) {
	rows, err := x.q.QueryContext(ctx, `SELECT delivery_id, at, status, error, duration_ns FROM webhook_attempts WHERE delivery_id = ? ORDER BY id`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("webhook attempts: %w", err)
	}
	defer rows.Close()
	var out []leadflow.WebhookAttempt
	for rows.Next() {
		var a leadflow.WebhookAttempt
		var at, dur int64
		if err := rows.Scan(&a.DeliveryID, &at, &a.Status, &a.Error, &dur); err != nil {
			return nil, err
		}
		a.At, a.Duration = fromMS(at), time.Duration(dur)
		out = append(out, a)
	}
	return out, rows.Err()
}
