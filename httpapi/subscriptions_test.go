package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
	"github.com/leadflow/leadflow/webhook"
)

// TestDomainEventSubscriptions proves that settings subscriptions receive the domain events they
// ask for — lead created, stage changed — signed, and no others (S-NOTIFY-5 for this issue's
// events), and that settings are validated with field paths.
func TestDomainEventSubscriptions(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte("sub-secret"), r.Header.Get(webhook.HeaderSignature), body, e.clock.Now(), 0); err != nil {
			t.Errorf("signature: %v", err)
		}
		var msg struct{ Type string }
		json.Unmarshal(body, &msg)
		mu.Lock()
		got = append(got, msg.Type+"/"+r.Header.Get("Leadflow-Event"))
		mu.Unlock()
	}))
	defer recv.Close()
	var st service.Settings
	e.must(http.StatusOK, e.do("GET", "/api/v1/settings", leadflow.RoleAdmin, nil)).json(t, &st)
	bad := st
	bad.Webhooks = []service.Subscription{{URL: "ftp://nope"}}
	p := e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/settings", leadflow.RoleAdmin, bad)).problem(t)
	fieldNamed(t, p, "webhooks[0].url")
	st.Webhooks = []service.Subscription{{URL: recv.URL, Secret: "sub-secret", Events: []string{"lead.created", "lead.stage_changed"}}}
	e.must(http.StatusOK, e.do("PUT", "/api/v1/settings", leadflow.RoleAdmin, st))
	var mgr service.Settings
	e.must(http.StatusOK, e.do("GET", "/api/v1/settings", leadflow.RoleManager, nil)).json(t, &mgr)
	if mgr.Webhooks[0].Secret != service.Masked {
		t.Fatalf("a manager reads the webhook secret as %q", mgr.Webhooks[0].Secret)
	}
	e.createLead(seedLead("sub@example.org")) // created, then MQL at 50: two events; its score change is not subscribed
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got) // deliveries run concurrently: order is not guaranteed
	if len(got) != 2 || got[0] != "lead.created/lead.created" || got[1] != "lead.stage_changed/lead.stage_changed" {
		t.Fatalf("deliveries: %v", got)
	}
}
