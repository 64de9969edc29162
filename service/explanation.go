package service

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/leadflow/leadflow/route"
)

// The stored form of a routing explanation (S-DIST-11) is compact: every routed lead writes one,
// inside the transaction that routes it, so its size and the time to encode it are part of what
// routing adds to ingest. It keeps every figure of RoutingExplanation but leaves out what the
// read side can restore: rep names (filled in from the reps when read), the totals of an
// untruncated candidate list (counted again) and a summary that summarize derives from the rest.
// Candidates are positional arrays, written by hand without reflection:
//
//	{"v":2,"rule":"…","rule_name":"…","method":"…","weights":"…","summary":"…","truncated":true,
//	 "totals":{…},"c":[cand…],"skipped":[{"rule_id":"…","c":[cand…]}],"pick":{route.Pick}}
//	cand = [rep_id, eligible (0|1), excluded, detail, weight, share, count, deficit(, spare)]
//
// Explanations stored before this form (without "v") are read back unchanged.
const explanationVersion = 2

// encodeExplanation appends the stored form of ex to b. keepSummary stores ex.Summary; without it
// the summary is derived again when read (see summarize).
func encodeExplanation(b []byte, ex *RoutingExplanation, keepSummary bool) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, explanationVersion, 10)
	b = appendField(b, "rule", ex.RuleID)
	if ex.RuleName != "" {
		b = appendField(b, "rule_name", ex.RuleName)
	}
	b = appendField(b, "method", ex.Method)
	if ex.Weights != "" {
		b = appendField(b, "weights", ex.Weights)
	}
	if keepSummary || ex.Truncated {
		b = appendField(b, "summary", ex.Summary)
	}
	if ex.Truncated {
		b = append(b, `,"truncated":true,"totals":{`...)
		first := true
		for _, k := range slices.Sorted(maps.Keys(ex.Totals)) {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(ex.Totals[k]), 10)
		}
		b = append(b, '}')
	}
	b = append(b, `,"c":`...)
	b = appendCandidates(b, ex.Candidates)
	if len(ex.Skipped) > 0 {
		b = append(b, `,"skipped":[`...)
		for i, t := range ex.Skipped {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"rule_id":`...)
			b = appendString(b, t.RuleID)
			b = append(b, `,"c":`...)
			b = appendCandidates(b, t.Candidates)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if p := ex.Pick; p != nil {
		b = append(b, `,"pick":{"rep":`...)
		b = appendString(b, p.Rep)
		b = append(b, `,"lead":`...)
		b = strconv.AppendInt(b, p.Lead, 10)
		b = appendField(b, "reason", p.Reason)
		b = append(b, `,"winner":`...)
		b = appendPickCandidate(b, &p.Winner)
		b = append(b, `,"runner_up":`...)
		b = appendPickCandidate(b, &p.RunnerUp)
		b = append(b, `,"candidates":`...)
		b = strconv.AppendInt(b, int64(p.Candidates), 10)
		b = append(b, `,"skipped":`...)
		b = strconv.AppendInt(b, int64(p.Skipped), 10)
		b = append(b, `,"rebased":`...)
		b = strconv.AppendBool(b, p.Rebased)
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendCandidates(b []byte, cs []RepDecision) []byte {
	b = append(b, '[')
	for i := range cs {
		d := &cs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, d.RepID, 10)
		if d.Eligible {
			b = append(b, ",1,"...)
		} else {
			b = append(b, ",0,"...)
		}
		b = appendString(b, d.Excluded)
		b = append(b, ',')
		b = appendString(b, d.Detail)
		b = append(b, ',')
		b = appendFloat(b, d.Weight)
		b = append(b, ',')
		b = appendFloat(b, d.Share)
		b = append(b, ',')
		b = strconv.AppendInt(b, d.Count, 10)
		b = append(b, ',')
		b = appendFloat(b, d.Deficit)
		if d.Spare != nil {
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(*d.Spare), 10)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendPickCandidate writes c as encoding/json would (the same keys and omitempty rules).
func appendPickCandidate(b []byte, c *route.Candidate) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, c.ID)
	b = append(b, `,"weight":`...)
	b = appendFloat(b, c.Weight)
	b = append(b, `,"eligible":`...)
	b = strconv.AppendBool(b, c.Eligible)
	if c.Share != 0 {
		b = append(b, `,"share":`...)
		b = appendFloat(b, c.Share)
	}
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, c.Count, 10)
	b = append(b, `,"deficit":`...)
	b = appendFloat(b, c.Deficit)
	if c.Due != 0 {
		b = append(b, `,"due":`...)
		b = appendFloat(b, c.Due)
	}
	if c.Deadline != 0 {
		b = append(b, `,"deadline":`...)
		b = appendFloat(b, c.Deadline)
	}
	if c.Released {
		b = append(b, `,"released":true`...)
	}
	if c.LastLead != 0 {
		b = append(b, `,"last_lead":`...)
		b = strconv.AppendInt(b, c.LastLead, 10)
	}
	return append(b, '}')
}

func appendField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendString writes s as a JSON string: plain ASCII directly, anything else through
// encoding/json's escaping.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFloat writes f exactly as encoding/json would read it back. Figures with at most six
// decimals (weights and the rounded shares and deficits of candidates) take a fixed-point path
// several times faster than the shortest-form conversion; JSON has no NaN or infinities.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	if m := math.Round(f * 1e6); math.Abs(m) < 1e15 && m/1e6 == f && !math.Signbit(m) == (f >= 0) {
		u := int64(m)
		if u < 0 {
			b, u = append(b, '-'), -u
		}
		b = strconv.AppendInt(b, u/1e6, 10)
		if frac := u % 1e6; frac != 0 {
			digits := 6
			for frac%10 == 0 {
				frac, digits = frac/10, digits-1
			}
			b = append(b, '.')
			for v := frac * 10; v < pow10[digits]; v *= 10 { // the fraction's leading zeros
				b = append(b, '0')
			}
			b = strconv.AppendInt(b, frac, 10)
		}
		return b
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

var pow10 = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000}

// storedExplanation is the stored form as read back.
type storedExplanation struct {
	V         int               `json:"v"`
	RuleID    string            `json:"rule"`
	RuleName  string            `json:"rule_name"`
	Method    string            `json:"method"`
	Weights   string            `json:"weights"`
	Summary   *string           `json:"summary"`
	Truncated bool              `json:"truncated"`
	Totals    map[string]int    `json:"totals"`
	C         []storedCandidate `json:"c"`
	Skipped   []struct {
		RuleID string            `json:"rule_id"`
		C      []storedCandidate `json:"c"`
	} `json:"skipped"`
	Pick *route.Pick `json:"pick"`
}

// storedCandidate is one positional candidate array.
type storedCandidate struct{ RepDecision }

func (c *storedCandidate) UnmarshalJSON(b []byte) error {
	var f []json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if len(f) < 8 {
		return fmt.Errorf("explanation candidate: %d fields, want at least 8", len(f))
	}
	var eligible int
	d := &c.RepDecision
	for i, dst := range []any{&d.RepID, &eligible, &d.Excluded, &d.Detail, &d.Weight, &d.Share, &d.Count, &d.Deficit} {
		if err := json.Unmarshal(f[i], dst); err != nil {
			return fmt.Errorf("explanation candidate field %d: %w", i, err)
		}
	}
	d.Eligible = eligible == 1
	if len(f) > 8 {
		d.Spare = new(int)
		if err := json.Unmarshal(f[8], d.Spare); err != nil {
			return fmt.Errorf("explanation candidate spare: %w", err)
		}
	}
	return nil
}

// decodeExplanation restores the API form of a stored explanation of an assignment to winner,
// naming reps with name. A body not in the compact form is returned unchanged.
func decodeExplanation(body []byte, winner int64, name func(int64) string) (json.RawMessage, error) {
	var st storedExplanation
	if err := json.Unmarshal(body, &st); err != nil || st.V != explanationVersion {
		return body, nil //nolint:nilerr // an older explanation is kept as it was stored
	}
	restore := func(cs []storedCandidate) []RepDecision {
		out := make([]RepDecision, len(cs))
		for i, c := range cs {
			out[i] = c.RepDecision
			out[i].Name = name(c.RepID)
		}
		return out
	}
	ex := &RoutingExplanation{RuleID: st.RuleID, RuleName: st.RuleName, Method: st.Method, Weights: st.Weights,
		Candidates: restore(st.C), Totals: st.Totals, Truncated: st.Truncated, Pick: st.Pick}
	for _, t := range st.Skipped {
		ex.Skipped = append(ex.Skipped, RuleTry{RuleID: t.RuleID, Candidates: restore(t.C)})
	}
	if ex.Totals == nil {
		ex.Totals = candidateTotals(ex.Candidates)
	}
	if st.Summary != nil {
		ex.Summary = *st.Summary
	} else {
		ex.Summary = summarize(ex, winner)
	}
	return json.Marshal(ex)
}
