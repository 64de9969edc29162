package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// poolEnv is a node with a team whose leads go to the claim pool.
type poolEnv struct {
	*env
	team   leadflow.Team
	tokens map[int64]string // rep id → its rep token
}

// newPoolEnv starts a node where every lead becomes an MQL (so cold leads are routed too), the
// score is 80 (hot), 60 (warm) or 10 (cold) from custom.quality, and the team's leads go to its
// pool. mode is the team's distribution mode; tweak edits the competition policy.
func newPoolEnv(t *testing.T, mode string, tweak func(*compete.Config)) *poolEnv {
	t.Helper()
	e := setup(t)
	ctx := context.Background()
	st := e.m.Service.Settings()
	st.Lifecycle.MQLThreshold, st.Lifecycle.UnqualifiedBelow = 0, -1
	if err := e.m.Service.PutSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	m := e.m.Service.Model()
	m.Rules = nil
	for q, pts := range map[string]float64{"hot": 80, "warm": 60, "cold": 10} {
		m.Rules = append(m.Rules, score.Rule{ID: "quality_" + q, Name: q, Kind: score.KindFit, Points: pts,
			When: []score.Condition{{Field: "custom.quality", Op: score.OpEquals, Value: q}}})
	}
	m.Actions = nil
	if _, _, err := e.m.Service.PutModel(ctx, service.System, m); err != nil {
		t.Fatal(err)
	}
	cfg := compete.DefaultConfig()
	cfg.PriorityWindow = 0 // switched on where a test is about priority windows
	cfg.Mix = nil
	cfg.BlindPercent = 0
	if tweak != nil {
		tweak(&cfg)
	}
	if _, err := e.m.Service.PutCompetition(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var team leadflow.Team
	e.must(http.StatusCreated, e.do("POST", "/api/v1/teams", leadflow.RoleAdmin, map[string]any{"name": "Hunters", "mode": mode})).json(t, &team)
	return &poolEnv{env: e, team: team, tokens: map[int64]string{}}
}

// addRep creates an active rep in the team and a token bound to it.
func (p *poolEnv) addRep(name string, extra map[string]any) leadflow.Rep {
	p.t.Helper()
	body := map[string]any{"name": name, "email": strings.ToLower(name) + "@pool.example", "team_id": p.team.ID}
	for k, v := range extra {
		body[k] = v
	}
	r := p.createRep(body)
	tok, err := p.m.Service.CreateToken(context.Background(), service.TokenRequest{Role: leadflow.RoleRep, RepID: r.ID}, "")
	if err != nil {
		p.t.Fatal(err)
	}
	p.tokens[r.ID] = tok.Secret
	return r
}

// poolRule sends every lead to the team's pool.
func (p *poolEnv) poolRule() {
	p.putRules(map[string]any{"id": "pool", "team_id": p.team.ID, "method": "pool"})
}

// lead creates a lead of a quality (hot, warm or cold).
func (p *poolEnv) lead(email, quality string) leadflow.Lead {
	p.t.Helper()
	body := seedLead(email)
	body["custom"] = map[string]any{"quality": quality}
	return p.createLead(body)
}

// asRep calls the API with a rep's own token.
func (p *poolEnv) asRep(repID int64, method, path string, body any) resp {
	p.t.Helper()
	p.env.tokens["rep-self"] = p.tokens[repID]
	return p.do(method, path, "rep-self", body)
}

// visible returns the lead ids a rep sees in the pool now, and which of them it may claim.
func (p *poolEnv) visible(repID int64) (seen, claimable []int64) {
	p.t.Helper()
	var v service.PoolView
	p.asRep(repID, "GET", "/api/v1/pool", nil).json(p.t, &v)
	for _, it := range v.Items {
		seen = append(seen, it.LeadID)
		if it.Claimable {
			claimable = append(claimable, it.LeadID)
		}
	}
	return seen, claimable
}

// TestClaimRace1000 proves S-COMP-1 and S-PERF-4's exactness: 1,000 reps claiming one lead at the
// same instant over HTTP → exactly one 200 and 999 409s, each naming the winner, and 1,000
// recorded attempts.
func TestClaimRace1000(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", nil)
	reps := make([]leadflow.Rep, 1000)
	for i := range reps {
		reps[i] = p.addRep(fmt.Sprintf("R%04d", i), nil)
	}
	p.poolRule()
	l := p.lead("race@x.example", "hot")
	if l.OwnerID != 0 {
		t.Fatalf("a pool lead was pushed: %+v", l)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0}, Timeout: 60 * time.Second}
	var won, lost atomic.Int64
	var winner atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, r := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", p.url+"/api/v1/pool/"+itoa(l.ID)+"/claim", nil)
			req.Header.Set("Authorization", "Bearer "+p.tokens[r.ID])
			<-start
			res, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			var body map[string]any
			json.NewDecoder(res.Body).Decode(&body)
			switch res.StatusCode {
			case http.StatusOK:
				won.Add(1)
				winner.Store(r.ID)
			case http.StatusConflict:
				lost.Add(1)
				if !strings.HasPrefix(fmt.Sprint(body["detail"]), "already claimed by R") || body["claimed_at"] == nil {
					t.Errorf("loser's answer: %v", body)
				}
			default:
				t.Errorf("claim: %d %v", res.StatusCode, body)
			}
		}()
	}
	close(start)
	wg.Wait()
	if won.Load() != 1 || lost.Load() != 999 {
		t.Fatalf("won %d, lost %d; want 1 and 999", won.Load(), lost.Load())
	}
	var got leadflow.Lead
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(l.ID), leadflow.RoleManager, nil)).json(t, &got)
	var log service.ClaimLog
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/claims", leadflow.RoleManager, nil)).json(t, &log)
	wins := 0
	for _, a := range log.Attempts {
		if a.Outcome == leadflow.ClaimWon {
			wins++
		}
		if a.WinnerID != winner.Load() || a.At.IsZero() {
			t.Fatalf("attempt: %+v", a)
		}
	}
	if got.OwnerID != winner.Load() || len(log.Attempts) != 1000 || wins != 1 || log.Entry.Status != leadflow.PoolClaimed {
		t.Fatalf("owner %d (winner %d), %d attempts, %d wins, entry %+v", got.OwnerID, winner.Load(), len(log.Attempts), wins, log.Entry)
	}
}

// TestClaimManyRepsManyLeads: 200 reps racing over 500 leads (each lead contested by 20 reps at
// once) → every lead has exactly one owner, the winner of its only won attempt, and the counts add
// up (S-COMP-1).
func TestClaimManyRepsManyLeads(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", func(c *compete.Config) { c.DailyClaimLimit, c.HotPerWarm, c.ClaimsPerAuto, c.ColdPerWeek = 0, 0, 0, 0 })
	reps := make([]leadflow.Rep, 200)
	for i := range reps {
		reps[i] = p.addRep(fmt.Sprintf("M%03d", i), nil)
	}
	p.poolRule()
	ctx := context.Background()
	ids := make([]int64, 500)
	for i := range ids {
		ids[i] = p.lead(fmt.Sprintf("many%d@x.example", i), "warm").ID
	}
	var won, lost atomic.Int64
	var wg sync.WaitGroup
	for i, r := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := service.Actor{Name: r.Name, Role: leadflow.RoleRep, RepID: r.ID}
			for k := range 50 { // leads j ≡ i (mod 10), each rep starting elsewhere
				_, err := p.m.Service.Claim(ctx, a, ids[((k+i)%50)*10+i%10])
				switch leadflow.ErrorCode(err) {
				case "":
					won.Add(1)
				case leadflow.ECONFLICT:
					lost.Add(1)
				default:
					t.Errorf("claim: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	owners := map[int64]int64{}
	for _, id := range ids {
		var log service.ClaimLog
		p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(id)+"/claims", leadflow.RoleManager, nil)).json(t, &log)
		var l leadflow.Lead
		p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(id), leadflow.RoleManager, nil)).json(t, &l)
		wins := 0
		for _, a := range log.Attempts {
			if a.Outcome == leadflow.ClaimWon {
				wins++
				owners[id] = a.RepID
			}
		}
		if wins != 1 || l.OwnerID != owners[id] || l.OwnerID == 0 {
			t.Fatalf("lead %d: %d wins, owner %d, winner %d", id, wins, l.OwnerID, owners[id])
		}
	}
	if won.Load() != 500 || won.Load()+lost.Load() != 200*50 {
		t.Fatalf("won %d lost %d: want 500 wins of 10,000 attempts", won.Load(), lost.Load())
	}
}

// TestTieredVisibilityTimeline proves S-COMP-2 with an injected clock: who sees and may claim a
// premium (hot) and a standard (warm) lead 0, 5, 15 and 60 minutes after they enter the pool, a
// too-early claim's answer, and pool expiry pushing the lead to tier 3 (S-COMP-3).
func TestTieredVisibilityTimeline(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "tiered", nil)
	t1 := p.addRep("Tia", map[string]any{"tier": 1})
	t2 := p.addRep("Tom", map[string]any{"tier": 2})
	t3 := p.addRep("Tex", map[string]any{"tier": 3})
	p.poolRule()
	hot := p.lead("hot@x.example", "hot")
	warm := p.lead("warm@x.example", "warm")
	both := []int64{hot.ID, warm.ID}
	cases := []struct {
		at           time.Duration
		t1, t2, t3   []int64
		t2Claimable  []int64
		t3Claimables []int64
	}{
		{0, both, nil, nil, nil, nil},
		{5 * time.Minute, both, nil, nil, nil, nil},
		{15 * time.Minute, both, both, nil, both, nil},
		{60 * time.Minute, both, both, []int64{warm.ID}, both, []int64{warm.ID}},
	}
	for _, c := range cases {
		p.clock.Set(t0.Add(c.at))
		for _, check := range []struct {
			rep  int64
			want []int64
		}{{t1.ID, c.t1}, {t2.ID, c.t2}, {t3.ID, c.t3}} {
			seen, claimable := p.visible(check.rep)
			if fmt.Sprint(seen) != fmt.Sprint(check.want) || fmt.Sprint(claimable) != fmt.Sprint(check.want) {
				t.Fatalf("at %v rep %d sees %v (claimable %v), want %v", c.at, check.rep, seen, claimable, check.want)
			}
		}
		if c.at == 5*time.Minute { // too early for tier 2: the rule and when to come back
			pr := p.asRep(t2.ID, "POST", "/api/v1/pool/"+itoa(warm.ID)+"/claim", nil)
			body := p.must(http.StatusForbidden, pr).problem(t)
			if body["rule"] != "tier_delay" || body["retry_at"] != t0.Add(15*time.Minute).Format(time.RFC3339) || pr.header.Get("Retry-After") != "600" {
				t.Fatalf("early claim: %v", body)
			}
		}
	}
	// A rep sees the quality of a lead that is not blind (the preview's band and score).
	var mine service.PoolView
	p.asRep(t1.ID, "GET", "/api/v1/pool", nil).json(t, &mine)
	if mine.Items[0].Band == "" || mine.Items[0].Score == nil {
		t.Fatalf("rep preview without quality: %+v", mine.Items[0])
	}
	// Managers see the whole pool with its stats.
	var v service.PoolView
	p.must(http.StatusOK, p.do("GET", "/api/v1/pool", leadflow.RoleManager, nil)).json(t, &v)
	if v.Stats == nil || v.Stats.Size != 2 || v.Stats.ByBand["hot"] != 1 || v.Stats.AverageAgeSeconds != 3600 {
		t.Fatalf("manager view: %+v", v.Stats)
	}
	// Nobody claimed: after two hours both leads are pushed, to tier 3 first.
	p.clock.Set(t0.Add(2 * time.Hour))
	if n, err := p.m.Service.PoolSweep(context.Background()); err != nil || n != 2 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	for _, id := range both {
		var l leadflow.Lead
		p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(id), leadflow.RoleManager, nil)).json(t, &l)
		if l.OwnerID != t3.ID {
			t.Fatalf("expired lead %d went to %d, want tier 3 (%d)", id, l.OwnerID, t3.ID)
		}
	}
	if seen, _ := p.visible(t1.ID); len(seen) != 0 {
		t.Fatalf("expired leads still offered: %v", seen)
	}
}

// TestBlindOffers: a blind lead is offered without score and band in the pool listing (S-COMP-5).
func TestBlindOffers(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", func(c *compete.Config) { c.BlindPercent = 100 })
	r := p.addRep("Bea", nil)
	p.poolRule()
	l := p.lead("blind@x.example", "hot")
	raw := p.asRep(r.ID, "GET", "/api/v1/pool", nil)
	var v service.PoolView
	raw.json(t, &v)
	if len(v.Items) != 1 || !v.Items[0].Blind || v.Items[0].Score != nil || strings.Contains(string(raw.body), `"score"`) || strings.Contains(string(raw.body), `"band"`) {
		t.Fatalf("blind offer leaks quality: %s", raw.body)
	}
	var m service.PoolView
	p.must(http.StatusOK, p.do("GET", "/api/v1/pool", leadflow.RoleManager, nil)).json(t, &m)
	if m.Items[0].Score == nil || m.Items[0].Band != "hot" || m.Items[0].LeadID != l.ID {
		t.Fatalf("managers see quality: %+v", m.Items[0])
	}
}

// TestClaimLimitsAndRatios proves the denials of S-COMP-5/6: the daily limit (retry at the rep's
// next midnight) and the hot:warm ratio (retry after claiming a warm lead), each naming its rule.
func TestClaimLimitsAndRatios(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", func(c *compete.Config) { c.DailyClaimLimit, c.ClaimsPerAuto = 3, 0 })
	r := p.addRep("Lim", nil)
	p.poolRule()
	claim := func(l leadflow.Lead) resp { return p.asRep(r.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/claim", nil) }
	h1, h2, h3 := p.lead("h1@x.example", "hot"), p.lead("h2@x.example", "hot"), p.lead("h3@x.example", "hot")
	w1, c1 := p.lead("w1@x.example", "warm"), p.lead("c1@x.example", "cold")
	p.must(http.StatusOK, claim(h1))
	p.must(http.StatusOK, claim(h2))
	body := p.must(http.StatusForbidden, claim(h3)).problem(t)
	if body["rule"] != "ratio_hot_warm" || body["retry_at"] != nil || !strings.Contains(fmt.Sprint(body["detail"]), "warm") {
		t.Fatalf("hot:warm: %v", body)
	}
	p.must(http.StatusOK, claim(w1)) // the warm claim unlocks hot again, but this is the 3rd today
	body = p.must(http.StatusForbidden, claim(c1)).problem(t)
	tomorrow := time.Date(t0.Year(), t0.Month(), t0.Day()+1, 0, 0, 0, 0, time.UTC)
	if body["rule"] != "claim_limit_daily" || body["retry_at"] != tomorrow.Format(time.RFC3339) {
		t.Fatalf("daily limit: %v", body)
	}
	var log service.ClaimLog
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(c1.ID)+"/claims", leadflow.RoleManager, nil)).json(t, &log)
	if len(log.Attempts) != 1 || log.Attempts[0].Outcome != leadflow.ClaimDenied || log.Attempts[0].Rule != "claim_limit_daily" {
		t.Fatalf("denied attempt: %+v", log.Attempts)
	}
	p.clock.Set(tomorrow)
	p.must(http.StatusOK, claim(p.lead("c2@x.example", "cold")))
}

// TestOnboardingPhases proves S-COMP-6/7 through the pool: a week-1 rep gets its leads
// auto-assigned and only watches the pool; a week-5 rep competes only in its cohort's pool; a
// week-9 rep claims from the main pool.
func TestOnboardingPhases(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", nil)
	day := func(d int) string { return t0.AddDate(0, 0, -d).Format(time.RFC3339) }
	vet := p.addRep("Vet", nil)
	w1 := p.addRep("Newt", map[string]any{"hire_date": day(2)})
	w5 := p.addRep("Cora", map[string]any{"hire_date": day(30)})
	w9 := p.addRep("Nina", map[string]any{"hire_date": day(60)})
	p.poolRule()
	var leads []leadflow.Lead
	for i := 0; i < 20; i++ {
		leads = append(leads, p.lead(fmt.Sprintf("on%d@x.example", i), "warm"))
	}
	auto := map[int64]int{}
	for _, l := range leads {
		auto[l.OwnerID]++
	}
	// Split: main pool 2 (Vet, Nina) : Newt 1 (auto) : Cora 0.5 auto + 0.5 cohort pool.
	if auto[w1.ID] != 5 || auto[w5.ID] < 2 || auto[w5.ID] > 3 || auto[vet.ID] != 0 {
		t.Fatalf("auto-assigned shares: %v", auto)
	}
	seenW1, claimW1 := p.visible(w1.ID)
	seenVet, _ := p.visible(vet.ID)
	if len(seenW1) == 0 || len(claimW1) != 0 || len(seenW1) != len(seenVet) {
		t.Fatalf("week 1 shadows the main pool read-only: sees %v, may claim %v (veteran sees %d)", seenW1, claimW1, len(seenVet))
	}
	body := p.must(http.StatusForbidden, p.asRep(w1.ID, "POST", "/api/v1/pool/"+itoa(seenW1[0])+"/claim", nil)).problem(t)
	if body["rule"] != "onboarding_shadow" {
		t.Fatalf("week 1 claim: %v", body)
	}
	seenW5, claimW5 := p.visible(w5.ID)
	if len(seenW5) == 0 || fmt.Sprint(seenW5) != fmt.Sprint(claimW5) {
		t.Fatalf("week 5 sees its cohort pool: %v / %v", seenW5, claimW5)
	}
	for _, id := range seenW5 {
		if containsID(seenVet, id) {
			t.Fatalf("cohort lead %d visible to a veteran", id)
		}
	}
	body = p.must(http.StatusForbidden, p.asRep(w5.ID, "POST", "/api/v1/pool/"+itoa(seenVet[0])+"/claim", nil)).problem(t)
	if body["rule"] != "cohort_only" {
		t.Fatalf("week 5 main-pool claim: %v", body)
	}
	p.must(http.StatusOK, p.asRep(w5.ID, "POST", "/api/v1/pool/"+itoa(seenW5[0])+"/claim", nil))
	p.must(http.StatusOK, p.asRep(w9.ID, "POST", "/api/v1/pool/"+itoa(seenVet[0])+"/claim", nil))
}

func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// TestPauseAndResume proves S-COMP-9: a paused team's waiting pool leads and new leads are pushed
// round-robin; when the pause ends the pool takes leads again by itself.
func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", nil)
	a, b := p.addRep("Ann", nil), p.addRep("Ben", nil)
	p.poolRule()
	waiting := p.lead("wait@x.example", "warm")
	var team leadflow.Team
	p.must(http.StatusForbidden, p.do("POST", "/api/v1/teams/"+itoa(p.team.ID)+"/pause", leadflow.RoleRep, nil))
	p.must(http.StatusOK, p.do("POST", "/api/v1/teams/"+itoa(p.team.ID)+"/pause", leadflow.RoleManager, nil)).json(t, &team)
	if team.PausedUntil == nil || !team.PausedUntil.Equal(t0.AddDate(0, 0, 14)) {
		t.Fatalf("default pause: %+v", team.PausedUntil)
	}
	var l leadflow.Lead
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(waiting.ID), leadflow.RoleManager, nil)).json(t, &l)
	if l.OwnerID == 0 {
		t.Fatal("a waiting pool lead stayed in a paused pool")
	}
	got := map[int64]int{}
	for i := 0; i < 4; i++ {
		got[p.lead(fmt.Sprintf("paused%d@x.example", i), "warm").OwnerID]++
	}
	if got[a.ID] != 2 || got[b.ID] != 2 {
		t.Fatalf("round-robin while paused: %v", got)
	}
	p.clock.Set(t0.AddDate(0, 0, 14)) // the pause ends by itself
	if after := p.lead("after@x.example", "warm"); after.OwnerID != 0 {
		t.Fatalf("after the pause the lead must go to the pool, went to %d", after.OwnerID)
	}
	p.must(http.StatusOK, p.do("POST", "/api/v1/teams/"+itoa(p.team.ID)+"/pause", leadflow.RoleManager, map[string]any{"until": t0.AddDate(0, 0, 20)}))
	p.must(http.StatusOK, p.do("POST", "/api/v1/teams/"+itoa(p.team.ID)+"/resume", leadflow.RoleManager, nil))
	if again := p.lead("again@x.example", "warm"); again.OwnerID != 0 {
		t.Fatal("resume did not reopen the pool")
	}
}

// TestReleaseChurn proves S-COMP-8: a released lead goes back to the pool as new, the release is
// recorded on the claim and counts as churn.
func TestReleaseChurn(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", func(c *compete.Config) { c.ChurnMinClaims = 1 })
	a, b := p.addRep("Ada", nil), p.addRep("Bob", nil)
	p.poolRule()
	l := p.lead("rel@x.example", "warm")
	p.must(http.StatusOK, p.asRep(a.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/claim", nil))
	p.must(http.StatusNotFound, p.asRep(b.ID, "POST", "/api/v1/leads/"+itoa(l.ID)+"/release", nil)) // not Bob's lead
	p.clock.Advance(10 * time.Minute)
	var rel leadflow.Lead
	p.must(http.StatusOK, p.asRep(a.ID, "POST", "/api/v1/leads/"+itoa(l.ID)+"/release", map[string]any{"reason": "wrong region"})).json(t, &rel)
	if rel.OwnerID != 0 {
		t.Fatalf("released lead still owned: %+v", rel)
	}
	if seen, _ := p.visible(b.ID); !containsID(seen, l.ID) {
		t.Fatal("released lead not back in the pool")
	}
	p.must(http.StatusOK, p.asRep(b.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/claim", nil))
	var rep service.PoolReport
	p.must(http.StatusOK, p.do("GET", "/api/v1/analytics/pool?from=2026-05-01&to=2026-05-10", leadflow.RoleManager, nil)).json(t, &rep)
	if rep.Total.Claims != 2 || rep.Total.Churned != 1 || len(rep.Reps) != 2 {
		t.Fatalf("churn: %+v", rep)
	}
	for _, r := range rep.Reps {
		if r.RepID == a.ID && (!r.Churn.Flagged || r.Churn.Rate != 1) {
			t.Fatalf("Ada's churn: %+v", r.Churn)
		}
	}
}

// TestSpeedToLeadMode proves S-COMP-4: a team in speed-to-lead mode gets its pool rule's leads
// pushed (no pool), each with a response timer, and reps are ranked by how fast they respond.
func TestSpeedToLeadMode(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "speed_to_lead", nil)
	fast, slow := p.addRep("Fay", nil), p.addRep("Sol", nil)
	p.putRules(map[string]any{"id": "pool", "team_id": p.team.ID, "method": "pool", "sla_minutes": 30})
	leads := map[int64][]int64{}
	for i := 0; i < 4; i++ {
		l := p.lead(fmt.Sprintf("s2l%d@x.example", i), "warm")
		if l.OwnerID == 0 {
			t.Fatal("speed-to-lead pushes, it does not pool")
		}
		leads[l.OwnerID] = append(leads[l.OwnerID], l.ID)
	}
	p.clock.Advance(2 * time.Minute)
	for _, id := range leads[fast.ID] {
		p.must(http.StatusOK, p.asRep(fast.ID, "POST", "/api/v1/leads/"+itoa(id)+"/contact", nil))
	}
	p.clock.Advance(20 * time.Minute)
	for _, id := range leads[slow.ID] {
		p.must(http.StatusOK, p.asRep(slow.ID, "POST", "/api/v1/leads/"+itoa(id)+"/contact", nil))
	}
	var rank struct{ Items []service.SpeedRank }
	p.must(http.StatusOK, p.do("GET", "/api/v1/analytics/speed-to-lead", leadflow.RoleManager, nil)).json(t, &rank)
	if len(rank.Items) != 2 || rank.Items[0].RepID != fast.ID || rank.Items[0].MedianResponseMinutes != 2 || rank.Items[1].MedianResponseMinutes != 22 {
		t.Fatalf("ranking: %+v", rank.Items)
	}
}

// TestPriorityWindowHeadStart proves S-COMP-6 through the API: the rep whose daily priority
// window covers the moment a lead enters the pool sees it at once, everyone else of its tier five
// minutes later.
func TestPriorityWindowHeadStart(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "tiered", func(c *compete.Config) { c.PriorityWindow = compete.Duration(30 * time.Minute) })
	var ids []int64
	for i := 0; i < 4; i++ {
		ids = append(ids, p.addRep(fmt.Sprintf("W%d", i), map[string]any{"tier": 1}).ID)
	}
	p.poolRule()
	windows := compete.PriorityWindows(ids, t0, time.UTC, p.m.Service.Competition())
	at := windows[ids[2]].Start.Add(time.Minute) // inside the third rep's window today
	holders := compete.Holders(windows, at)
	if len(holders) != 1 || holders[0] != ids[2] {
		t.Fatalf("want one window holder at %v, got %v (%v)", at, holders, windows)
	}
	p.clock.Set(at)
	l := p.lead("window@x.example", "warm")
	for _, id := range ids {
		seen, _ := p.visible(id)
		if holder := id == holders[0]; holder != containsID(seen, l.ID) {
			t.Fatalf("at 0 min rep %d (holder %v) sees %v", id, holder, seen)
		}
	}
	p.clock.Set(at.Add(5 * time.Minute))
	for _, id := range ids {
		if seen, claimable := p.visible(id); !containsID(seen, l.ID) || !containsID(claimable, l.ID) {
			t.Fatalf("at 5 min rep %d sees %v (claimable %v)", id, seen, claimable)
		}
	}
}

// TestGuaranteedMinimum proves the protected allocation of S-COMP-6/7: a rep in weeks 9–12 who
// has had fewer leads this week than half the team's average gets the next pool lead pushed to
// it; at its minimum, leads go to the pool again.
func TestGuaranteedMinimum(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", nil)
	vet := p.addRep("Vera", nil)
	p.addRep("Otto", nil)
	nina := p.addRep("Nina", map[string]any{"hire_date": t0.AddDate(0, 0, -60).Format(time.RFC3339)})
	p.poolRule()
	first := p.lead("g0@x.example", "warm")
	if first.OwnerID != 0 {
		t.Fatalf("nobody has leads yet, the first goes to the pool: owner %d", first.OwnerID)
	}
	p.must(http.StatusOK, p.asRep(vet.ID, "POST", "/api/v1/pool/"+itoa(first.ID)+"/claim", nil))
	if owed := p.lead("g1@x.example", "warm"); owed.OwnerID != nina.ID {
		t.Fatalf("Nina is below half the average (0 < 1/6): the lead went to %d", owed.OwnerID)
	}
	if next := p.lead("g2@x.example", "warm"); next.OwnerID != 0 {
		t.Fatalf("at her minimum, leads go to the pool again: owner %d", next.OwnerID)
	}
}

// TestClaimsPerAutoAssigned proves the claims : auto-assigned ratio (S-COMP-5) end to end, with
// the count of auto-assigned leads coming from the store: after ClaimsPerAuto claims a rep must
// accept a lead the pool pushed to it, and each pushed lead it holds unlocks ClaimsPerAuto more.
func TestClaimsPerAutoAssigned(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", func(c *compete.Config) {
		c.DailyClaimLimit, c.HotPerWarm, c.ColdPerWeek, c.ClaimsPerAuto = 0, 0, 0, 2
	})
	r := p.addRep("Ratio", nil)
	p.poolRule()
	claim := func(l leadflow.Lead) resp { return p.asRep(r.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/claim", nil) }
	denied := func(l leadflow.Lead) {
		t.Helper()
		if body := p.must(http.StatusForbidden, claim(l)).problem(t); body["rule"] != string(compete.RuleRatioCompetitiveAuto) {
			t.Fatalf("claim of lead %d: %v, want %s", l.ID, body, compete.RuleRatioCompetitiveAuto)
		}
	}
	l1, l2, l3 := p.lead("ra1@x.example", "warm"), p.lead("ra2@x.example", "warm"), p.lead("ra3@x.example", "warm")
	p.must(http.StatusOK, claim(l1))
	p.must(http.StatusOK, claim(l2))
	denied(l3)
	// Nobody claims l3: at its expiry the pool pushes it to the rep, which counts as auto-assigned.
	p.clock.Set(t0.Add(2*time.Hour + time.Minute))
	if n, err := p.m.Service.PoolSweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	l4, l5, l6 := p.lead("ra4@x.example", "warm"), p.lead("ra5@x.example", "warm"), p.lead("ra6@x.example", "warm")
	p.must(http.StatusOK, claim(l4))
	p.must(http.StatusOK, claim(l5))
	denied(l6)
}
