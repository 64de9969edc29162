package route

import (
	"crypto/sha256"
	"encoding/hex"
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
		if !reflect.DeepEqual(asJSON(t, &a), asJSON(t, &c)) {
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

// asJSON is the rotation's JSON form, as a comparable value.
func asJSON(t *testing.T, r *Rotation) any {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
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

// TestRotationGolden pins the rotation's behaviour: 20,000 decisions over 30 reps with weight
// changes, boosts, departures, binary round trips and absences must give the very picks,
// explanations and encodings recorded when the rotation kept its state in four maps (before it
// kept one record per rep). A change to the algorithm or the format must change this on purpose.
func TestRotationGolden(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 13))
	weights := map[string]float64{}
	for i := range 30 {
		weights[fmt.Sprint("rep-", i)] = float64(rnd.IntN(5)) * 0.7
	}
	h := sha256.New()
	var r Rotation
	var dst []Candidate
	for step := range 20000 {
		switch rnd.IntN(50) {
		case 0:
			weights[fmt.Sprint("rep-", rnd.IntN(35))] = float64(rnd.IntN(4))
		case 1:
			if err := r.Boost(fmt.Sprint("rep-", rnd.IntN(35)), float64(rnd.IntN(5))-2); err != nil {
				t.Fatal(err)
			}
		case 2:
			r.Forget(fmt.Sprint("rep-", rnd.IntN(35)))
		case 3:
			b, _ := r.MarshalBinary()
			var c Rotation
			if err := c.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			r = c
		}
		away := fmt.Sprint("rep-", rnd.IntN(30))
		eligible := func(id string) bool { return step%5 != 0 || id != away }
		id, p, d, err := r.NextExplained(weights, eligible, dst[:0])
		dst = d
		b, _ := r.MarshalBinary()
		fmt.Fprintf(h, "%d %s %v %+v %+v %s\n", step, id, err, p, d, hex.EncodeToString(b))
	}
	const want = "6c54f820ca61b8ce35e48773bb6708b659dd43b87c9e7357f05b910584f0fe63"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("the rotation decides or encodes differently: digest %s, want %s", got, want)
	}
}
