package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/notify"
	"github.com/leadflow/leadflow/service"
)

// Targets of the competitive claim pool (S-PERF-4, S-PERF-5).
const (
	TargetClaimRaceP99  = 100 * time.Millisecond // every answer of a 1,000-way race
	TargetClaimRate     = 2000.0                 // claims/s of distinct leads
	TargetFanoutP99     = 50 * time.Millisecond  // an offer reaching 1,000 connected reps
	TargetFanoutSpread  = 25 * time.Millisecond  // first to last of those reps
	TargetClaimRaceReps = 1000
	TargetFanoutClients = 1000
)

// fanoutGap is the pause between two fan-out rounds: leads entering a 1,000-rep pool ten times a
// second, and time for the offer board to record the previous round's offers in the background.
const fanoutGap = 100 * time.Millisecond

// poolNode is a running node with one open-pool team whose reps each have their own token, and
// a routing rule that releases every lead to the team's pool.
type poolNode struct {
	*node
	team  int64
	reps  []int64
	auths []string // "Bearer <secret>" of reps[i]'s token
}

// openPoolNode starts a full node (HTTP API and background work) on a fresh database at path and
// seeds it as a competitive pool: every lead is an MQL at creation and so is routed, the pool rule
// sends it to the team's claim pool (mode open_pool: every rep sees and may claim it at once), and
// the claim rules that count a rep's claims (daily limit, hot/warm and claims/auto ratios, weekly
// cold minimum) are off, so that no claim is refused by policy: only the race decides.
func (r *runner) openPoolNode(ctx context.Context, path string, reps int) (*poolNode, error) {
	nd, err := r.openNode(ctx, path, true)
	if err != nil {
		return nil, err
	}
	p := &poolNode{node: nd}
	if err := p.seed(ctx, reps); err != nil {
		nd.close()
		return nil, fmt.Errorf("seed the claim pool: %w", err)
	}
	return p, nil
}

func (p *poolNode) seed(ctx context.Context, reps int) error {
	svc := p.Service
	st := svc.Settings()
	st.Lifecycle.MQLThreshold, st.Lifecycle.UnqualifiedBelow = 0, -1
	if err := svc.PutSettings(ctx, st); err != nil {
		return err
	}
	cfg := compete.DefaultConfig()
	cfg.PriorityWindow, cfg.Mix, cfg.BlindPercent = 0, nil, 0
	cfg.DailyClaimLimit, cfg.HotPerWarm, cfg.ClaimsPerAuto, cfg.ColdPerWeek = 0, 0, 0, 0
	if _, err := svc.PutCompetition(ctx, cfg); err != nil {
		return err
	}
	team, err := service.TeamKind.Create(ctx, svc, leadflow.Team{Name: "Hunters", Mode: string(compete.ModeOpenPool)})
	if err != nil {
		return err
	}
	p.team = team.ID
	for i := range reps {
		rep, err := service.RepKind.Create(ctx, svc, leadflow.Rep{Name: fmt.Sprintf("Rep %04d", i), Email: fmt.Sprintf("pool%d@bench.example", i), TeamID: team.ID, Active: true})
		if err != nil {
			return err
		}
		tok, err := svc.CreateToken(ctx, service.TokenRequest{Name: rep.Name, Role: leadflow.RoleRep, RepID: rep.ID}, "")
		if err != nil {
			return err
		}
		p.reps, p.auths = append(p.reps, rep.ID), append(p.auths, "Bearer "+tok.Secret)
	}
	_, err = svc.PutRoutingRules(ctx, []service.RoutingRule{{ID: "pool", Name: "everything to the pool", TeamID: team.ID, Method: service.MethodPool}})
	return err
}

// createdLead is the part of a create answer the bench checks.
type createdLead struct {
	Lead struct {
		ID      int64 `json:"id"`
		OwnerID int64 `json:"owner_id"`
	} `json:"lead"`
	Created bool `json:"created"`
}

// createPoolLead creates one lead over HTTP and fails unless it went to the pool (no owner).
func (p *poolNode) createPoolLead(ctx context.Context, cl *client, body []byte) (int64, error) {
	var l createdLead
	if err := cl.post(ctx, "/api/v1/leads", body, http.StatusCreated, &l); err != nil {
		return 0, err
	}
	if !l.Created || l.Lead.ID == 0 || l.Lead.OwnerID != 0 {
		return 0, fmt.Errorf("lead %d (created %v) was not released to the pool (owner %d)", l.Lead.ID, l.Created, l.Lead.OwnerID)
	}
	return l.Lead.ID, nil
}

// expectPooled fails unless the lead's pool entry is open.
func (p *poolNode) expectPooled(ctx context.Context, leadID int64) error {
	return p.Store.Read(ctx, func(tx leadflow.ReadTx) error {
		e, err := tx.PoolEntry(ctx, leadID)
		if err != nil {
			return fmt.Errorf("lead %d: pool entry: %w", leadID, err)
		}
		if e.Status != leadflow.PoolOpen || e.TeamID != p.team {
			return fmt.Errorf("lead %d: pool entry %s in team %d, want open in team %d", leadID, e.Status, e.TeamID, p.team)
		}
		return nil
	})
}

// claimTransport is an HTTP client for reps: keep-alive connections for every concurrent claim,
// so that after the first request no claim pays for a TCP handshake (as a rep's open app).
func claimTransport(conns int) (*http.Client, *http.Transport) {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true, ForceAttemptHTTP2: false}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}, tr
}

// claimOnce sends one claim with a rep's Authorization header and returns the status and, for an
// answer other than 200 or 409, the start of its body.
func claimOnce(ctx context.Context, hc *http.Client, url, auth string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", auth)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusConflict {
		return resp.StatusCode, string(bytes.TrimSpace(b[:min(len(b), 400)])), nil
	}
	return resp.StatusCode, "", nil
}

// claims is S-PERF-4: the 1,000-way claim race and sustained claims of distinct leads.
func (r *runner) claims(ctx context.Context) ([]Result, error) {
	dir, err := r.scenarioDir("claims")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	race, err := r.claimRace(ctx, dir)
	if err != nil {
		return nil, err
	}
	sustained, err := r.sustainedClaims(ctx, dir)
	if err != nil {
		return []Result{race}, err
	}
	return []Result{race, sustained}, nil
}

// raceOutcome is one race: every rep's answer.
type raceOutcome struct {
	lat    []time.Duration
	status []int
	detail []string
	wall   time.Duration // from the release of the claimers until the last answer
}

// race releases one claim per rep at once and collects the answers.
func race(ctx context.Context, hc *http.Client, url string, auths []string) (raceOutcome, error) {
	n := len(auths)
	out := raceOutcome{lat: make([]time.Duration, n), status: make([]int, n), detail: make([]string, n)}
	errs := make([]error, n)
	start := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(n)
	for i := range n {
		wg.Go(func() {
			ready.Done()
			<-start
			t0 := time.Now()
			out.status[i], out.detail[i], errs[i] = claimOnce(ctx, hc, url, auths[i])
			out.lat[i] = time.Since(t0)
		})
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	wg.Wait()
	out.wall = time.Since(t0)
	for i, err := range errs {
		if err != nil {
			return out, fmt.Errorf("claim of rep %d: %w", i, err)
		}
	}
	return out, nil
}

// claimRace runs raceRounds races of every rep for one new lead each, after one unmeasured race
// that opens the reps' keep-alive connections.
func (r *runner) claimRace(ctx context.Context, dir string) (Result, error) {
	const name = "claim race"
	reps, rounds := r.sz.raceReps, r.sz.raceRounds
	r.progress("%s: %s reps with their own tokens in one open-pool team, %d races of all of them for one new lead each (after a warm-up race)…", name, fmtInt(float64(reps)), rounds)
	pn, err := r.openPoolNode(ctx, filepath.Join(dir, "race.db"), reps)
	if err != nil {
		return Result{}, err
	}
	defer pn.close()
	ingest := newClient(pn.URL(), pn.secret, 1)
	defer ingest.close()
	hc, tr := claimTransport(reps)
	defer tr.CloseIdleConnections()
	var lat, walls, winners []time.Duration
	for round := 0; round <= rounds; round++ {
		id, err := pn.createPoolLead(ctx, ingest, r.corpus.lead("cr", round).body())
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
		if err := pn.expectPooled(ctx, id); err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
		out, err := race(ctx, hc, pn.URL()+"/api/v1/pool/"+strconv.FormatInt(id, 10)+"/claim", pn.auths)
		if err != nil {
			return Result{}, fmt.Errorf("%s %d: %w", name, round, err)
		}
		winner, lost := -1, 0
		for i, st := range out.status {
			switch st {
			case http.StatusOK:
				if winner >= 0 {
					return Result{}, fmt.Errorf("%s DOUBLE CLAIM: lead %d won by rep %d and rep %d", name, id, pn.reps[winner], pn.reps[i])
				}
				winner = i
			case http.StatusConflict:
				lost++
			default:
				return Result{}, fmt.Errorf("%s: lead %d, rep %d got status %d, want 200 or 409: %s", name, id, pn.reps[i], st, out.detail[i])
			}
		}
		if winner < 0 || lost != reps-1 {
			return Result{}, fmt.Errorf("%s LOST CLAIM: lead %d: %d won and %d lost of %d claims, want 1 and %d", name, id, reps-lost, lost, reps, reps-1)
		}
		if err := pn.expectWon(ctx, id, pn.reps[winner], reps); err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
		if round == 0 {
			continue // warm-up: opens the connections, not counted
		}
		lat = append(lat, out.lat...)
		walls = append(walls, out.wall)
		winners = append(winners, out.lat[winner])
		slices.Sort(out.lat)
		r.progress("  race %d: all %d answers in %s (1 × 200, %d × 409), p99 %s", round, reps, fmtDur(out.wall), reps-1, fmtDur(loadStats{lat: out.lat}.pct(0.99)))
	}
	slices.Sort(lat)
	slices.Sort(walls)
	st := loadStats{n: len(lat), lat: lat}
	res := Result{Name: fmt.Sprintf("Claim race over HTTP (%s reps on one lead)", fmtInt(float64(reps))), Value: float64(len(lat)), Unit: "claims",
		Detail: fmt.Sprintf("%d races", rounds), P50: st.pct(0.50), P99: st.pct(0.99), Target: "p99 < 100 ms"}
	judge(&res, criterion{"p99", float64(res.P99), float64(TargetClaimRaceP99), false})
	res.Note = fmt.Sprintf("%d races: for each a new lead is created over HTTP and enters the open pool of a team of %s reps; then %s goroutines, one per rep with the rep's own token, are released at once and each POSTs /api/v1/pool/{id}/claim. p50/p99 are over the %s answers, each timed from its own send to its body read. Every race ended with exactly one 200 and %s 409s, the lead owned by the winner, and %s claim attempts recorded with one won. The slowest answer of a race (release to last answer) took %s at the median race, %s at the worst; the winners' answers took %s at the median. Keep-alive connections were opened by a warm-up race that is not counted (a rep's open app holds one); each claim is authenticated (the service caches a token for 5 s) and runs as one write transaction in the store's single writer, which group-commits the queued claims: the first decides the race by its conditional UPDATE, each of the others reads the entry, finds it claimed and records its lost attempt, so the last answer waits for all %s attempts to pass through that writer one after another.",
		rounds, fmtInt(float64(reps)), fmtInt(float64(reps)), fmtInt(float64(len(lat))), fmtInt(float64(reps-1)), fmtInt(float64(reps)),
		fmtDur(walls[len(walls)/2]), fmtDur(walls[len(walls)-1]), fmtDur(median(winners)), fmtInt(float64(reps)))
	if reps != TargetClaimRaceReps {
		res.Note += fmt.Sprintf(" QUICK: %s reps instead of %s.", fmtInt(float64(reps)), fmtInt(TargetClaimRaceReps))
	}
	r.progress("  %s answers: p50 %s, p99 %s", fmtInt(res.Value), fmtDur(res.P50), fmtDur(res.P99))
	return res, pn.close()
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// expectWon checks in the store that a race left the lead with exactly one owner: the pool entry
// claimed by the winner, the lead owned by it, and one attempt per rep of which one won.
func (p *poolNode) expectWon(ctx context.Context, leadID, winner int64, attempts int) error {
	return p.Store.Read(ctx, func(tx leadflow.ReadTx) error {
		e, err := tx.PoolEntry(ctx, leadID)
		if err != nil {
			return err
		}
		l, err := tx.LeadByID(ctx, leadID)
		if err != nil {
			return err
		}
		as, err := tx.ClaimAttempts(ctx, leadID)
		if err != nil {
			return err
		}
		won := 0
		for _, a := range as {
			if a.Outcome == leadflow.ClaimWon {
				won++
			}
			if a.WinnerID != winner {
				return fmt.Errorf("lead %d: attempt of rep %d names winner %d, the race was won by %d", leadID, a.RepID, a.WinnerID, winner)
			}
		}
		if e.Status != leadflow.PoolClaimed || e.ClaimedBy != winner || l.OwnerID != winner || len(as) != attempts || won != 1 {
			return fmt.Errorf("lead %d after the race: pool entry %s by %d, owner %d, %d attempts with %d won; want claimed by and owned by %d, %d attempts, 1 won",
				leadID, e.Status, e.ClaimedBy, l.OwnerID, len(as), won, winner, attempts)
		}
		return nil
	})
}

// sustainedClaims claims claimLeads pool leads, each once, over HTTP from claimCl concurrent
// clients acting as claimReps reps in turn: no contention, the claim rate. The leads are pooled
// in waves of claimWave and each wave is claimed before the next is pooled, so the pool never
// holds more than one wave: the offer board keeps every open lead's offer to every rep in memory,
// and a pool of 20,000 open leads offered to 200 reps would cost hundreds of MB (a pool backlog,
// not the claim path, which is what this measures).
func (r *runner) sustainedClaims(ctx context.Context, dir string) (Result, error) {
	const name = "sustained claims"
	n, nReps, conc, wave := r.sz.claimLeads, r.sz.claimReps, r.sz.claimCl, r.sz.claimWave
	r.progress("%s: %s leads claimed once each by %d clients as %d reps, pooled in waves of %s…", name, fmtInt(float64(n)), conc, nReps, fmtInt(float64(wave)))
	path := filepath.Join(dir, "sustained.db")
	pn, err := r.openPoolNode(ctx, path, nReps)
	if err != nil {
		return Result{}, err
	}
	defer pn.close()
	hc, tr := claimTransport(conc)
	defer tr.CloseIdleConnections()
	url := pn.URL() + "/api/v1/pool/"
	var (
		lat                   []time.Duration
		claimed               []int64
		wall, pooledIn, recIn time.Duration
		pooled, waves         int
		rates                 []float64
	)
	for pooled < n && wall < r.sz.budget {
		ids, took, err := pn.poolLeads(ctx, r.corpus, pooled, min(pooled+wave, n))
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
		pooled += len(ids)
		pooledIn += took
		// The offer board records the wave's offers (one per lead and rep) in the background;
		// wait until it has, so that the claims do not share the writer with that backlog.
		rec, err := waitRows(ctx, path, "offers", int64(pooled)*int64(nReps), 2*time.Minute)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
		recIn += rec
		st, err := runLoad(ctx, len(ids), conc, r.sz.budget-wall, func(ctx context.Context, _, i int) (time.Duration, error) {
			k := len(claimed) + i // the claim's number in the whole run
			rep := k % nReps
			var code int
			var detail string
			d, err := timed(func() error {
				var err error
				code, detail, err = claimOnce(ctx, hc, url+strconv.FormatInt(ids[i], 10)+"/claim", pn.auths[rep])
				return err
			})
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("claim of lead %d by rep %d: status %d, want 200: %s", ids[i], pn.reps[rep], code, detail)
			}
			return d, err
		})
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
		waves++
		lat = append(lat, st.lat...)
		claimed = append(claimed, ids[:st.n]...)
		wall += st.wall
		rates = append(rates, st.rate(st.n))
		r.progress("  wave %d: %s leads pooled in %s, offers recorded %s later; %s claims/s, p99 %s", waves, fmtInt(float64(len(ids))), fmtDur(took), fmtDur(rec), fmtInt(st.rate(st.n)), fmtDur(st.pct(0.99)))
		if st.n < len(ids) {
			break // the budget ran out
		}
	}
	if err := pn.expectClaimed(ctx, claimed, pooled); err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := pn.close(); err != nil {
		return Result{}, fmt.Errorf("%s: close: %w", name, err)
	}
	slices.Sort(lat)
	st := loadStats{n: len(lat), wall: wall, lat: lat}
	res := Result{Name: fmt.Sprintf("Sustained claims over HTTP (%d clients, %d reps)", conc, nReps), Value: st.rate(st.n), Unit: "claims/s",
		P50: st.pct(0.50), P99: st.pct(0.99), Target: "≥ 2,000 claims/s"}
	judge(&res, criterion{"", res.Value, TargetClaimRate, true})
	r.progress("  %s claims/s over %d waves, p50 %s, p99 %s; every lead claimed once; measuring the raw ceiling…", fmtInt(res.Value), waves, fmtDur(res.P50), fmtDur(res.P99))
	ceil, err := rawClaimCeiling(ctx, dir, path, st.n)
	if err != nil {
		return res, fmt.Errorf("%s raw ceiling: %w", name, err)
	}
	res.Ceiling = ceil
	res.Note = fmt.Sprintf("%s leads (demo templates, every band) claimed over HTTP by %d clients, closed loop, no contention: claim k by rep k mod %d with that rep's token, every answer 200, and the store verified to hold one won claim per lead, one assignment per lead and no lead left open.%s The leads were created through the service (as the batch API does) in %d waves of %s, each released to the open pool of one team of %d reps and offered to all of them (%s leads/s; the bench waited %s in all for the offer board to record the offers in the background), and each wave was claimed before the next was pooled; the rate and percentiles are over the claim phases only (%s). Claims/s by wave: %s — it falls as claims accumulate, because each claim reads the rep's claim history of the week (won claims and pushed assignments) through indexes led by time, which scan every rep's rows of the period. Each claim: authentication, the pool entry, the team and its %d members, that history, the claim rules, the conditional write, the lead's offers, the claim attempt, the lead's owner with an assignment, its explanation and history, then after commit \"claimed by someone else\" to the other %d reps. Ceiling: the store's conditional claim UPDATE … RETURNING alone on a pool table of the same shape with %s open rows, one row per transaction (the store group-commits concurrent claims, so this is not a hard bound).",
		fmtInt(float64(st.n)), conc, nReps, r.budgetNote(st.n, n, "claims"), waves, fmtInt(float64(wave)), nReps, fmtInt(rate(pooled, pooledIn)), fmtDur(recIn),
		fmtDur(wall), fmtRates(rates), nReps, nReps-1, fmtInt(float64(st.n)))
	r.progress("  raw ceiling %s claims/s (1 conditional UPDATE per transaction)", fmtInt(ceil))
	return res, nil
}

// fmtRates formats rates as "1,234 → 987 → …".
func fmtRates(rs []float64) string {
	parts := make([]string, len(rs))
	for i, v := range rs {
		parts[i] = fmtInt(v)
	}
	return strings.Join(parts, " → ")
}

// poolLeads creates leads [lo, hi) of the claim set through the service (as POST
// /api/v1/leads/batch does) and checks that every one entered the pool, which held nothing
// before. It returns their ids and the time it took.
func (p *poolNode) poolLeads(ctx context.Context, c *corpus, lo, hi int) ([]int64, time.Duration, error) {
	admin := service.Actor{Name: "bench", Role: leadflow.RoleAdmin}
	ids := make([]int64, 0, hi-lo)
	t0 := time.Now()
	for blo := lo; blo < hi; blo += service.MaxBatch {
		bhi := min(blo+service.MaxBatch, hi)
		in := make([]leadflow.LeadInput, 0, bhi-blo)
		for i := blo; i < bhi; i++ {
			g := c.lead("cs", i)
			li := g.t.in
			email, ext := g.email, g.ext
			li.Email, li.ExternalID = &email, &ext
			in = append(in, li)
		}
		res, _, err := p.Service.UpsertLeads(ctx, admin, in, nil, nil)
		if err != nil {
			return nil, 0, err
		}
		for _, row := range res.Rows {
			if len(row.Errors) > 0 || row.ID == 0 {
				return nil, 0, fmt.Errorf("row %d not created: %+v", row.Row, row.Errors)
			}
			ids = append(ids, row.ID)
		}
	}
	took := time.Since(t0)
	var open []leadflow.PoolEntry
	if err := p.Store.Read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		open, err = tx.OpenPool(ctx)
		return err
	}); err != nil {
		return nil, 0, err
	}
	if len(open) != len(ids) {
		return nil, 0, fmt.Errorf("%d of %d new leads entered the pool", len(open), len(ids))
	}
	return ids, took, nil
}

// waitRows waits until a SQLite table holds want rows and returns how long that took.
func waitRows(ctx context.Context, path, table string, want int64, limit time.Duration) (time.Duration, error) {
	return waitCount(ctx, table, want, limit, func(ctx context.Context) (int64, error) { return countRows(ctx, path, table) })
}

// waitCount waits until count reports want rows of table and returns how long that took.
func waitCount(ctx context.Context, table string, want int64, limit time.Duration, count func(context.Context) (int64, error)) (time.Duration, error) {
	t0 := time.Now()
	for {
		got, err := count(ctx)
		if err != nil {
			return 0, err
		}
		if got == want {
			return time.Since(t0), nil
		}
		if got > want || time.Since(t0) > limit {
			return 0, fmt.Errorf("%s: %d rows after %s, want %d", table, got, fmtDur(time.Since(t0)), want)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// expectClaimed checks in the store that every claimed lead has exactly one won claim and one
// assignment, and that the pool holds only the leads not claimed (of total).
func (p *poolNode) expectClaimed(ctx context.Context, claimed []int64, total int) error {
	return p.Store.Read(ctx, func(tx leadflow.ReadTx) error {
		won, err := tx.ClaimsSince(ctx, 0, time.Time{})
		if err != nil {
			return err
		}
		want := make(map[int64]bool, len(claimed))
		for _, id := range claimed {
			want[id] = true
		}
		seen := make(map[int64]bool, len(won))
		for _, a := range won {
			if !want[a.LeadID] || seen[a.LeadID] {
				return fmt.Errorf("DOUBLE OR STRAY CLAIM: won claim of lead %d by rep %d", a.LeadID, a.RepID)
			}
			seen[a.LeadID] = true
		}
		if len(seen) != len(claimed) {
			return fmt.Errorf("LOST CLAIMS: %d won claims for %d leads claimed with 200", len(seen), len(claimed))
		}
		counts, err := tx.AssignmentCounts(ctx, time.Time{})
		if err != nil {
			return err
		}
		var assigned int64
		for _, c := range counts {
			assigned += c
		}
		open, err := tx.OpenPool(ctx)
		if err != nil {
			return err
		}
		if assigned != int64(len(claimed)) || len(open) != total-len(claimed) {
			return fmt.Errorf("after %d claims of %d pool leads: %d assignments, %d leads still open", len(claimed), total, assigned, len(open))
		}
		return nil
	})
}

// poolSchema returns the CREATE statements of the pool table and its indexes of a database the
// store's migrations created (read from its sqlite_master with a read-only connection), so that
// the raw ceiling has the store's table shape.
func poolSchema(ctx context.Context, path string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = 'pool' AND sql IS NOT NULL ORDER BY type = 'index', name`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var stmt string
		if err := rows.Scan(&stmt); err != nil {
			return "", err
		}
		b.WriteString(stmt)
		b.WriteString(";\n")
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if !strings.Contains(b.String(), "CREATE TABLE pool") {
		return "", fmt.Errorf("the store's database %s has no pool table", path)
	}
	return b.String(), nil
}

// rawClaimCeiling is the ceiling of claims: n open pool rows (inserted untimed), then each claimed
// by the store's conditional UPDATE … RETURNING in its own transaction, on a fresh database with
// the pool table of the store's database at storePath. It returns claims/s.
func rawClaimCeiling(ctx context.Context, dir, storePath string, n int) (float64, error) {
	schema, err := poolSchema(ctx, storePath)
	if err != nil {
		return 0, err
	}
	db, err := openRaw(ctx, filepath.Join(dir, "raw-claims.db"), schema)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	now := time.Now().UnixMilli()
	bands := []string{"hot", "warm", "cold"}
	if _, err := rawInsert(ctx, db, `INSERT INTO pool (lead_id, rule_id, team_id, band, pooled_at, expires_at, status) VALUES (?, 'pool', 1, ?, ?, ?, 'open')`, n, 1000,
		func(i int) []any { return []any{int64(i + 1), bands[i%3], now, now + 7_200_000} }); err != nil {
		return 0, err
	}
	upd, err := db.PrepareContext(ctx, `UPDATE pool SET status = 'claimed', claimed_by = ?, claimed_at = ? WHERE lead_id = ? AND status = 'open'
		RETURNING lead_id, rule_id, team_id, rep_ids, band, blind, cohort, pooled_at, expires_at, status, claimed_by, claimed_at, releases`)
	if err != nil {
		return 0, err
	}
	defer upd.Close()
	var (
		lead, team, blind, pooled, expires, by, releases int64
		rule, repIDs, band, cohort, status               string
		at                                               sql.NullInt64
	)
	t0 := time.Now()
	for i := range n {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		err = tx.StmtContext(ctx, upd).QueryRowContext(ctx, int64(1+i%200), now, int64(i+1)).
			Scan(&lead, &rule, &team, &repIDs, &band, &blind, &cohort, &pooled, &expires, &status, &by, &at, &releases)
		if err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("raw claim of row %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return rate(n, time.Since(t0)), nil
}

// fanout is S-PERF-5: one pool offer delivered to every connected rep's live stream.
func (r *runner) fanout(ctx context.Context) ([]Result, error) {
	const name = "offer fan-out"
	clients, rounds := r.sz.fanoutReps, r.sz.fanoutRounds
	r.progress("%s: %s reps in one open-pool team, each with its own SSE connection to /api/v1/stream; %d leads created one at a time, each offered to all of them…", name, fmtInt(float64(clients)), rounds)
	dir, err := r.scenarioDir("fanout")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	pn, err := r.openPoolNode(ctx, filepath.Join(dir, "fanout.db"), clients)
	if err != nil {
		return nil, err
	}
	defer pn.close()
	// Each client counts the offers it receives by lead id; every lead must reach every client
	// once. The counters are atomics so that 1,000 readers counting at the same moment do not
	// queue on one lock (which would widen the spread being measured).
	var got sync.Map // lead id → *atomic.Int64
	probe, err := notify.ConnectFanout(ctx, notify.FanoutConfig{
		URL: pn.URL() + "/api/v1/stream", Clients: clients, Timeout: 30 * time.Second,
		Header: func(i int) http.Header { return http.Header{"Authorization": {pn.auths[i]}} },
		Match: func(e notify.Event) bool {
			if e.Type != service.EventOffer {
				return false
			}
			id := offerLeadID(e.Data)
			c, ok := got.Load(id)
			if !ok {
				c, _ = got.LoadOrStore(id, new(atomic.Int64))
			}
			c.(*atomic.Int64).Add(1)
			return true
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer probe.Close()
	connected := probe.Result().Connect
	r.progress("  %s streams connected in %s", fmtInt(float64(clients)), fmtDur(connected))
	// Collect the setup's garbage (1,000 reps, tokens and connections) now, as the testing package
	// does before a benchmark, instead of in the middle of a measured round.
	runtime.GC()
	ingest := newClient(pn.URL(), pn.secret, 1)
	defer ingest.close()
	hub := pn.Service.Hub()
	viewer := notify.Viewer{RepID: pn.reps[0], Role: notify.RoleRep, TeamID: pn.team}
	var creates, beforePublish []time.Duration
	for round := range rounds {
		var id int64
		var sent time.Time
		last := hub.LastID()
		err := probe.Round(ctx, func() error {
			sent = time.Now()
			var err error
			id, err = pn.createPoolLead(ctx, ingest, r.corpus.lead("fo", round).body())
			creates = append(creates, time.Since(sent))
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s round %d: %w", name, round+1, err)
		}
		for _, e := range hub.Since(viewer, last).Events {
			if e.Type == service.EventOffer {
				beforePublish = append(beforePublish, e.Time.Sub(sent))
				break
			}
		}
		time.Sleep(fanoutGap) // deliveries of this round are in; duplicates would arrive now
		counts := map[int64]int{}
		got.Range(func(k, v any) bool {
			counts[k.(int64)] = int(v.(*atomic.Int64).Load())
			got.Delete(k)
			return true
		})
		if counts[id] != clients || len(counts) != 1 {
			return nil, fmt.Errorf("%s round %d: offers received by lead id %v, want lead %d to each of %d clients once", name, round+1, counts, id, clients)
		}
	}
	res := probe.Result()
	if res.Missed != 0 || res.Deliveries != clients*rounds || probe.Clients() != clients {
		return nil, fmt.Errorf("%s: %d deliveries, %d missed, %d streams open; want %d, 0, %d", name, res.Deliveries, res.Missed, probe.Clients(), clients*rounds, clients)
	}
	if hs := hub.Stats(); hs.Dropped != 0 {
		return nil, fmt.Errorf("%s: the hub dropped %d slow subscribers", name, hs.Dropped)
	}
	rss, _ := procStatusKB("VmRSS:")
	probe.Close()
	lat := Result{Name: fmt.Sprintf("Pool offer fan-out to %s SSE clients (delivery latency)", fmtInt(float64(clients))), Value: float64(res.Deliveries), Unit: "deliveries",
		Detail: fmt.Sprintf("%d rounds, max %s", rounds, fmtDur(res.Max)), P50: res.P50, P99: res.P99, Target: "p99 < 50 ms"}
	judge(&lat, criterion{"p99", float64(res.P99), float64(TargetFanoutP99), false})
	lat.Note = fmt.Sprintf("%d rounds: each creates one lead with POST /api/v1/leads; it enters the open pool of the team of %s reps and the offer board sends pool.offer to all of them in one hub Publish after the commit (before the create request is answered). Each of the %s reps holds its own stream (GET /api/v1/stream with its rep token, connected in %s). Latency is per client and round, from the moment the create request was SENT until the client had parsed the offer event; it includes the whole create request (validation, scoring, routing to the pool, commit, and the offer board's read of the team) which took %s before the Publish at the median round, %s at the worst (the hub's publish stamp minus the send time, wall clock). The create request itself took %s at the median. Every client received each lead's offer exactly once, no stream was dropped; rounds %s apart.",
		rounds, fmtInt(float64(clients)), fmtInt(float64(clients)), fmtDur(connected), fmtDur(median(beforePublish)), fmtDur(slices.Max(append(beforePublish, 0))), fmtDur(median(creates)), fmtDur(fanoutGap))
	if rss > 0 {
		lat.Note += fmt.Sprintf(" Resident memory of the whole bench process (server, %s client streams and readers) with the streams open: %.0f MB.", fmtInt(float64(clients)), float64(rss)/1024)
	}
	spread := Result{Name: fmt.Sprintf("Pool offer fan-out to %s SSE clients (first-to-last spread)", fmtInt(float64(clients))), Value: float64(rounds), Unit: "rounds",
		Detail: "worst " + fmtDur(res.Spread), P50: res.SpreadP50, P99: res.Spread, Target: "spread < 25 ms"}
	judge(&spread, criterion{"worst round", float64(res.Spread), float64(TargetFanoutSpread), false})
	spread.Note = fmt.Sprintf("Per round, the time from the first to the last of the %s clients parsing the same offer; p50 is the median round, p99 the worst of the %d rounds (the verdict uses the worst). The hub hands the event to every subscriber in one pass; the spread is the time the server's stream writers and the clients' readers (%s goroutines each, on the same cores) need to drain it.",
		fmtInt(float64(clients)), rounds, fmtInt(float64(clients)))
	for _, res := range []*Result{&lat, &spread} {
		if clients != TargetFanoutClients {
			res.Note += fmt.Sprintf(" QUICK: %s clients instead of %s.", fmtInt(float64(clients)), fmtInt(TargetFanoutClients))
		}
	}
	r.progress("  delivery p50 %s, p99 %s, max %s; spread p50 %s, worst %s", fmtDur(res.P50), fmtDur(res.P99), fmtDur(res.Max), fmtDur(res.SpreadP50), fmtDur(res.Spread))
	if err := pn.close(); err != nil {
		return []Result{lat, spread}, fmt.Errorf("%s: close: %w", name, err)
	}
	return []Result{lat, spread}, nil
}

// offerLeadID reads the lead id of a pool.offer payload ({"claim_at":…,"claimable":…,"offer":
// {"lead_id":N,…}}) without decoding the whole event: it runs on every client's reader.
func offerLeadID(data []byte) int64 {
	const key = `"lead_id":`
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		var v struct {
			Offer struct {
				LeadID int64 `json:"lead_id"`
			} `json:"offer"`
		}
		_ = json.Unmarshal(data, &v)
		return v.Offer.LeadID
	}
	rest := data[i+len(key):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	id, _ := strconv.ParseInt(string(rest[:j]), 10, 64)
	return id
}

// procStatusKB reads a kB field of /proc/self/status (e.g. "VmRSS:").
func procStatusKB(key string) (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", key)
}
