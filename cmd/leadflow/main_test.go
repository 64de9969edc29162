package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/config"
	"github.com/leadflow/leadflow/sqlite"
)

// binary is the leadflow executable built once for the process tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leadflow-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "leadflow")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build leadflow: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const adminToken = "lf_process_test_admin_0123456789"

// startServer runs `leadflow serve` on a free loopback port and returns its URL.
func startServer(t *testing.T, db string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, extra...)...)
	cmd.Env = append(os.Environ(), "LEADFLOW_ADMIN_TOKEN="+adminToken)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	urlCh := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "leadflow listening on "); ok {
				urlCh <- strings.Fields(rest)[0]
			}
		}
	}()
	select {
	case u := <-urlCh:
		return cmd, u
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
		return nil, ""
	}
}

// TestSIGKILLKeepsAcknowledgedWrites proves S-REL-1: the server is killed with SIGKILL in the
// middle of concurrent lead and event ingest; after restart every acknowledged lead and event is
// there.
func TestSIGKILLKeepsAcknowledgedWrites(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kill.db")
	cmd, url := startServer(t, db)
	client := &http.Client{Timeout: 5 * time.Second}
	post := func(path string, body any) int {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", url+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	var mu sync.Mutex
	ackLeads := map[string]bool{}
	ackEvents := map[string]string{} // event id → email
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				email := fmt.Sprintf("w%d-%d@kill.example", w, i)
				if post("/api/v1/leads", map[string]any{"email": email, "company": "Kill Co", "job_title": "CEO"}) != http.StatusCreated {
					continue
				}
				mu.Lock()
				ackLeads[email] = true
				mu.Unlock()
				evID := fmt.Sprintf("kill-%d-%d", w, i)
				if post("/api/v1/events", map[string]any{"event_id": evID, "email": email, "type": "pricing_page_view"}) == http.StatusAccepted {
					mu.Lock()
					ackEvents[evID] = email
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stop.Store(true)
	wg.Wait()
	if len(ackLeads) < 100 {
		t.Fatalf("only %d leads acknowledged before the kill; the test needs load", len(ackLeads))
	}
	// Restart the server on the same file (recovery from the WAL), then check with the store.
	cmd2, _ := startServer(t, db)
	cmd2.Process.Signal(syscall.SIGTERM)
	cmd2.Wait()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	missingLeads, missingEvents := 0, 0
	err = st.Read(ctx, func(tx leadflow.ReadTx) error {
		ids := map[string]int64{}
		for email := range ackLeads {
			l, err := tx.LeadByEmail(ctx, email)
			if err != nil {
				missingLeads++
				continue
			}
			ids[email] = l.ID
		}
		have := map[string]bool{}
		for _, id := range ids {
			evs, err := tx.EventsByLead(ctx, id)
			if err != nil {
				return err
			}
			for _, e := range evs {
				have[e.EventID] = true
			}
		}
		for ev := range ackEvents {
			if !have[ev] {
				missingEvents++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("acknowledged before SIGKILL: %d leads, %d events", len(ackLeads), len(ackEvents))
	if missingLeads > 0 || missingEvents > 0 {
		t.Fatalf("lost acknowledged writes: %d leads, %d events", missingLeads, missingEvents)
	}
}

// runCLI runs a subcommand in-process.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

// TestCLI covers version, token, import (CSV and JSON with per-row errors), export (leads and
// config) and rescore (S-CLI-1, S-CLI-2, S-LEAD-3).
func TestCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cli.db")
	if out, _, err := runCLI(t, "version"); err != nil || !strings.HasPrefix(out, "leadflow ") {
		t.Fatalf("version: %q %v", out, err)
	}
	out, _, err := runCLI(t, "token", "create", "--db", db, "--role", "integration", "--name", "forms")
	if err != nil || !strings.HasPrefix(out, "lf_") {
		t.Fatalf("token create: %q %v", out, err)
	}
	csvPath := filepath.Join(dir, "leads.csv")
	os.WriteFile(csvPath, []byte("email,company,employees,title,country\nceo@cli.example,Cli Inc,200,CEO,US\nbroken@cli.example,Cli\nvp@cli.example,Cli Inc,many,VP Sales,US\n"), 0o600)
	out, stderr, err := runCLI(t, "import", "--db", db, csvPath)
	if err == nil || !strings.Contains(out, "1 created") || !strings.Contains(stderr, "row 3") || !strings.Contains(stderr, "row 4: company_size") {
		t.Fatalf("import csv: out=%q stderr=%q err=%v", out, stderr, err)
	}
	jsonPath := filepath.Join(dir, "leads.json")
	os.WriteFile(jsonPath, []byte(`[{"email":"ceo@cli.example","company":"Cli Incorporated"},{"email":"new@cli.example"}]`), 0o600)
	if out, _, err := runCLI(t, "import", "--db", db, jsonPath); err != nil || !strings.Contains(out, "1 created, 1 updated") {
		t.Fatalf("import json: %q %v", out, err)
	}
	evPath := filepath.Join(dir, "events.ndjson")
	os.WriteFile(evPath, []byte("{\"email\":\"ceo@cli.example\",\"type\":\"webinar_attended\",\"event_id\":\"x1\"}\n{\"email\":\"ceo@cli.example\",\"type\":\"pricing_page_view\",\"event_id\":\"x2\"}\n"), 0o600)
	if out, _, err := runCLI(t, "import", "--db", db, "--events", evPath); err != nil || !strings.Contains(out, "2 accepted") {
		t.Fatalf("import events: %q %v", out, err)
	}
	out, _, err = runCLI(t, "export", "--db", db, "--format", "csv")
	if err != nil || !strings.Contains(out, "ceo@cli.example") || !strings.Contains(out, ",35,35,70,B,warm,") {
		t.Fatalf("export csv: %q %v", out, err)
	}
	cfgPath := filepath.Join(dir, "leadflow.yaml")
	if _, _, err := runCLI(t, "export", "--db", db, "--config", "--out", cfgPath); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(cfgPath)
	if err != nil || f.Scoring == nil || len(f.Scoring.Rules) == 0 || f.Lifecycle == nil || f.Lifecycle.MQLThreshold != 50 || f.Notifications == nil {
		t.Fatalf("exported config: %+v %v", f, err)
	}
	if out, _, err := runCLI(t, "export", "--db", db, "--config", "--secrets"); err != nil || !strings.Contains(out, "scoring:") || strings.Contains(out, "Secrets are shown as") {
		t.Fatalf("export --config --secrets: %v\n%s", err, out)
	}
	if out, _, err := runCLI(t, "rescore", "--db", db); err != nil || !strings.Contains(out, "2 / 2 leads (100%)\ndone") {
		t.Fatalf("rescore: %q %v", out, err)
	}
	simPath := filepath.Join(dir, "reps.csv")
	os.WriteFile(simPath, []byte("id,conversion,deal_value\nAna,0.40,10000\nBen,0.30,10000\nCai,0.25,10000\nDee,0.20,10000\nEli,0.10,10000\n"), 0o600)
	out, _, err = runCLI(t, "simulate", "--db", db, "--reps", simPath, "--leads", "200")
	normalized := ""
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "normalized" {
			normalized = strings.Join(f[1:7], " ")
		}
	}
	if err != nil || normalized != "63 47 39 31 20 57.25" || !strings.Contains(out, "best by expected opportunities: normalized\n") {
		t.Fatalf("simulate: %q %v", out, err)
	}
	// Replaying individual generated leads: 3:2:2:1 over 100 → 37–38/25/25/12–13 (S-SIM-1).
	out, _, err = runCLI(t, "simulate", "--db", db, "--reps", simPath, "--replay", "generated", "--leads", "100", "--strategy", "static:3,2,2,1,0")
	if err != nil || !strings.Contains(out, "100 leads;") {
		t.Fatalf("replay: %q %v", out, err)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "static" {
			if got := strings.Join(f[2:7], " "); got != "38 25 25 12 0" && got != "37 25 25 13 0" {
				t.Fatalf("replayed 3:2:2:1: %q", line)
			}
		}
	}
	if _, _, err := runCLI(t, "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
}

// TestDemoLoads runs `leadflow demo --no-serve` on a small dataset: leads, events, funnel stages
// and costs arrive, and the printed admin token works.
func TestDemoLoads(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	out, _, err := runCLI(t, "demo", "--db", db, "--leads", "300", "--no-serve")
	if err != nil || !strings.Contains(out, "loaded 300 leads") || !strings.Contains(out, "admin token: lf_") ||
		!strings.Contains(out, "opened a live claim pool: ") || !strings.Contains(out, "rep token (Ivy Chen, team Inbound): lf_") {
		t.Fatalf("demo: %q %v", out, err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Read(ctx, func(tx leadflow.ReadTx) error {
		custs, _ := tx.StageChanges(ctx, leadflow.StageCustomer, time.Time{}, time.Now().Add(time.Hour))
		mqls, _ := tx.StageChanges(ctx, leadflow.StageMQL, time.Time{}, time.Now().Add(time.Hour))
		costs, _ := tx.Costs(ctx, time.Time{}, time.Now().Add(time.Hour))
		if len(custs) == 0 || len(mqls) == 0 || len(costs) == 0 {
			t.Fatalf("demo funnel: %d customers, %d mqls, %d costs", len(custs), len(mqls), len(costs))
		}
		reps, _ := tx.Reps(ctx)
		routed, _ := tx.AssignmentCounts(ctx, time.Time{})
		total := int64(0)
		for _, n := range routed {
			total += n
		}
		open, _ := tx.OpenPool(ctx)
		if len(reps) != 11 || total < int64(len(mqls))/2 || len(open) == 0 || !strings.Contains(out, fmt.Sprintf("claim pool: %d leads waiting", len(open))) {
			t.Fatalf("demo routing: %d reps, %d assignments for %d MQLs, %d leads in the pool", len(reps), total, len(mqls), len(open))
		}
		return nil
	})
}
