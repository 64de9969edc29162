package sqlstore

import (
	"context"
	"maps"
	"slices"

	"github.com/leadflow/leadflow"
)

// WriteBehind is the group-commit state of a store with one writer connection that commits many
// callers' writes in one transaction, each inside its own savepoint (SQLite). It does two things
// the writer's position makes safe:
//
//   - Rotation states (one row per routing rule, rewritten by every routing decision, S-DIST-2)
//     are held back and written once per group commit, just before COMMIT, instead of once per
//     routed lead. A write's states become the group's when the write succeeds and are dropped
//     with its savepoint when it fails; reads inside the transaction see them.
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
}

// NewWriteBehind returns an empty WriteBehind.
func NewWriteBehind() *WriteBehind {
	return &WriteBehind{epoch: 1, rotations: map[string][]byte{}, staged: map[string][]byte{}}
}

// Tx returns the store's queries on the writer connection q, with rotation writes held back.
func (w *WriteBehind) Tx(q Querier, d *Dialect) leadflow.Tx {
	w.tx = &queries{q: rebinder{q: q, d: d}, d: d, write: true, wb: w}
	return w.tx
}

// Done ends the running write: its held-back states join the group's when ok, or are dropped
// (and the epoch moves on) when its savepoint was rolled back.
func (w *WriteBehind) Done(ok bool) {
	if ok {
		for k, v := range w.staged {
			if old, ok := w.rotations[k]; ok && len(w.free) < maxFree {
				w.free = append(w.free, old)
			}
			w.rotations[k] = v
		}
	} else {
		w.epoch++
		for _, v := range w.staged {
			if len(w.free) < maxFree {
				w.free = append(w.free, v)
			}
		}
	}
	clear(w.staged)
}

// Flush writes the group's held-back states, through the queries Tx returned, before COMMIT.
func (w *WriteBehind) Flush(ctx context.Context) error {
	for _, k := range slices.Sorted(maps.Keys(w.rotations)) {
		if err := w.tx.putRotation(ctx, k, w.rotations[k]); err != nil {
			return err
		}
		if len(w.free) < maxFree {
			w.free = append(w.free, w.rotations[k])
		}
	}
	clear(w.rotations)
	return nil
}

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
	w.epoch++
}

// Invalidate moves the epoch on, e.g. when another connection committed to the database.
func (w *WriteBehind) Invalidate() { w.epoch++ }

func (w *WriteBehind) rotation(key string) ([]byte, bool) {
	if v, ok := w.staged[key]; ok {
		return v, true
	}
	v, ok := w.rotations[key]
	return v, ok
}
