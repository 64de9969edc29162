package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/app"
	"github.com/leadflow/leadflow/service"
)

// t0 is the injected clock's start for every API test.
var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// env is a running leadflow node on loopback with a real SQLite file and one token per role.
type env struct {
	t      *testing.T
	db     string
	m      *app.Main
	clock  *app.SettableClock
	url    string
	tokens map[string]string // role → secret; "rep" is bound to rep 7
	client *http.Client
}

func setup(t *testing.T) *env {
	t.Helper()
	e := restartable(t, testDB(t, "leadflow.db"))
	for _, req := range []service.TokenRequest{{Role: leadflow.RoleManager}, {Role: leadflow.RoleIntegration}, {Role: leadflow.RoleRep, RepID: 7}} {
		tok, err := e.m.Service.CreateToken(context.Background(), req, "")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[req.Role] = tok.Secret
	}
	return e
}

// restartable starts a node on db with the admin token standing in for every role; restart
// closes it and starts a new node on the same file, as after a process restart.
func restartable(t *testing.T, db string) *env {
	t.Helper()
	clock := &app.SettableClock{}
	clock.Set(t0)
	e := &env{t: t, db: db, clock: clock, client: &http.Client{Timeout: 30 * time.Second}}
	e.start()
	t.Cleanup(func() { e.m.Close() })
	admin := e.m.AdminToken
	e.tokens = map[string]string{leadflow.RoleAdmin: admin, leadflow.RoleIntegration: admin, leadflow.RoleManager: admin}
	return e
}

func (e *env) start() {
	e.t.Helper()
	e.m = &app.Main{Addr: "127.0.0.1:0", DB: e.db, Clock: e.clock, AdminToken: "lf_test_admin_secret_0123456789",
		SweepEvery: time.Hour, Logger: slog.New(slog.DiscardHandler)}
	if err := e.m.Open(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.url = e.m.URL()
}

// restart stops the node and starts a new one on the same database.
func (e *env) restart() {
	e.t.Helper()
	if err := e.m.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.start()
}

// resp is an HTTP answer with helpers.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	// Decoding into a reused variable would keep fields the new JSON omits (omitempty): start clean.
	reflect.ValueOf(v).Elem().SetZero()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) problem(t *testing.T) map[string]any {
	t.Helper()
	var p map[string]any
	r.json(t, &p)
	return p
}

// do sends a request as role ("" = no token). body may be a string, []byte or a value to encode.
func (e *env) do(method, path, role string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// must fails the test unless the answer has the wanted status.
func (e *env) must(want int, r resp) resp {
	e.t.Helper()
	if r.status != want {
		e.t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	return r
}

func (e *env) createLead(body map[string]any) leadflow.Lead {
	e.t.Helper()
	var res service.LeadResult
	e.must(http.StatusCreated, e.do("POST", "/api/v1/leads", leadflow.RoleIntegration, body)).json(e.t, &res)
	return *res.Lead
}

func (e *env) leadCount() int64 {
	e.t.Helper()
	var n int64
	if err := e.m.Store.Read(context.Background(), func(tx leadflow.ReadTx) error {
		var err error
		n, err = tx.CountLeads(context.Background())
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// seedLead is 003's example: a CEO in Technology at a 200-person US company.
func seedLead(email string) map[string]any {
	return map[string]any{"email": email, "first_name": "Dana", "last_name": "Reyes", "company": "Northwind", "company_size": 200,
		"industry": "Technology", "job_title": "CEO", "country": "US", "source": "webinar", "campaign": "q2-webinar"}
}

func fieldNamed(t *testing.T, p map[string]any, field string) string {
	t.Helper()
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		if m["field"] == field {
			return fmt.Sprint(m["reason"])
		}
	}
	t.Fatalf("problem does not name field %q: %v", field, p)
	return ""
}

// streamStatus opens the live stream as role and returns the status, closing it at once.
func (e *env) streamStatus(role string) int {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
