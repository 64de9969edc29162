package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow"
)

// WriteBehind is the group-commit state of a store with one writer connection that commits many
// callers' writes in one transaction, each inside its own savepoint (SQLite). It does what the
// writer's position makes safe:
//
//   - Rotation states (one row per routing rule, rewritten by every routing decision, S-DIST-2)
//     are held back and written once per group commit, just before COMMIT, instead of once per
//     routed lead. A write's states become the group's when the write succeeds and are dropped
//     with its savepoint when it fails; reads inside the transaction see them.
//   - Assignments (one row per routed lead, S-DIST-11) are held back too and written many to a
//     statement: at the group commit, or before the next statement of the transaction that uses
//     the assignments table, so that reads inside the transaction see them. Their ids are given
//     when they are held (the writer is the only one handing them out).
//   - A lead's owner entry that records a held-back assignment and says nothing else (a new
//     owner where there was none: see keeper) is not written as a history row: the
//     assignment keeps its id (history_id), and History reads it back from there. History rows
//     written here take their ids from the writer, so that those kept entries take theirs from
//     the same sequence; the group commit moves the table's sequence past them.
//   - Where assignments are found by their hour (Dialect.AssignmentHours), it marks the hour of
//     the assignments it writes in assignment_hours (once an hour, while nothing is undone),
//     closing the hours it moved on from, and
//     keeps the counts per rep of the assignments since a time (caps, S-DIST-9) up to date as it
//     holds new ones, instead of counting them again for every routing decision.
//   - Where owners are merged (Dialect.MergedOwners), it merges the owners of the leads created
//     since the last merge into lead_owners once every ownerMergeEvery new leads, in the group
//     commit that reaches that count: one page per rep for hundreds of leads.
//   - It numbers write epochs (see leadflow.Tx.WriteEpoch): the number changes whenever a write
//     of this connection was undone or another connection may have written, so state cached in
//     memory beside the database stays valid while the number holds.
//
// Only the writer goroutine uses it.
type WriteBehind struct {
	epoch     uint64
	rotations map[string][]byte // written by finished writes of the current group commit
	staged    map[string][]byte // written by the write running now
	free      [][]byte          // buffers of states replaced or flushed, for reuse
	tx        *queries          // the writer's queries (see Tx)
	raw       Querier           // the writer connection without the flushing in front of it

	// assignments of the group commit: [:flushed] are in the database (inside the transaction),
	// [ownFrom:] belong to the running write, which began when flushed was flushedBefore.
	assignments   []heldAssignment
	flushed       int
	ownFrom       int
	flushedBefore int
	nextID        int64  // the next assignment id; 0 until read from the database
	texts         []byte // the held-back assignments' explanations, end to end (reused)
	args          []any  // a flush's statement arguments (reused)
	err           error  // a flush that failed before a read: the group cannot commit

	nextHistoryID int64   // the next history entry id; 0 until read from the database
	keptHistory   int64   // the highest history id kept with an assignment in this group, or 0
	historyIDs    []int64 // an append's row ids (reused)
	historyRows   []leadflow.HistoryEntry

	markedHour  int64       // the hour last marked in assignment_hours, valid in markedEpoch
	markedEpoch uint64      // (0: none)
	counts      []repCounts // assignment counts per rep since a time (see assignmentCounts)

	newLeads      int             // leads created since the last owner merge (an estimate: see Flush)
	ownersCounted bool            // newLeads includes the leads found unmerged in the database
	mentions      map[string]bool // statement → whether it uses the assignments table (see usesAssignments)
}

// NewWriteBehind returns an empty WriteBehind.
func NewWriteBehind() *WriteBehind {
	return &WriteBehind{epoch: 1, rotations: map[string][]byte{}, staged: map[string][]byte{}}
}

// Tx returns the store's queries on the writer connection q, with rotation and assignment
// writes held back.
func (w *WriteBehind) Tx(q Querier, d *Dialect) leadflow.Tx {
	w.raw = rebinder{q: q, d: d}
	w.tx = &queries{q: rebinder{q: flushing{q: q, w: w}, d: d}, d: d, write: true, wb: w}
	return w.tx
}

// Done ends the running write: its held-back states join the group's when ok, or are dropped
// (and the epoch moves on) when its savepoint was rolled back.
func (w *WriteBehind) Done(ok bool) {
	if ok {
		w.ownFrom = len(w.assignments)
		for k, v := range w.staged {
			if old, ok := w.rotations[k]; ok && len(w.free) < maxFree {
				w.free = append(w.free, old)
			}
			w.rotations[k] = v
		}
	} else {
		// The savepoint's rollback also undid what was flushed during the write, the group's
		// earlier assignments included: those are written again, the write's own are dropped.
		clear(w.assignments[w.ownFrom:])
		w.assignments = w.assignments[:w.ownFrom]
		w.flushed = w.flushedBefore
		w.epoch++
		for _, v := range w.staged {
			if len(w.free) < maxFree {
				w.free = append(w.free, v)
			}
		}
	}
	clear(w.staged)
	w.flushedBefore = w.flushed
}

// Flush writes the group's held-back states, through the queries Tx returned, before COMMIT.
func (w *WriteBehind) Flush(ctx context.Context) error {
	if err := w.flushAssignments(ctx, true); err != nil {
		return err
	}
	if w.err != nil {
		return w.err
	}
	w.resetAssignments()
	if err := w.advanceHistorySequence(ctx); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(w.rotations)) {
		if err := w.tx.putRotation(ctx, k, w.rotations[k]); err != nil {
			return err
		}
		if len(w.free) < maxFree {
			w.free = append(w.free, w.rotations[k])
		}
	}
	clear(w.rotations)
	if w.tx.d.MergedOwners {
		return w.mergeOwnersWhenDue(ctx)
	}
	return nil
}

// mergeOwnersWhenDue merges the new leads' owners into lead_owners once ownerMergeEvery leads
// wait for it.
func (w *WriteBehind) mergeOwnersWhenDue(ctx context.Context) error {
	if !w.ownersCounted {
		// Leads other processes left unmerged (a command that created a few and exited, or a
		// writer before a restart) count too, or they could pile up for every rep's list to scan.
		var unmerged int
		if err := w.raw.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(id) FROM leads), 0) - (SELECT lead_id FROM lead_owners_upto)`).Scan(&unmerged); err != nil {
			return fmt.Errorf("lead owners: %w", err)
		}
		w.newLeads, w.ownersCounted = max(w.newLeads, unmerged), true
	}
	if w.newLeads >= ownerMergeEvery {
		// The count only says when: the merge itself goes from the stored merge point, so leads
		// of a rolled-back group or of another connection are merged all the same.
		if err := w.mergeOwners(ctx); err != nil {
			return err
		}
		w.newLeads = 0
	}
	return nil
}

// ownerMergeEvery is how many new leads wait for an owner merge: what a rep's list scans beyond
// lead_owners, and what one merge inserts.
const ownerMergeEvery = 512

// mergeOwners adds the owners of the leads newer than the merge point to lead_owners and moves
// the point to the newest lead (never back: AUTOINCREMENT ids only grow).
func (w *WriteBehind) mergeOwners(ctx context.Context) error {
	if _, err := w.raw.ExecContext(ctx, `INSERT OR IGNORE INTO lead_owners (owner_id, lead_id)
SELECT owner_id, id FROM leads WHERE id > (SELECT lead_id FROM lead_owners_upto) AND owner_id IS NOT NULL`); err != nil {
		return fmt.Errorf("merge lead owners: %w", err)
	}
	if _, err := w.raw.ExecContext(ctx, `UPDATE lead_owners_upto SET lead_id = MAX(lead_id, (SELECT COALESCE(MAX(id), 0) FROM leads))`); err != nil {
		return fmt.Errorf("merge lead owners: %w", err)
	}
	return nil
}

// leadCreated counts a lead toward the next owner merge.
func (w *WriteBehind) leadCreated() { w.newLeads++ }

// maxFree bounds the buffers kept for reuse.
const maxFree = 64

// hold keeps a copy of a state written by the running write, in a reused buffer.
func (w *WriteBehind) hold(key string, state []byte) {
	var buf []byte
	if old, ok := w.staged[key]; ok {
		buf = old
	} else if n := len(w.free); n > 0 {
		buf, w.free = w.free[n-1], w.free[:n-1]
	}
	w.staged[key] = append(buf[:0], state...)
}

// Discard drops everything held back after the group's transaction rolled back, and moves the
// epoch on: nothing of the group was stored.
func (w *WriteBehind) Discard() {
	clear(w.rotations)
	clear(w.staged)
	w.resetAssignments()
	w.nextID, w.nextHistoryID, w.keptHistory = 0, 0, 0
	w.epoch++
}

// Invalidate moves the epoch on, e.g. when another connection committed to the database.
func (w *WriteBehind) Invalidate() {
	w.nextID, w.nextHistoryID = 0, 0
	w.ownersCounted = false
	w.epoch++
}

func (w *WriteBehind) resetAssignments() {
	clear(w.assignments)
	w.assignments, w.texts = w.assignments[:0], w.texts[:0]
	w.flushed, w.ownFrom, w.flushedBefore, w.err = 0, 0, 0, nil
}

// holdAssignment gives a its id and holds a copy of it back.
func (w *WriteBehind) holdAssignment(ctx context.Context, a *leadflow.Assignment) error {
	if w.nextID == 0 {
		// AUTOINCREMENT's promise: an id is never used twice, even one whose row was deleted.
		if err := w.raw.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'assignments'), 0),
COALESCE((SELECT MAX(id) FROM assignments), 0)) + 1`).Scan(&w.nextID); err != nil {
			return fmt.Errorf("assignment id: %w", err)
		}
	}
	a.ID = w.nextID
	w.nextID++
	at := ms(a.At)
	for i := range w.counts {
		if c := &w.counts[i]; c.epoch == w.epoch && at >= c.since {
			c.byRep[a.RepID]++ // undone with the epoch if the write fails
		}
	}
	// The caller reuses its buffer: the explanation is copied to the group's own. A copy that
	// outgrows it moves on to a larger one; those held before keep the old.
	held := heldAssignment{Assignment: *a}
	start := len(w.texts)
	w.texts = append(w.texts, a.Explanation...)
	held.Explanation = w.texts[start:len(w.texts):len(w.texts)]
	w.assignments = append(w.assignments, held)
	return nil
}

// markHours marks the hours of rows, just written in id order, in assignment_hours.
func (w *WriteBehind) markHours(ctx context.Context, rows []heldAssignment) error {
	for i := range rows {
		hour := hourOf(ms(rows[i].At))
		if w.markedEpoch == w.epoch && hour == w.markedHour {
			continue
		}
		if err := markHour(ctx, w.raw, hour, rows[i].ID); err != nil {
			return err
		}
		if err := closeHours(ctx, w.raw, hour, rows[i].ID); err != nil {
			return err
		}
		// Marked in this epoch: while it holds, nothing undid the mark (see Done).
		w.markedHour, w.markedEpoch = hour, w.epoch
	}
	return nil
}

// repCounts are the assignments per rep made at or after since (ms), counted in epoch and kept
// up to date since by holdAssignment.
type repCounts struct {
	since int64
	epoch uint64
	byRep map[int64]int64
}

// maxCounts bounds the times assignment counts are kept for (a cap's day or week in a few time
// zones).
const maxCounts = 8

// assignmentCounts returns the assignment counts per rep since since (ms), from those kept while
// the epoch holds, else from count, which are then kept. The caller gets its own copy.
func (w *WriteBehind) assignmentCounts(since int64, count func() (map[int64]int64, error)) (map[int64]int64, error) {
	for i := range w.counts {
		if c := &w.counts[i]; c.since == since && c.epoch == w.epoch {
			return maps.Clone(c.byRep), nil
		}
	}
	byRep, err := count()
	if err != nil {
		return nil, err
	}
	if byRep == nil {
		byRep = map[int64]int64{}
	}
	w.counts = slices.DeleteFunc(w.counts, func(c repCounts) bool { return c.since == since || c.epoch != w.epoch })
	if len(w.counts) >= maxCounts {
		w.counts = w.counts[1:]
	}
	w.counts = append(w.counts, repCounts{since: since, epoch: w.epoch, byRep: maps.Clone(byRep)})
	return byRep, nil
}

// heldAssignment is an assignment held back, with the id of the history entry it keeps (0 for
// none).
type heldAssignment struct {
	leadflow.Assignment
	historyID int64
}

// appendHistory writes a write's history entries, each with the next id of the writer's history
// sequence, except the owner entries a held-back assignment of the write keeps (see keeper).
func (w *WriteBehind) appendHistory(ctx context.Context, entries []leadflow.HistoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if w.nextHistoryID == 0 {
		// Kept entries' ids are at most the sequence (see advanceHistorySequence).
		if err := w.raw.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'lead_history'), 0),
COALESCE((SELECT MAX(id) FROM lead_history), 0)) + 1`).Scan(&w.nextHistoryID); err != nil {
			return fmt.Errorf("history id: %w", err)
		}
	}
	rows, ids := w.historyRows[:0], w.historyIDs[:0]
	for i := range entries {
		id := w.nextHistoryID
		w.nextHistoryID++
		if a := w.keeper(&entries[i]); a != nil {
			a.historyID = id
			w.keptHistory = id
			continue
		}
		rows, ids = append(rows, entries[i]), append(ids, id)
	}
	err := w.tx.insertHistory(ctx, rows, ids)
	clear(rows)
	w.historyRows, w.historyIDs = rows, ids
	return err
}

// keptOwnerField is the field of the owner entries an assignment keeps (see History).
const keptOwnerField = "owner"

// keeper returns the held-back assignment of the running write that keeps entry h, or nil when h
// must be a row of its own: it is kept only when the assignment restores every field of it (see
// queries.History), and only while the assignment is not yet written.
func (w *WriteBehind) keeper(h *leadflow.HistoryEntry) *heldAssignment {
	if h.AssignmentID == 0 || h.Kind != leadflow.HistoryOwner || h.Field != keptOwnerField || h.Old != "" || h.Reason != "" || h.ModelVersion != 0 {
		return nil
	}
	for i := len(w.assignments) - 1; i >= max(w.flushed, w.ownFrom); i-- {
		a := &w.assignments[i]
		if a.ID != h.AssignmentID {
			continue
		}
		if a.historyID == 0 && a.LeadID == h.LeadID && ms(a.At) == ms(h.At) && a.Actor == h.Actor && h.New == strconv.FormatInt(a.RepID, 10) {
			return a
		}
		return nil
	}
	return nil
}

// advanceHistorySequence moves lead_history's sequence past the entries the group keeps with
// assignments, so that no other writer of the database (another process) hands their ids out
// again: the rows written with explicit ids move it themselves.
func (w *WriteBehind) advanceHistorySequence(ctx context.Context) error {
	kept := w.keptHistory
	w.keptHistory = 0
	if kept == 0 {
		return nil
	}
	res, err := w.raw.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'lead_history'`, kept)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			_, err = w.raw.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES ('lead_history', ?)`, kept)
		}
	}
	if err != nil {
		return fmt.Errorf("history sequence: %w", err)
	}
	return nil
}

// flushAssignments writes the held-back assignments not yet written, up to
// maxAssignmentsPerInsert to an INSERT (one prepared statement per row count). At the group commit (last) a failed INSERT
// rolls the whole transaction back, as the failed commit will anyway: SQLite then needs no
// statement journal, the copy of every page the statement touches that lets it undo only itself.
// Inside a write it must stay undoable alone.
func (w *WriteBehind) flushAssignments(ctx context.Context, last bool) error {
	for w.flushed < len(w.assignments) {
		n := min(len(w.assignments)-w.flushed, maxAssignmentsPerInsert)
		rows := w.assignments[w.flushed : w.flushed+n]
		args := w.args[:0]
		for i := range rows {
			a := &rows[i]
			args = append(args, a.ID, nullInt(a.LeadID), a.RepID, a.RuleID, a.Method, ms(a.At), a.Actor, a.Reason, string(a.Explanation), flag(a.Pool), nullInt(a.historyID))
		}
		_, err := w.raw.ExecContext(ctx, insertAssignments(n, last), args...)
		clear(args)
		w.args = args
		if err != nil {
			return mapErr(err, "assignment")
		}
		if w.tx.d.AssignmentHours {
			if err := w.markHours(ctx, rows); err != nil {
				return err
			}
		}
		w.flushed += n
	}
	return nil
}

// Held-back assignments are written up to maxAssignmentsPerInsert to a statement.
const maxAssignmentsPerInsert = 64

// insertAssignments is the INSERT of n assignments with their ids; last picks the form that
// rolls the transaction back on a conflict (see flushAssignments).
func insertAssignments(n int, last bool) string {
	if last {
		return insertAssignmentsByRows[1][n]
	}
	return insertAssignmentsByRows[0][n]
}

var insertAssignmentsByRows = func() (out [2][maxAssignmentsPerInsert + 1]string) {
	for n := 1; n <= maxAssignmentsPerInsert; n++ {
		values := ` INTO assignments (id, lead_id, rep_id, rule_id, method, at, actor, reason, explanation, pool, history_id) VALUES ` +
			strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),`, n), ",")
		out[0][n], out[1][n] = `INSERT`+values, `INSERT OR ROLLBACK`+values
	}
	return out
}()

// flushing is the writer connection as the held-back writes' queries see it: a statement that
// uses the assignments table first writes the assignments held back.
type flushing struct {
	q Querier
	w *WriteBehind
}

func (f flushing) before(ctx context.Context, q string) error {
	if f.w.flushed == len(f.w.assignments) || !f.w.usesAssignments(q) {
		return nil
	}
	if err := f.w.flushAssignments(ctx, false); err != nil {
		f.w.err = err
		return err
	}
	return nil
}

func (f flushing) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := f.before(ctx, q); err != nil {
		return nil, err
	}
	return f.q.ExecContext(ctx, q, args...)
}

func (f flushing) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := f.before(ctx, q); err != nil {
		return nil, err
	}
	return f.q.QueryContext(ctx, q, args...)
}

// QueryRowContext cannot report a failed flush itself: the group commit fails with it instead.
func (f flushing) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	_ = f.before(ctx, q)
	return f.q.QueryRowContext(ctx, q, args...)
}

// usesAssignments reports whether statement q mentions the assignments table, remembering the
// answer for the statements a store runs again and again (a map lookup is a fraction of a search
// through the text, and this runs before every statement while assignments are held back).
func (w *WriteBehind) usesAssignments(q string) bool {
	uses, ok := w.mentions[q]
	if !ok {
		uses = strings.Contains(q, "assignments")
		if len(w.mentions) < maxMentions {
			if w.mentions == nil {
				w.mentions = make(map[string]bool)
			}
			w.mentions[q] = uses
		}
	}
	return uses
}

// maxMentions bounds the statements usesAssignments remembers (statements with lists of ids
// inlined are each new).
const maxMentions = 1024

func (w *WriteBehind) rotation(key string) ([]byte, bool) {
	if v, ok := w.staged[key]; ok {
		return v, true
	}
	v, ok := w.rotations[key]
	return v, ok
}
