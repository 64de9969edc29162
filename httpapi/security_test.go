package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestRoleMatrix walks every route with every role (S-SEC-1, S-SEC-2): without a token → 401;
// a role outside the route's list → 403; an allowed role gets past authorization.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	e := setup(t)
	l := e.createLead(seedLead("matrix@example.org"))
	for _, rt := range e.m.API.Routes() {
		path := strings.ReplaceAll(rt.Pattern, "{id}", itoa(l.ID))
		if rt.Pattern == "/api/v1/tokens/{id}" {
			path = "/api/v1/tokens/999"
		}
		if rt.Roles == nil {
			e.must(http.StatusOK, e.do(rt.Method, path, "", nil))
			continue
		}
		if r := e.do(rt.Method, path, "", nil); r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%s %s without token: %d", rt.Method, rt.Pattern, r.status)
		}
		for _, role := range []string{leadflow.RoleAdmin, leadflow.RoleManager, leadflow.RoleRep, leadflow.RoleIntegration} {
			allowed := false
			for _, a := range rt.Roles {
				allowed = allowed || a == role
			}
			if rt.Pattern == "/api/v1/stream" { // endless: check the answer's head only
				if got := e.streamStatus(role); allowed != (got == http.StatusOK) {
					t.Fatalf("stream as %s: %d (allowed %v)", role, got, allowed)
				}
				continue
			}
			r := e.do(rt.Method, path, role, "{}")
			if !allowed && r.status != http.StatusForbidden {
				t.Fatalf("%s %s as %s: %d, want 403", rt.Method, rt.Pattern, role, r.status)
			}
			if allowed && (r.status == http.StatusForbidden || r.status == http.StatusUnauthorized) {
				t.Fatalf("%s %s as %s: %d, want access", rt.Method, rt.Pattern, role, r.status)
			}
		}
	}
}

// TestRepSeesOnlyOwnLeads proves S-SEC-2: a rep token lists and reads only leads it owns.
func TestRepSeesOnlyOwnLeads(t *testing.T) {
	t.Parallel()
	e := setup(t)
	mine := e.createLead(map[string]any{"email": "mine@example.org"})
	other := e.createLead(map[string]any{"email": "other@example.org"})
	// Ownership arrives with routing; set it through the store for this test.
	ctx := t.Context()
	if err := e.m.Store.Write(ctx, func(tx leadflow.Tx) error {
		l, err := tx.LeadByID(ctx, mine.ID)
		if err != nil {
			return err
		}
		l.OwnerID = 7
		return tx.UpdateLead(ctx, l)
	}); err != nil {
		t.Fatal(err)
	}
	var page struct{ Items []leadflow.Lead }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads", leadflow.RoleRep, nil)).json(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != mine.ID {
		t.Fatalf("rep list: %+v", page.Items)
	}
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(mine.ID), leadflow.RoleRep, nil))
	e.must(http.StatusNotFound, e.do("GET", "/api/v1/leads/"+itoa(other.ID), leadflow.RoleRep, nil))
	e.must(http.StatusNotFound, e.do("GET", "/api/v1/leads/"+itoa(other.ID)+"/score", leadflow.RoleRep, nil))
	e.must(http.StatusNotFound, e.do("POST", "/api/v1/leads/"+itoa(other.ID)+"/stage", leadflow.RoleRep, map[string]any{"stage": "nurture"}))
}

// TestTokens proves S-SEC-1: tokens are created with a role, shown once, work at once, and stop
// working when revoked; an invalid role names the field.
func TestTokens(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var tok service.CreatedToken
	e.must(http.StatusCreated, e.do("POST", "/api/v1/tokens", leadflow.RoleAdmin, map[string]any{"role": "manager", "name": "ops"})).json(t, &tok)
	if !strings.HasPrefix(tok.Secret, service.TokenPrefix) || tok.Role != "manager" {
		t.Fatalf("token: %+v", tok)
	}
	e.tokens["ops"] = tok.Secret
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads", "ops", nil))
	var list struct{ Items []map[string]any }
	e.must(http.StatusOK, e.do("GET", "/api/v1/tokens", leadflow.RoleAdmin, nil)).json(t, &list)
	for _, it := range list.Items {
		if _, leaked := it["secret"]; leaked {
			t.Fatal("token list leaks secrets")
		}
		if _, leaked := it["hash"]; leaked {
			t.Fatal("token list leaks hashes")
		}
	}
	e.must(http.StatusNoContent, e.do("DELETE", "/api/v1/tokens/"+itoa(tok.ID), leadflow.RoleAdmin, nil))
	e.must(http.StatusUnauthorized, e.do("GET", "/api/v1/leads", "ops", nil))
	p := e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/tokens", leadflow.RoleAdmin, map[string]any{"role": "superuser"})).problem(t)
	fieldNamed(t, p, "role")
	p = e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/tokens", leadflow.RoleAdmin, map[string]any{"role": "rep"})).problem(t)
	fieldNamed(t, p, "rep_id")
}

// TestBadInput proves S-SEC-3 and the problem-details contract: malformed JSON, wrong types,
// unknown fields and oversized bodies get clear 4xx problems naming the field, and nothing is
// written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.createLead(map[string]any{"email": "keep@example.org", "company": "Keep"})
	cases := []struct {
		name   string
		path   string
		body   string
		status int
		field  string
	}{
		{"malformed", "/api/v1/leads", `{"email": "x@y.org",`, 400, "body"},
		{"syntax", "/api/v1/leads", `{"email" "x@y.org"}`, 400, "body"},
		{"empty", "/api/v1/leads", ``, 400, "body"},
		{"wrong type", "/api/v1/leads", `{"email": "x@y.org", "company_size": "big"}`, 422, "company_size"},
		{"unknown field", "/api/v1/leads", `{"email": "x@y.org", "compnay": "typo"}`, 422, "compnay"},
		{"no key", "/api/v1/leads", `{"company": "Nameless"}`, 422, "email"},
		{"bad timezone", "/api/v1/leads", `{"email": "x@y.org", "timezone": "Mars/Olympus"}`, 422, "timezone"},
		{"negative size", "/api/v1/leads", `{"email": "x@y.org", "company_size": -5}`, 422, "company_size"},
		{"oversized", "/api/v1/leads", `{"email": "x@y.org", "company": "` + strings.Repeat("a", 2<<20) + `"}`, 413, "body"},
		{"event without lead", "/api/v1/events", `{"type": "page_view"}`, 422, "lead_id"},
		{"event wrong type", "/api/v1/events", `{"lead_id": "one", "type": "page_view"}`, 422, "lead_id"},
		{"batch not array", "/api/v1/leads/batch", `{"email": "x@y.org"}`, 422, "body"},
		{"bad model", "/api/v1/scoring/model", `{"rules": [{"id": "r", "kind": "fit", "points": 5, "when": [{"field": "industry", "op": "eq", "value": "x"}]}]}`, 422, "rules[0].when[0].op"},
	}
	for _, c := range cases {
		method := "POST"
		role := leadflow.RoleAdmin
		if strings.HasSuffix(c.path, "/model") {
			method = "PUT"
		}
		r := e.do(method, c.path, role, c.body)
		if r.status != c.status || r.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: status %d (%s), want %d problem+json: %s", c.name, r.status, r.header.Get("Content-Type"), c.status, r.body)
		}
		p := r.problem(t)
		if p["status"] != float64(c.status) || p["type"] == "" || p["title"] == "" {
			t.Fatalf("%s: not a problem document: %v", c.name, p)
		}
		fieldNamed(t, p, c.field)
	}
	if n := e.leadCount(); n != 1 {
		t.Fatalf("bad input wrote leads: %d, want 1", n)
	}
	var m struct{ Model struct{ Version int } }
	e.must(http.StatusOK, e.do("GET", "/api/v1/scoring/model", leadflow.RoleAdmin, nil)).json(t, &m)
	if m.Model.Version != 1 {
		t.Fatalf("a rejected model became version %d", m.Model.Version)
	}
}
