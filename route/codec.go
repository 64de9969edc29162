package route

import (
	"encoding/binary"
	"errors"
	"slices"
)

// rotationFormat is the first byte of the binary encoding, so the format can evolve.
const rotationFormat = 1

// MarshalBinary encodes the rotation compactly: a routing decision stores its rotation in the same
// transaction as the lead, so the state's encoding is on every routed lead's path. Reps appear once,
// in sorted order, with their counters as varints — a few bytes per rep instead of JSON maps.
func (r *Rotation) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(nil)
}

// AppendBinary appends the encoding of MarshalBinary to b (encoding.BinaryAppender), so that a
// caller encoding the same rotation again and again can reuse one buffer.
func (r *Rotation) AppendBinary(b []byte) ([]byte, error) {
	if r.ids == nil {
		r.ids = r.unionIDs()
	}
	return r.encode(b, r.ids), nil
}

// unionIDs returns the sorted ids of every rep the rotation knows.
func (r *Rotation) unionIDs() []string {
	sorted := make([]string, 0, len(r.Counts)+len(r.Epoch.Members))
	for id := range r.Counts {
		sorted = append(sorted, id)
	}
	for _, m := range []map[string]int64{r.Last, r.Held} {
		for id := range m {
			if _, ok := r.Counts[id]; !ok {
				sorted = append(sorted, id)
			}
		}
	}
	for id := range r.Epoch.Members {
		if _, ok := r.Counts[id]; !ok {
			sorted = append(sorted, id)
		}
	}
	slices.Sort(sorted)
	return slices.Compact(sorted)
}

// encode writes the rotation with its reps in the given (sorted) order.
func (r *Rotation) encode(b []byte, sorted []string) []byte {
	b = slices.Grow(b, 16+len(sorted)*24)
	b = append(b, rotationFormat)
	b = binary.AppendVarint(b, r.Assigned)
	b = binary.AppendVarint(b, r.Epoch.Since)
	b = binary.AppendVarint(b, r.Epoch.Scale)
	b = binary.AppendUvarint(b, uint64(len(sorted)))
	for _, id := range sorted {
		b = binary.AppendUvarint(b, uint64(len(id)))
		b = append(b, id...)
		// Which of the maps hold the rep: bit 0 counts, 1 last, 2 held, 3 member.
		var flags byte
		count, hasCount := r.Counts[id]
		last, hasLast := r.Last[id]
		held, hasHeld := r.Held[id]
		mem, isMember := r.Epoch.Members[id]
		if hasCount {
			flags |= 1
		}
		if hasLast {
			flags |= 2
		}
		if hasHeld {
			flags |= 4
		}
		if isMember {
			flags |= 8
		}
		b = append(b, flags)
		if hasCount {
			b = binary.AppendVarint(b, count)
		}
		if hasLast {
			b = binary.AppendVarint(b, last)
		}
		if hasHeld {
			b = binary.AppendVarint(b, held)
		}
		if isMember {
			b = binary.AppendVarint(b, mem.Weight)
			b = binary.AppendVarint(b, mem.Carry)
			b = binary.AppendVarint(b, mem.Count)
		}
	}
	return b
}

var errRotationEncoding = errors.New("route: malformed rotation encoding")

// UnmarshalBinary decodes what MarshalBinary produced.
func (r *Rotation) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] != rotationFormat {
		return errRotationEncoding
	}
	b = b[1:]
	varint := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	*r = Rotation{}
	var ok1, ok2, ok3 bool
	r.Assigned, ok1 = varint()
	r.Epoch.Since, ok2 = varint()
	r.Epoch.Scale, ok3 = varint()
	n, ok4 := uvarint()
	if !ok1 || !ok2 || !ok3 || !ok4 || n > uint64(len(b)) {
		return errRotationEncoding
	}
	ids := make([]string, 0, n)
	for range n {
		l, ok := uvarint()
		if !ok || l > uint64(len(b)) || len(b) < int(l)+1 {
			return errRotationEncoding
		}
		id := string(b[:l])
		flags := b[l]
		if flags != 0 {
			ids = append(ids, id)
		}
		b = b[l+1:]
		for i, dst := range []*map[string]int64{&r.Counts, &r.Last, &r.Held} {
			if flags&(1<<i) == 0 {
				continue
			}
			v, ok := varint()
			if !ok {
				return errRotationEncoding
			}
			if *dst == nil {
				*dst = map[string]int64{}
			}
			(*dst)[id] = v
		}
		if flags&8 != 0 {
			var m Member
			var okW, okC, okN bool
			m.Weight, okW = varint()
			m.Carry, okC = varint()
			m.Count, okN = varint()
			if !okW || !okC || !okN {
				return errRotationEncoding
			}
			if r.Epoch.Members == nil {
				r.Epoch.Members = map[string]Member{}
			}
			r.Epoch.Members[id] = m
		}
	}
	if len(b) != 0 {
		return errRotationEncoding
	}
	if uint64(len(ids)) == n && slices.IsSorted(ids) && len(slices.Compact(slices.Clone(ids))) == len(ids) {
		r.ids = ids // the encoder's own order: MarshalBinary can reuse it
	}
	return nil
}
