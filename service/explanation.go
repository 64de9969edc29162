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
// routing adds to ingest (each stored byte is written twice, to the log and at the checkpoint).
// It keeps every figure of RoutingExplanation but leaves out what the read side restores exactly:
// rep names (from the reps when read), the totals of an untruncated candidate list (counted
// again), a summary that summarize derives from the rest, and the figures a rotation derives from
// its integers (see route.MemberCandidate). Candidates are positional arrays, written by hand
// without reflection:
//
//	{"v":3,"rule":"…","rule_name":"…","method":"…","weights":"…","summary":"…","truncated":true,
//	 "totals":{…},"s":scale,"n":leads,"c":[cand…],"skipped":[{"rule_id":"…","c":[cand…]}],"pick":pick}
//
// scale is the sum of the participants' micro-weights and leads the rotation epoch's leads before
// this one (route.Pick's Scale and EpochLeads). A cand is one of
//
//	[rep_id,"excluded"(,"detail")]          a rep that was not eligible, with nothing else to say
//	[rep_id,weight,count]                   a participant whose share is mw/scale and whose deficit
//	                                        is (leads·mw − count·scale)/scale, both to 6 decimals
//	[rep_id,weight,count,deficit_µ(,"detail"(,spare))]   share mw/scale; deficit in millionths
//	[rep_id,eligible(0|1),"excluded","detail",weight,share,count,deficit(,spare)]   anything else
//
// where mw is route.MicroWeight(weight). pick is [rep,lead,"reason",candidates,skipped,rebased(0|1),
// winner,runner_up], each of the two [id,weight,count,last_lead,x] (route.MemberCandidate with
// deficit numerator x), 0 for none, or the Candidate object; or the route.Pick object. The encoder
// uses a short form only when decoding it gives back the very same figures, so every form reads
// back exactly. Explanations stored before the compact forms (without "v") are read back unchanged,
// and those of version 2 (the long candidate form only) through the same decoder.
const explanationVersion = 3

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
	var ep epochFigures
	if p := ex.Pick; p != nil && p.Scale > 0 {
		ep = epochFigures{scale: p.Scale, leads: p.EpochLeads}
		b = append(b, `,"s":`...)
		b = strconv.AppendInt(b, ep.scale, 10)
		b = append(b, `,"n":`...)
		b = strconv.AppendInt(b, ep.leads, 10)
	}
	b = append(b, `,"c":`...)
	b = ep.appendCandidates(b, ex.Candidates)
	if len(ex.Skipped) > 0 {
		b = append(b, `,"skipped":[`...)
		for i, t := range ex.Skipped {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"rule_id":`...)
			b = appendString(b, t.RuleID)
			b = append(b, `,"c":`...)
			b = ep.appendCandidates(b, t.Candidates)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if p := ex.Pick; p != nil {
		b = append(b, `,"pick":`...)
		b = appendPick(b, p)
	}
	return append(b, '}')
}

// epochFigures are the rotation's integers a compact candidate is restored from; zero when the
// decision had none (no rotation, or an explanation from before them).
type epochFigures struct{ scale, leads int64 }

// share is what a participant of weight w was shown as its share (see Service.pick).
func (ep epochFigures) share(w float64) (float64, bool) {
	mw, ok := route.MicroWeight(w)
	if !ok || mw == 0 || ep.scale <= 0 {
		return 0, false
	}
	return round6(route.MemberCandidate("", w, mw, 0, 0, ep.scale, 0).Share), true
}

// deficit is the deficit shown for a participant of weight w with count leads that had all of
// them, and no carried deficit, in the current epoch.
func (ep epochFigures) deficit(w float64, count int64) (float64, bool) {
	mw, ok := route.MicroWeight(w)
	x, okX := mulSub(ep.leads, mw, count, ep.scale)
	if !ok || !okX || mw == 0 || ep.scale <= 0 {
		return 0, false
	}
	return round6(route.MemberCandidate("", w, mw, count, x, ep.scale, 0).Deficit), true
}

// mulSub returns a·b − c·d, and false if it does not fit in 62 bits.
func mulSub(a, b, c, d int64) (int64, bool) {
	const limit = 1 << 62
	if a < 0 || b < 0 || c < 0 || d < 0 || (a != 0 && b > limit/a) || (c != 0 && d > limit/c) {
		return 0, false
	}
	return a*b - c*d, true
}

func (ep epochFigures) appendCandidates(b []byte, cs []RepDecision) []byte {
	b = append(b, '[')
	for i := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = ep.appendCandidate(b, &cs[i])
	}
	return append(b, ']')
}

// Forms of a stored candidate (see the stored form above).
const (
	formLong     = iota // every field
	formExcluded        // [rep_id,"excluded"(,"detail")]
	formDerived         // [rep_id,weight,count]
	formMicro           // [rep_id,weight,count,deficit_µ(,"detail"(,spare))]
)

// form picks the shortest form that reads back as d; for formMicro it also returns the deficit
// in millionths.
func (ep epochFigures) form(d *RepDecision) (int, int64) {
	if !d.Eligible {
		if d.Excluded != "" && d.Weight == 0 && d.Share == 0 && d.Count == 0 && d.Deficit == 0 && d.Spare == nil {
			return formExcluded, 0
		}
		return formLong, 0
	}
	if share, ok := ep.share(d.Weight); !ok || share != d.Share || d.Excluded != "" {
		return formLong, 0
	}
	if def, ok := ep.deficit(d.Weight, d.Count); ok && def == d.Deficit && d.Detail == "" && d.Spare == nil {
		return formDerived, 0
	}
	if micro := math.Round(d.Deficit * 1e6); math.Abs(micro) < 1<<52 && micro/1e6 == d.Deficit {
		return formMicro, int64(micro)
	}
	return formLong, 0
}

// appendCandidate writes d in the shortest form that reads back as d.
func (ep epochFigures) appendCandidate(b []byte, d *RepDecision) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, d.RepID, 10)
	form, micro := ep.form(d)
	switch form {
	case formExcluded:
		b = append(b, ',')
		b = appendString(b, d.Excluded)
		if d.Detail != "" {
			b = append(b, ',')
			b = appendString(b, d.Detail)
		}
		return append(b, ']')
	case formDerived, formMicro:
		b = append(b, ',')
		b = appendFloat(b, d.Weight)
		b = append(b, ',')
		b = strconv.AppendInt(b, d.Count, 10)
		if form == formMicro {
			b = append(b, ',')
			b = strconv.AppendInt(b, micro, 10)
			if d.Detail != "" || d.Spare != nil {
				b = append(b, ',')
				b = appendString(b, d.Detail)
			}
			b = appendSpare(b, d)
		}
		return append(b, ']')
	}
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
	return append(appendSpare(b, d), ']')
}

// appendSpare writes ",spare" when the candidate has a spare capacity: the last field of its forms.
func appendSpare(b []byte, d *RepDecision) []byte {
	if d.Spare == nil {
		return b
	}
	b = append(b, ',')
	return strconv.AppendInt(b, int64(*d.Spare), 10)
}

// appendPick writes p as [rep,lead,reason,candidates,skipped,rebased,winner,runner_up], or as
// encoding/json would when its winner is not its rep or it has no epoch figures.
func appendPick(b []byte, p *route.Pick) []byte {
	if p.Scale <= 0 || p.Rep != p.Winner.ID {
		return appendPickObject(b, p)
	}
	b = append(b, '[')
	b = appendString(b, p.Rep)
	b = append(b, ',')
	b = strconv.AppendInt(b, p.Lead, 10)
	b = append(b, ',')
	b = appendString(b, p.Reason)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(p.Candidates), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(p.Skipped), 10)
	if p.Rebased {
		b = append(b, ",1,"...)
	} else {
		b = append(b, ",0,"...)
	}
	b = appendMember(b, &p.Winner, p.Scale)
	b = append(b, ',')
	b = appendMember(b, &p.RunnerUp, p.Scale)
	return append(b, ']')
}

// appendMember writes a pick's candidate c as [id,weight,count,last_lead,x] when
// route.MemberCandidate restores it exactly from its deficit numerator x, as 0 when it is empty,
// and as its object otherwise.
func appendMember(b []byte, c *route.Candidate, scale int64) []byte {
	if *c == (route.Candidate{}) {
		return append(b, '0')
	}
	if x, ok := memberNumerator(c, scale); ok {
		b = append(b, '[')
		b = appendString(b, c.ID)
		b = append(b, ',')
		b = appendFloat(b, c.Weight)
		b = append(b, ',')
		b = strconv.AppendInt(b, c.Count, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, c.LastLead, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, x, 10)
		return append(b, ']')
	}
	return appendPickCandidate(b, c)
}

// memberNumerator finds the deficit numerator route.MemberCandidate restores c from, if any.
func memberNumerator(c *route.Candidate, scale int64) (int64, bool) {
	mw, ok := route.MicroWeight(c.Weight)
	f := c.Deficit * float64(scale)
	if !ok || mw == 0 || !c.Eligible || math.Abs(f) >= 1<<53 {
		return 0, false
	}
	x := int64(math.Round(f))
	return x, route.MemberCandidate(c.ID, c.Weight, mw, c.Count, x, scale, c.LastLead) == *c
}

// appendPickObject writes p as encoding/json would.
func appendPickObject(b []byte, p *route.Pick) []byte {
	b = append(b, `{"rep":`...)
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
	return append(b, '}')
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
	Scale     int64             `json:"s"`
	Leads     int64             `json:"n"`
	C         []json.RawMessage `json:"c"`
	Skipped   []struct {
		RuleID string            `json:"rule_id"`
		C      []json.RawMessage `json:"c"`
	} `json:"skipped"`
	Pick json.RawMessage `json:"pick"`
}

// decodeExplanation restores the API form of a stored explanation of an assignment to winner,
// naming reps with name. A body not in a compact form is returned unchanged.
func decodeExplanation(body []byte, winner int64, name func(int64) string) (json.RawMessage, error) {
	ex, err := restoreExplanation(body, winner, name)
	if err != nil || ex == nil {
		return body, err
	}
	return json.Marshal(ex)
}

// explanationSummary is the summary of a stored explanation of an assignment to winner.
func explanationSummary(body []byte, winner int64, name func(int64) string) (string, error) {
	ex, err := restoreExplanation(body, winner, name)
	if err != nil {
		return "", err
	}
	if ex != nil {
		return ex.Summary, nil
	}
	var old struct {
		Summary string `json:"summary"`
	}
	_ = json.Unmarshal(body, &old) // an explanation stored before the compact forms, read as far as it goes
	return old.Summary, nil
}

// restoreExplanation restores a stored explanation in a compact form; it returns nil for one
// stored before them.
func restoreExplanation(body []byte, winner int64, name func(int64) string) (*RoutingExplanation, error) {
	var st storedExplanation
	if err := json.Unmarshal(body, &st); err != nil || st.V < 2 || st.V > explanationVersion {
		return nil, nil //nolint:nilerr // an older explanation is kept as it was stored
	}
	ep := epochFigures{scale: st.Scale, leads: st.Leads}
	restore := func(raw []json.RawMessage) ([]RepDecision, error) {
		out := make([]RepDecision, len(raw))
		for i, c := range raw {
			d, err := ep.decodeCandidate(c)
			if err != nil {
				return nil, err
			}
			d.Name = name(d.RepID)
			out[i] = d
		}
		return out, nil
	}
	ex := &RoutingExplanation{RuleID: st.RuleID, RuleName: st.RuleName, Method: st.Method, Weights: st.Weights,
		Totals: st.Totals, Truncated: st.Truncated}
	var err error
	if ex.Candidates, err = restore(st.C); err != nil {
		return nil, err
	}
	for _, t := range st.Skipped {
		cs, err := restore(t.C)
		if err != nil {
			return nil, err
		}
		ex.Skipped = append(ex.Skipped, RuleTry{RuleID: t.RuleID, Candidates: cs})
	}
	if ex.Pick, err = decodePick(st.Pick, st.Scale); err != nil {
		return nil, err
	}
	if ex.Totals == nil {
		ex.Totals = candidateTotals(ex.Candidates)
	}
	if st.Summary != nil {
		ex.Summary = *st.Summary
	} else {
		ex.Summary = summarize(ex, winner)
	}
	return ex, nil
}

// decodeCandidate reads one stored candidate in any of its forms.
func (ep epochFigures) decodeCandidate(raw json.RawMessage) (RepDecision, error) {
	var f []json.RawMessage
	var d RepDecision
	if err := json.Unmarshal(raw, &f); err != nil {
		return d, fmt.Errorf("explanation candidate: %w", err)
	}
	fields := func(dst ...any) error {
		for i, v := range dst {
			if err := json.Unmarshal(f[i], v); err != nil {
				return fmt.Errorf("explanation candidate field %d: %w", i, err)
			}
		}
		return nil
	}
	switch {
	case len(f) >= 2 && len(f) <= 3 && len(f[1]) > 0 && f[1][0] == '"':
		if err := fields(&d.RepID, &d.Excluded); err != nil {
			return d, err
		}
		if len(f) == 3 {
			return d, json.Unmarshal(f[2], &d.Detail)
		}
		return d, nil
	case len(f) >= 3 && len(f) <= 6:
		d.Eligible = true
		if err := fields(&d.RepID, &d.Weight, &d.Count); err != nil {
			return d, err
		}
		var ok bool
		if d.Share, ok = ep.share(d.Weight); !ok {
			return d, fmt.Errorf("explanation candidate %d: no rotation figures for its share", d.RepID)
		}
		if len(f) == 3 {
			if d.Deficit, ok = ep.deficit(d.Weight, d.Count); !ok {
				return d, fmt.Errorf("explanation candidate %d: no rotation figures for its deficit", d.RepID)
			}
			return d, nil
		}
		var micro int64
		if err := json.Unmarshal(f[3], &micro); err != nil {
			return d, fmt.Errorf("explanation candidate deficit: %w", err)
		}
		d.Deficit = float64(micro) / 1e6
		if len(f) > 4 {
			if err := json.Unmarshal(f[4], &d.Detail); err != nil {
				return d, fmt.Errorf("explanation candidate detail: %w", err)
			}
		}
		if len(f) > 5 {
			d.Spare = new(int)
			return d, json.Unmarshal(f[5], d.Spare)
		}
		return d, nil
	case len(f) >= 8:
		var eligible int
		if err := fields(&d.RepID, &eligible, &d.Excluded, &d.Detail, &d.Weight, &d.Share, &d.Count, &d.Deficit); err != nil {
			return d, err
		}
		d.Eligible = eligible == 1
		if len(f) > 8 {
			d.Spare = new(int)
			if err := json.Unmarshal(f[8], d.Spare); err != nil {
				return d, fmt.Errorf("explanation candidate spare: %w", err)
			}
		}
		return d, nil
	}
	return d, fmt.Errorf("explanation candidate: %d fields", len(f))
}

// decodePick reads a stored pick: the route.Pick object or its array form.
func decodePick(raw json.RawMessage, scale int64) (*route.Pick, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	p := &route.Pick{}
	if raw[0] == '{' {
		return p, json.Unmarshal(raw, p)
	}
	var f []json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || len(f) != 8 {
		return nil, fmt.Errorf("explanation pick: want 8 fields (%v)", err)
	}
	var rebased int
	for i, dst := range []any{&p.Rep, &p.Lead, &p.Reason, &p.Candidates, &p.Skipped, &rebased} {
		if err := json.Unmarshal(f[i], dst); err != nil {
			return nil, fmt.Errorf("explanation pick field %d: %w", i, err)
		}
	}
	p.Rebased = rebased == 1
	for i, dst := range []*route.Candidate{&p.Winner, &p.RunnerUp} {
		if err := decodeMember(f[6+i], scale, dst); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// decodeMember reads a pick's candidate: 0, its object, or [id,weight,count,last_lead,x].
func decodeMember(raw json.RawMessage, scale int64, c *route.Candidate) error {
	switch {
	case string(raw) == "0":
		return nil
	case len(raw) > 0 && raw[0] == '{':
		return json.Unmarshal(raw, c)
	}
	var id string
	var weight float64
	var count, last, x int64
	var f []json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || len(f) != 5 {
		return fmt.Errorf("explanation pick candidate: want 5 fields (%v)", err)
	}
	for i, dst := range []any{&id, &weight, &count, &last, &x} {
		if err := json.Unmarshal(f[i], dst); err != nil {
			return fmt.Errorf("explanation pick candidate field %d: %w", i, err)
		}
	}
	mw, ok := route.MicroWeight(weight)
	if !ok || mw == 0 || scale <= 0 {
		return fmt.Errorf("explanation pick candidate %s: no rotation figures", id)
	}
	*c = route.MemberCandidate(id, weight, mw, count, x, scale, last)
	return nil
}
