package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leadflow/leadflow/notify"
	"github.com/leadflow/leadflow/postgres/pgtest"
)

// clusterNode is one `leadflow serve` process of a cluster test.
type clusterNode struct {
	cmd  *exec.Cmd
	url  string
	dead atomic.Bool
}

// cluster is several leadflow processes on one PostgreSQL schema.
type cluster struct {
	t      *testing.T
	nodes  []*clusterNode
	client *http.Client
}

func (c *cluster) call(n *clusterNode, method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, nil
}

// do sends a request to node i, falling over to the next live node when it does not answer (as a
// load balancer would).
func (c *cluster) do(i int, method, path, token string, body any) (int, []byte) {
	c.t.Helper()
	for k := 0; k < len(c.nodes); k++ {
		n := c.nodes[(i+k)%len(c.nodes)]
		if n.dead.Load() {
			continue
		}
		status, b, err := c.call(n, method, path, token, body)
		if err == nil {
			return status, b
		}
	}
	c.t.Errorf("%s %s: no node answered", method, path)
	return 0, nil
}

func (c *cluster) must(i, want int, method, path, token string, body any, out any) {
	c.t.Helper()
	status, b := c.do(i, method, path, token, body)
	if status != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// TestClusterThreeNodes proves S-STORE-2..4 with three `leadflow serve` processes on one
// PostgreSQL: weighted routing through all three stays within one lead of the exact shares; a
// 200-rep × 500-lead claim race spread over the nodes ends with exactly one owner per lead; an
// offer reaches stream clients on every node; a node killed with SIGKILL mid-race loses no
// acknowledged claim, and if it led, another node takes its background work over.
func TestClusterThreeNodes(t *testing.T) {
	dsn := pgtest.DSN(t)
	c := &cluster{t: t, client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	for i := 0; i < 3; i++ {
		cmd, url := startServer(t, dsn, "--sweep-every", "1s")
		c.nodes = append(c.nodes, &clusterNode{cmd: cmd, url: url})
	}
	admin := adminToken

	// Setup through node 0: every lead becomes an MQL; two teams.
	var settings map[string]any
	c.must(0, 200, "GET", "/api/v1/settings", admin, nil, &settings)
	life := settings["lifecycle"].(map[string]any)
	life["mql_threshold"], life["unqualified_below"] = 0, -1
	c.must(0, 200, "PUT", "/api/v1/settings", admin, settings, nil)
	var comp struct{ Config map[string]any }
	c.must(0, 200, "GET", "/api/v1/competition", admin, nil, &comp)
	cfg := comp.Config
	for _, k := range []string{"daily_claim_limit", "hot_per_warm", "claims_per_auto", "cold_per_week", "blind_percent"} {
		cfg[k] = 0
	}
	cfg["priority_window"], cfg["mix"] = "0s", []any{}
	c.must(0, 200, "PUT", "/api/v1/competition", admin, cfg, nil)
	var pool, push struct{ ID int64 }
	c.must(0, 201, "POST", "/api/v1/teams", admin, map[string]any{"name": "Pool", "mode": "open_pool"}, &pool)
	c.must(0, 201, "POST", "/api/v1/teams", admin, map[string]any{"name": "Push"}, &push)
	weights := []float64{3, 2, 2, 1}
	pushReps := make([]int64, len(weights))
	for i, w := range weights {
		var r struct{ ID int64 }
		c.must(0, 201, "POST", "/api/v1/reps", admin, map[string]any{"name": fmt.Sprintf("P%d", i), "email": fmt.Sprintf("p%d@c.example", i), "team_id": push.ID, "active": true, "static_weight": w}, &r)
		pushReps[i] = r.ID
	}
	reps := make([]int64, 200)
	tokens := make([]string, 200)
	for i := range reps {
		var r struct{ ID int64 }
		c.must(0, 201, "POST", "/api/v1/reps", admin, map[string]any{"name": fmt.Sprintf("R%03d", i), "email": fmt.Sprintf("r%d@c.example", i), "team_id": pool.ID, "active": true}, &r)
		var tok struct{ Secret string }
		c.must(0, 201, "POST", "/api/v1/tokens", admin, map[string]any{"role": "rep", "rep_id": r.ID}, &tok)
		reps[i], tokens[i] = r.ID, tok.Secret
	}
	c.must(0, 200, "PUT", "/api/v1/routing/rules", admin, map[string]any{"rules": []map[string]any{
		{"id": "push", "when": []map[string]any{{"field": "source", "op": "equals", "value": "push"}}, "team_id": push.ID, "method": "weighted", "weights": "static"},
		{"id": "pool", "team_id": pool.ID, "method": "pool"}}}, nil)
	time.Sleep(6 * time.Second) // every node refreshes its configuration within 5 s

	// Weighted routing through all three nodes at once: 3:2:2:1 over 400 leads.
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[int64]int{}
	for w := 0; w < 12; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 400; i += 12 {
				var l leadResult
				c.must(i%3, 201, "POST", "/api/v1/leads", admin, map[string]any{"email": fmt.Sprintf("push%d@c.example", i), "source": "push"}, &l)
				mu.Lock()
				got[l.Lead.OwnerID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i, id := range pushReps {
		if exact := 400 * weights[i] / 8; math.Abs(float64(got[id])-exact) >= 1 {
			t.Fatalf("weighted shares across nodes: %v (rep %d should get %.0f)", got, id, exact)
		}
	}

	// Stream clients on every node: rep 0 on node 0, rep 1 on node 1, rep 2 on node 2.
	streams := make([]<-chan notify.Event, 3)
	for i := range streams {
		streams[i] = openStream(t, c.nodes[i].url, tokens[i])
	}
	time.Sleep(300 * time.Millisecond)
	leads := make([]int64, 500)
	for i := range leads {
		var l leadResult
		c.must(i%3, 201, "POST", "/api/v1/leads", admin, map[string]any{"email": fmt.Sprintf("pool%d@c.example", i), "company": "Acme"}, &l)
		if l.Lead.OwnerID != 0 {
			t.Fatalf("pool lead pushed: %+v", l)
		}
		leads[i] = l.Lead.ID
	}
	for i, s := range streams {
		if !sawOffer(s, leads[0], 10*time.Second) {
			t.Fatalf("the offer of lead %d (created on node 0) did not reach the stream on node %d", leads[0], i)
		}
	}

	// Who leads the background work now?
	leader := -1
	for i, n := range c.nodes {
		var ready struct{ Leader bool }
		if st, b, err := c.call(n, "GET", "/readyz", "", nil); err == nil && st == 200 && json.Unmarshal(b, &ready) == nil && ready.Leader {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no node leads the background work")
	}

	// The claim race, spread over the nodes; the leader is killed in the middle of it.
	var won, lost, acked atomic.Int64
	winners := make([]int64, len(leads))
	var kill sync.Once
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 50 {
				j := ((k+i)%50)*10 + i%10
				if i == 0 && k == 25 {
					kill.Do(func() {
						c.nodes[leader].cmd.Process.Signal(syscall.SIGKILL)
						c.nodes[leader].dead.Store(true)
					})
				}
				status, body := c.do(i%3, "POST", "/api/v1/pool/"+fmt.Sprint(leads[j])+"/claim", tokens[i], nil)
				switch status {
				case 200:
					won.Add(1)
					acked.Add(1)
					mu.Lock()
					if winners[j] != 0 {
						t.Errorf("lead %d acknowledged to two reps", leads[j])
					}
					winners[j] = reps[i]
					mu.Unlock()
				case 409:
					lost.Add(1)
				default:
					t.Errorf("claim: %d %s", status, body)
				}
			}
		}()
	}
	wg.Wait()
	c.nodes[leader].cmd.Wait()
	live := (leader + 1) % 3
	for j, id := range leads {
		var log struct {
			Attempts []struct {
				RepID   int64  `json:"rep_id"`
				Outcome string `json:"outcome"`
			}
		}
		c.must(live, 200, "GET", "/api/v1/leads/"+fmt.Sprint(id)+"/claims", admin, nil, &log)
		var l struct {
			OwnerID int64 `json:"owner_id"`
		}
		c.must(live, 200, "GET", "/api/v1/leads/"+fmt.Sprint(id), admin, nil, &l)
		wins := 0
		for _, a := range log.Attempts {
			if a.Outcome == "won" {
				wins++
			}
		}
		if wins != 1 || l.OwnerID == 0 || winners[j] != 0 && l.OwnerID != winners[j] {
			t.Fatalf("lead %d: %d won attempts, owner %d, acknowledged winner %d", id, wins, l.OwnerID, winners[j])
		}
	}
	t.Logf("claim race over 3 nodes (node %d killed mid-race): %d won, %d lost", leader, won.Load(), lost.Load())

	// Another node takes the background work over within the lease time.
	deadline := time.Now().Add(40 * time.Second)
	for {
		var ready struct{ Leader bool }
		if st, b, err := c.call(c.nodes[live], "GET", "/readyz", "", nil); err == nil && st == 200 && json.Unmarshal(b, &ready) == nil && ready.Leader {
			break
		}
		other := c.nodes[(leader+2)%3]
		if st, b, err := c.call(other, "GET", "/readyz", "", nil); err == nil && st == 200 && json.Unmarshal(b, &ready) == nil && ready.Leader {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no node took the background work over after the leader was killed")
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The new leader schedules offers: a lead pooled now reaches a surviving node's stream.
	var l leadResult
	c.must(live, 201, "POST", "/api/v1/leads", admin, map[string]any{"email": "after-kill@c.example", "company": "Acme"}, &l)
	survivor := (leader + 2) % 3
	if !sawOffer(streams[survivor], l.Lead.ID, 10*time.Second) {
		t.Fatalf("after the leader died, the offer of lead %d did not reach node %d's stream", l.Lead.ID, survivor)
	}
}

// leadResult is the answer of POST /api/v1/leads.
type leadResult struct {
	Lead struct {
		ID      int64 `json:"id"`
		OwnerID int64 `json:"owner_id"`
	} `json:"lead"`
}

// openStream connects to a node's live stream with a token and returns its events.
func openStream(t *testing.T, url, token string) <-chan notify.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("stream: %v %v", res, err)
	}
	out := make(chan notify.Event, 1024)
	go func() {
		defer res.Body.Close()
		_ = notify.ReadEvents(res.Body, func(e notify.Event) bool {
			select {
			case out <- e:
			default:
			}
			return true
		})
	}()
	return out
}

// sawOffer waits for the pool.offer of a lead on a stream.
func sawOffer(ch <-chan notify.Event, leadID int64, wait time.Duration) bool {
	deadline := time.After(wait)
	want := fmt.Sprintf(`"lead_id":%d,`, leadID)
	for {
		select {
		case e := <-ch:
			if e.Type == "pool.offer" && strings.Contains(string(e.Data), want) {
				return true
			}
		case <-deadline:
			return false
		}
	}
}
