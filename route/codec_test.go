package route

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestRotationBinaryRoundTrip: a rotation decoded from its encoding continues exactly like the
// original, after random decisions with changing eligibility (which exercises held deficits and
// epochs).
func TestRotationBinaryRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 9))
	weights := map[string]float64{}
	for i := range 40 {
		weights[fmt.Sprint("rep-", i)] = float64(1 + rnd.IntN(5))
	}
	var a Rotation
	for step := range 3000 {
		away := fmt.Sprint("rep-", rnd.IntN(40))
		eligible := func(id string) bool { return step%7 != 0 || id != away }
		b, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var c Rotation
		if err := c.UnmarshalBinary(b); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if !reflect.DeepEqual(normalize(a), normalize(c)) {
			t.Fatalf("step %d: decoded state differs", step)
		}
		ida, _, errA := a.Next(weights, eligible)
		idc, _, errC := c.Next(weights, eligible)
		if ida != idc || (errA == nil) != (errC == nil) {
			t.Fatalf("step %d: original picked %s, decoded %s", step, ida, idc)
		}
	}
	var bad Rotation
	for _, b := range [][]byte{nil, {9}, {1, 2}, {1, 0, 0, 0, 5, 3, 'a'}} {
		if err := bad.UnmarshalBinary(b); err == nil {
			t.Fatalf("malformed %v accepted", b)
		}
	}
}

// normalize treats nil and empty maps alike.
func normalize(r Rotation) Rotation {
	for _, m := range []*map[string]int64{&r.Counts, &r.Last, &r.Held} {
		if len(*m) == 0 {
			*m = nil
		}
	}
	if len(r.Epoch.Members) == 0 {
		r.Epoch.Members = nil
	}
	return r
}

func BenchmarkRotationCodec500(b *testing.B) {
	r := busyRotation()
	for b.Loop() {
		enc, _ := r.MarshalBinary()
		var d Rotation
		if err := d.UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRotationEncode500(b *testing.B) {
	r := busyRotation()
	for b.Loop() {
		r.MarshalBinary()
	}
}

func BenchmarkRotationJSON500(b *testing.B) {
	r := busyRotation()
	for b.Loop() {
		enc, _ := json.Marshal(r)
		var d Rotation
		json.Unmarshal(enc, &d)
	}
}

// busyRotation is a 500-rep rotation after 2,000 decisions.
func busyRotation() *Rotation {
	weights := map[string]float64{}
	for i := range 500 {
		weights[fmt.Sprint(i)] = float64(1 + i%3)
	}
	var r Rotation
	for range 2000 {
		r.Next(weights, func(string) bool { return true })
	}
	return &r
}
