package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestManualAssignment: a manager gives a lead to a chosen rep by hand — an unowned lead, then
// the same lead to someone else — and the assignment, its explanation and the history say who
// did it and why; the rotation does not move; the lead's open pool entry is withdrawn and the old
// owner's response timer dropped; bad requests name the field (S-DIST-10, S-DIST-11).
func TestManualAssignment(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", nil)
	ann := p.addRep("Ann", nil)
	ben := p.addRep("Ben", nil)
	cid := p.createRep(map[string]any{"name": "Cid", "email": "cid@pool.example", "team_id": p.team.ID, "active": false})
	p.poolRule()
	l := p.lead("pooled@x.example", "hot")
	var entry struct {
		Entry *leadflow.PoolEntry `json:"pool"`
	}
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/claims", leadflow.RoleManager, nil)).json(t, &entry)
	if l.OwnerID != 0 || entry.Entry == nil || entry.Entry.Status != leadflow.PoolOpen {
		t.Fatalf("the lead did not wait in the pool: owner %d, entry %+v", l.OwnerID, entry.Entry)
	}
	path := "/api/v1/leads/" + itoa(l.ID) + "/assign"

	// Bad requests change nothing.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{}, "rep_id"},
		{map[string]any{"rep_id": 9999}, "rep_id"},
		{map[string]any{"rep_id": cid.ID}, "rep_id"},
		{map[string]any{"rep_id": ann.ID, "reason": strings.Repeat("x", 501)}, "reason"},
	} {
		fieldNamed(t, p.must(http.StatusUnprocessableEntity, p.do("POST", path, leadflow.RoleManager, c.body)).problem(t), c.field)
	}
	p.must(http.StatusForbidden, p.asRep(ann.ID, "POST", path, map[string]any{"rep_id": ann.ID}))

	// Unowned and pooled → Ann.
	var got leadflow.Lead
	p.must(http.StatusOK, p.do("POST", path, leadflow.RoleManager, map[string]any{"rep_id": ann.ID, "reason": "knows the account"})).json(t, &got)
	if got.OwnerID != ann.ID {
		t.Fatalf("owner %d, want Ann (%d)", got.OwnerID, ann.ID)
	}
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/claims", leadflow.RoleManager, nil)).json(t, &entry)
	if entry.Entry.Status != leadflow.PoolWithdrawn {
		t.Fatalf("pool entry after the assignment: %+v", entry.Entry)
	}
	p.must(http.StatusConflict, p.asRep(ben.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/claim", nil)) // withdrawn
	p.must(http.StatusConflict, p.do("POST", path, leadflow.RoleManager, map[string]any{"rep_id": ann.ID}))

	// Ann → Ben.
	p.must(http.StatusOK, p.do("POST", path, leadflow.RoleManager, map[string]any{"rep_id": ben.ID, "reason": "Ann is on leave"})).json(t, &got)
	if got.OwnerID != ben.ID {
		t.Fatalf("owner %d, want Ben (%d)", got.OwnerID, ben.ID)
	}
	p.must(http.StatusNotFound, p.asRep(ann.ID, "GET", "/api/v1/leads/"+itoa(l.ID), nil))
	p.must(http.StatusOK, p.asRep(ben.ID, "GET", "/api/v1/leads/"+itoa(l.ID), nil))

	var as struct{ Items []leadflow.Assignment }
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/assignments", leadflow.RoleManager, nil)).json(t, &as)
	if len(as.Items) != 2 {
		t.Fatalf("%d assignments, want 2", len(as.Items))
	}
	last := as.Items[1]
	var ex service.RoutingExplanation
	if err := json.Unmarshal(last.Explanation, &ex); err != nil {
		t.Fatal(err)
	}
	if last.Method != service.MethodManual || last.RepID != ben.ID || last.Reason != "Ann is on leave" ||
		!strings.Contains(ex.Summary, "Ben was assigned this lead by hand") || !strings.Contains(ex.Summary, "Ann is on leave") {
		t.Fatalf("assignment %+v, explanation %+v", last, ex)
	}
	var hist struct{ Items []leadflow.HistoryEntry }
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	h := hist.Items[len(hist.Items)-1]
	if h.Kind != leadflow.HistoryOwner || h.Old != itoa(ann.ID) || h.New != itoa(ben.ID) || !strings.Contains(h.Reason, "Ann is on leave") {
		t.Fatalf("last history entry: %+v", h)
	}
}

// TestManualAssignmentDropsTimer: reassigning a routed lead by hand drops the response timer of
// the rep it was routed to, so the SLA sweep does not bounce it from the new owner.
func TestManualAssignmentDropsTimer(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ana := e.createRep(map[string]any{"name": "Ana", "email": "ana@sla.example"})
	ben := e.createRep(map[string]any{"name": "Ben", "email": "ben@sla.example"})
	e.putRules(map[string]any{"id": "all", "rep_ids": []int64{ana.ID}, "method": "round_robin", "sla_minutes": 5})
	l := e.createLead(seedLead("timed@x.example"))
	if l.OwnerID != ana.ID {
		t.Fatalf("routed to %d, want Ana", l.OwnerID)
	}
	timer := func() *leadflow.SLATimer {
		var tm *leadflow.SLATimer
		if err := e.m.Store.Read(t.Context(), func(tx leadflow.ReadTx) error {
			var err error
			tm, err = tx.SLATimer(t.Context(), l.ID)
			if leadflow.ErrorCode(err) == leadflow.ENOTFOUND {
				return nil
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return tm
	}
	if timer() == nil {
		t.Fatal("the routed lead has no response timer")
	}
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(l.ID)+"/assign", leadflow.RoleManager, map[string]any{"rep_id": ben.ID}))
	if tm := timer(); tm != nil {
		t.Fatalf("Ana's timer survived the reassignment: %+v", tm)
	}
}
