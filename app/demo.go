package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/demo"
	"github.com/leadflow/leadflow/lifecycle"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// DemoStats summarises what LoadDemo stored.
type DemoStats struct {
	Leads, Events, StageChanges, Costs int
}

// LoadDemo replays a generated dataset through the service day by day, with the clock pinned to
// each day so that creation times, decay and history look like months of real use. Leads then
// walk to their outcomes through valid lifecycle transitions with BANT confirmed.
func LoadDemo(ctx context.Context, svc *service.Service, clock *SettableClock, opts demo.Options) (DemoStats, error) {
	ds := demo.Generate(opts)
	actor := service.Actor{Name: "demo", Role: leadflow.RoleAdmin}
	if err := seedDemoRouting(ctx, svc, opts.Now); err != nil {
		return DemoStats{}, fmt.Errorf("demo routing: %w", err)
	}
	type item struct {
		at   time.Time
		kind int // 0 lead, 1 event, 2 outcome — the order within one day
		lead int
		ev   int
	}
	var items []item
	for i, gl := range ds.Leads {
		items = append(items, item{at: gl.CreatedAt, kind: 0, lead: i})
		for k, ev := range gl.Events {
			items = append(items, item{at: *ev.OccurredAt, kind: 1, lead: i, ev: k})
		}
		if gl.Outcome != "" {
			items = append(items, item{at: gl.OutcomeAt, kind: 2, lead: i})
		}
	}
	sort.SliceStable(items, func(a, b int) bool {
		da, db := items[a].at.Truncate(24*time.Hour), items[b].at.Truncate(24*time.Hour)
		if !da.Equal(db) {
			return da.Before(db)
		}
		if items[a].kind != items[b].kind {
			return items[a].kind < items[b].kind
		}
		return items[a].at.Before(items[b].at)
	})
	ids := make([]int64, len(ds.Leads))
	var st DemoStats
	for start := 0; start < len(items); {
		day := items[start].at.Truncate(24 * time.Hour)
		end := start
		for end < len(items) && items[end].at.Truncate(24*time.Hour).Equal(day) {
			end++
		}
		var leads []leadflow.LeadInput
		var leadIdx []int
		var events []leadflow.EventInput
		var outcomes []int
		for _, it := range items[start:end] {
			switch it.kind {
			case 0:
				leads, leadIdx = append(leads, ds.Leads[it.lead].Input), append(leadIdx, it.lead)
			case 1:
				events = append(events, ds.Leads[it.lead].Events[it.ev])
			case 2:
				outcomes = append(outcomes, it.lead)
			}
		}
		clock.Set(items[end-1].at.Add(time.Minute))
		if len(leads) > 0 {
			res, _, err := svc.UpsertLeads(ctx, actor, leads, nil, nil)
			if err != nil {
				return st, fmt.Errorf("demo leads: %w", err)
			}
			for k, r := range res.Rows {
				if len(r.Errors) > 0 {
					return st, fmt.Errorf("demo lead %d rejected: %v", leadIdx[k], r.Errors)
				}
				ids[leadIdx[k]] = r.ID
			}
			st.Leads += res.Created
		}
		for s := 0; s < len(events); s += service.MaxBatch {
			res, _, err := svc.RecordEvents(ctx, actor, events[s:min(s+service.MaxBatch, len(events))], nil)
			if err != nil {
				return st, fmt.Errorf("demo events: %w", err)
			}
			st.Events += res.Accepted
		}
		n, err := walkOutcomes(ctx, svc, ds, ids, outcomes)
		if err != nil {
			return st, err
		}
		st.StageChanges += n
		start = end
	}
	for _, c := range demo.Costs(opts) {
		if _, err := svc.AddCost(ctx, c); err != nil {
			return st, fmt.Errorf("demo cost: %w", err)
		}
		st.Costs++
	}
	return st, nil
}

// walkOutcomes moves leads to their generated outcome in parallel (writes group-commit).
func walkOutcomes(ctx context.Context, svc *service.Service, ds demo.Dataset, ids []int64, leads []int) (int, error) {
	var mu sync.Mutex
	var firstErr error
	total := 0
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, i := range leads {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := walkTo(ctx, svc, ids[i], ds.Leads[i].Outcome, ds.Leads[i].OutcomeReason)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return total, firstErr
}

var bant = map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}

// walkTo moves one lead through valid transitions to target, the way reps would: SAL, then SQL
// with BANT confirmed, then opportunity and the close. A lead outside the ideal customer profile
// cannot become an SQL; it is disqualified instead.
func walkTo(ctx context.Context, svc *service.Service, id int64, target leadflow.Stage, reason string) (int, error) {
	rep := service.Actor{Name: "demo-rep", Role: leadflow.RoleManager}
	var path []lifecycle.Request
	toSQL := []lifecycle.Request{{To: leadflow.StageSAL}, {To: leadflow.StageSQL, Criteria: bant, Reason: "BANT confirmed on discovery call"}}
	switch target {
	case leadflow.StageSQL:
		path = toSQL
	case leadflow.StageOpportunity:
		path = append(toSQL, lifecycle.Request{To: leadflow.StageOpportunity})
	case leadflow.StageCustomer:
		path = append(toSQL, lifecycle.Request{To: leadflow.StageOpportunity}, lifecycle.Request{To: leadflow.StageCustomer, Reason: "closed won"})
	case leadflow.StageLost:
		path = append(toSQL, lifecycle.Request{To: leadflow.StageLost, Reason: reason})
	case leadflow.StageDisqualified, leadflow.StageNurture:
		path = []lifecycle.Request{{To: target, Reason: reason}}
	}
	n := 0
	for _, req := range path {
		l, err := svc.Lead(ctx, rep, id)
		if err != nil {
			return n, err
		}
		if l.Stage == req.To || !contains(lifecycle.Next(l.Stage), req.To) {
			continue // e.g. already past SAL
		}
		if _, err := svc.ChangeStage(ctx, rep, id, req); err != nil {
			if leadflow.ErrorCode(err) == leadflow.EINVALID && req.To == leadflow.StageSQL {
				_, err = svc.ChangeStage(ctx, rep, id, lifecycle.Request{To: leadflow.StageDisqualified, Reason: "outside the ideal customer profile"})
				return n + 1, err
			}
			return n, fmt.Errorf("demo lead %d → %s: %w", id, req.To, err)
		}
		n++
	}
	return n, nil
}

func contains(list []leadflow.Stage, s leadflow.Stage) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// seedDemoRouting creates the demo's sales floor: teams East and West (000's team competition),
// eight reps across the career ladder — one on vacation now — a DACH territory, and routing rules:
// DACH leads to the reps who cover it, hot leads weighted by level, everything else round-robin.
func seedDemoRouting(ctx context.Context, svc *service.Service, now time.Time) error {
	east, err := service.TeamKind.Create(ctx, svc, leadflow.Team{Name: "East"})
	if err != nil {
		return err
	}
	west, err := service.TeamKind.Create(ctx, svc, leadflow.Team{Name: "West"})
	if err != nil {
		return err
	}
	dach, err := service.TerritoryKind.Create(ctx, svc, leadflow.Territory{Name: "DACH", Countries: []string{"DE", "AT", "CH"}})
	if err != nil {
		return err
	}
	hired := func(months int) *time.Time { t := now.AddDate(0, -months, 0); return &t }
	reps := []leadflow.Rep{
		{Name: "Alice Novak", Email: "alice@demo.example", TeamID: east.ID, Level: leadflow.LevelSenior, HireDate: hired(40), Timezone: "America/New_York", CapacityThreshold: 60},
		{Name: "Ben Okafor", Email: "ben@demo.example", TeamID: east.ID, Level: leadflow.LevelStandard, HireDate: hired(26), Timezone: "America/New_York", CapacityThreshold: 50},
		{Name: "Chen Wei", Email: "chen@demo.example", TeamID: east.ID, Level: leadflow.LevelMid, HireDate: hired(14), Timezone: "America/Chicago", CapacityThreshold: 40},
		{Name: "Dewi Lestari", Email: "dewi@demo.example", TeamID: east.ID, Level: leadflow.LevelJunior, HireDate: hired(7), Timezone: "Asia/Jakarta", CapacityThreshold: 30,
			Absences: []leadflow.Absence{{From: now.AddDate(0, 0, -3), To: now.AddDate(0, 0, 11), Reason: "vacation", Source: "manual"}}},
		{Name: "Erik Schulz", Email: "erik@demo.example", TeamID: west.ID, Level: leadflow.LevelSenior, HireDate: hired(52), Timezone: "Europe/Berlin", CapacityThreshold: 60, TerritoryIDs: []int64{dach.ID}},
		{Name: "Fatima Haddad", Email: "fatima@demo.example", TeamID: west.ID, Level: leadflow.LevelStandard, HireDate: hired(20), Timezone: "Europe/Vienna", CapacityThreshold: 50, TerritoryIDs: []int64{dach.ID}},
		{Name: "Gabe Moreno", Email: "gabe@demo.example", TeamID: west.ID, Level: leadflow.LevelMid, HireDate: hired(11), Timezone: "America/Los_Angeles", CapacityThreshold: 40},
		{Name: "Hana Sato", Email: "hana@demo.example", TeamID: west.ID, Level: leadflow.LevelNewHire, HireDate: hired(1), Timezone: "Asia/Tokyo", CapacityThreshold: 20, DailyCap: 3},
	}
	var all []int64
	for _, r := range reps {
		r.Active, r.WeeklyHours = true, 40
		created, err := service.RepKind.Create(ctx, svc, r)
		if err != nil {
			return err
		}
		all = append(all, created.ID)
	}
	_, err = svc.PutRoutingRules(ctx, []service.RoutingRule{
		{ID: "dach", Name: "DACH territory", When: []score.Condition{{Field: "country", Op: score.OpIn, Value: []any{"DE", "AT", "CH"}}}, Territory: true, TeamID: west.ID, Method: service.MethodRoundRobin},
		{ID: "hot", Name: "Hot leads by seniority", When: []score.Condition{{Field: "band", Op: score.OpEquals, Value: "hot"}}, RepIDs: all, Method: service.MethodWeighted, Weights: service.WeightsLevel},
		{ID: "everyone", Name: "Everyone else", TeamID: east.ID, Method: service.MethodRoundRobin},
	})
	return err
}

// DemoPool is the live claim pool LoadDemoPool opens: the team, its reps, the leads waiting in
// the pool, and those the pool's quality mix held back and pushed to a rep instead.
type DemoPool struct {
	TeamID int64
	RepIDs []int64
	Leads  []int64
	Pushed int
}

// LoadDemoPool opens a live claim pool on the demo (S-COMP-1): an open-pool team "Inbound" of
// three reps, a routing rule sending chat and demo-request leads to its pool ahead of the other
// rules, and a few such leads arriving now, claimable for the pool's two hours. It runs after
// LoadDemo, at the real time, so the pool is live when the demo serves.
func LoadDemoPool(ctx context.Context, svc *service.Service) (*DemoPool, error) {
	team, err := service.TeamKind.Create(ctx, svc, leadflow.Team{Name: "Inbound", Mode: "open_pool"})
	if err != nil {
		return nil, err
	}
	pool := &DemoPool{TeamID: team.ID}
	for _, r := range []leadflow.Rep{
		{Name: "Ivy Chen", Email: "ivy@demo.example", Timezone: "America/New_York"},
		{Name: "Jon Berg", Email: "jon@demo.example", Timezone: "Europe/Stockholm"},
		{Name: "Kai Tanaka", Email: "kai@demo.example", Timezone: "Asia/Tokyo"},
	} {
		r.TeamID, r.Active, r.Level, r.WeeklyHours = team.ID, true, leadflow.LevelStandard, 40
		created, err := service.RepKind.Create(ctx, svc, r)
		if err != nil {
			return nil, err
		}
		pool.RepIDs = append(pool.RepIDs, created.ID)
	}
	rules := append([]service.RoutingRule{{ID: "inbound-pool", Name: "Chat and demo requests to the Inbound claim pool",
		When: []score.Condition{{Field: "source", Op: score.OpIn, Value: []any{"chat", "demo_request"}}}, TeamID: team.ID, Method: service.MethodPool}},
		svc.RoutingRules()...)
	if _, err := svc.PutRoutingRules(ctx, rules); err != nil {
		return nil, err
	}
	actor := service.Actor{Name: "demo", Role: leadflow.RoleAdmin}
	for i, l := range []struct{ first, company, title, industry, country, source string }{
		{"Maya", "Brightwave Labs", "CTO", "Technology", "US", "demo_request"},
		{"Omar", "Northpeak Logistics", "VP Operations", "Logistics", "GB", "chat"},
		{"Lena", "Kessler Maschinenbau", "Head of Sales", "Manufacturing", "DE", "demo_request"},
		{"Ravi", "Sunmesh Energy", "Director of IT", "Energy", "IN", "chat"},
		{"Ana", "Lumina Health", "COO", "Healthcare", "US", "demo_request"},
		{"Tomas", "Vektor Retail", "Head of E-commerce", "Retail", "ES", "chat"},
	} {
		email := fmt.Sprintf("%s@%s.example", strings.ToLower(l.first), strings.ToLower(strings.Fields(l.company)[0]))
		size := 120 + 90*i
		in := leadflow.LeadInput{Email: &email, FirstName: &l.first, Company: &l.company, JobTitle: &l.title, Industry: &l.industry,
			Country: &l.country, Source: &l.source, CompanySize: &size}
		res, _, err := svc.UpsertLead(ctx, actor, in, nil)
		if err != nil {
			return nil, err
		}
		l := res.Lead
		if l.Stage != leadflow.StageMQL { // below the MQL threshold: make it one so it is routed
			if l, err = svc.ChangeStage(ctx, actor, l.ID, lifecycle.Request{To: leadflow.StageMQL, Reason: "demo: inbound request"}); err != nil {
				return nil, err
			}
		}
		if l.OwnerID != 0 {
			pool.Pushed++
			continue
		}
		pool.Leads = append(pool.Leads, l.ID)
	}
	if len(pool.Leads) == 0 {
		return nil, fmt.Errorf("demo pool: no lead entered the pool")
	}
	return pool, nil
}
