package route

import (
	"encoding/binary"
	"encoding/json"
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
	r.sorted()
	b = slices.Grow(b, 16+len(r.ids)*24)
	b = append(b, rotationFormat)
	b = binary.AppendVarint(b, r.Assigned)
	b = binary.AppendVarint(b, r.since)
	b = binary.AppendVarint(b, r.scale)
	b = binary.AppendUvarint(b, uint64(len(r.ids)))
	for i, id := range r.ids {
		st := r.states[i]
		b = binary.AppendUvarint(b, uint64(len(id)))
		b = append(b, id...)
		// What the rep has: bit 0 a count, 1 a last lead, 2 a held deficit, 3 a place in the epoch.
		var flags byte
		if st.count != 0 {
			flags |= 1
		}
		if st.last != 0 {
			flags |= 2
		}
		if st.held != 0 {
			flags |= 4
		}
		if st.member {
			flags |= 8
		}
		b = append(b, flags)
		if st.count != 0 {
			b = binary.AppendVarint(b, st.count)
		}
		if st.last != 0 {
			b = binary.AppendVarint(b, st.last)
		}
		if st.held != 0 {
			b = binary.AppendVarint(b, st.held)
		}
		if st.member {
			b = binary.AppendVarint(b, st.m.Weight)
			b = binary.AppendVarint(b, st.m.Carry)
			b = binary.AppendVarint(b, st.m.Count)
		}
	}
	return b, nil
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
	r.since, ok2 = varint()
	r.scale, ok3 = varint()
	n, ok4 := uvarint()
	if !ok1 || !ok2 || !ok3 || !ok4 || n > uint64(len(b)) {
		return errRotationEncoding
	}
	r.reps = make(map[string]*repState, n)
	ids := make([]string, 0, n)
	for range n {
		l, ok := uvarint()
		if !ok || l > uint64(len(b)) || len(b) < int(l)+1 {
			return errRotationEncoding
		}
		id := string(b[:l])
		flags := b[l]
		b = b[l+1:]
		st := &repState{}
		for i, dst := range []*int64{&st.count, &st.last, &st.held} {
			if flags&(1<<i) == 0 {
				continue
			}
			v, ok := varint()
			if !ok {
				return errRotationEncoding
			}
			*dst = v
		}
		if flags&8 != 0 {
			var okW, okC, okN bool
			st.member = true
			st.m.Weight, okW = varint()
			st.m.Carry, okC = varint()
			st.m.Count, okN = varint()
			if !okW || !okC || !okN {
				return errRotationEncoding
			}
			r.nMembers++
		}
		if st.known() {
			if _, dup := r.reps[id]; dup {
				return errRotationEncoding
			}
			r.reps[id] = st
			ids = append(ids, id)
		}
	}
	if len(b) != 0 {
		return errRotationEncoding
	}
	if slices.IsSorted(ids) { // the encoder's own order: AppendBinary can reuse it
		r.ids = ids
		r.states = make([]*repState, len(ids))
		for i, id := range ids {
			r.states[i] = r.reps[id]
		}
	}
	return nil
}

// rotationJSON is the JSON form of a Rotation: its counters by rep, as maps.
type rotationJSON struct {
	Assigned int64            `json:"assigned"`
	Counts   map[string]int64 `json:"counts,omitempty"` // leads assigned to each rep
	Last     map[string]int64 `json:"last,omitempty"`   // Assigned right after each rep's latest lead
	Held     map[string]int64 `json:"held,omitempty"`   // frozen deficits of reps outside the epoch, in 10⁻⁹ lead
	Epoch    Epoch            `json:"epoch"`
}

// MarshalJSON writes the rotation as readable maps (the store keeps the binary form).
func (r *Rotation) MarshalJSON() ([]byte, error) {
	out := rotationJSON{Assigned: r.Assigned, Epoch: Epoch{Since: r.since, Scale: r.scale}}
	put := func(m *map[string]int64, id string, v int64) {
		if v == 0 {
			return
		}
		if *m == nil {
			*m = map[string]int64{}
		}
		(*m)[id] = v
	}
	for id, st := range r.reps {
		put(&out.Counts, id, st.count)
		put(&out.Last, id, st.last)
		put(&out.Held, id, st.held)
		if st.member {
			if out.Epoch.Members == nil {
				out.Epoch.Members = map[string]Member{}
			}
			out.Epoch.Members[id] = st.m
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Rotation) UnmarshalJSON(b []byte) error {
	var in rotationJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*r = Rotation{Assigned: in.Assigned, since: in.Epoch.Since, scale: in.Epoch.Scale}
	for id, v := range in.Counts {
		r.state(id).count = v
	}
	for id, v := range in.Last {
		r.state(id).last = v
	}
	for id, v := range in.Held {
		r.state(id).held = v
	}
	for id, m := range in.Epoch.Members {
		st := r.state(id)
		st.member, st.m = true, m
		r.nMembers++
	}
	return nil
}
