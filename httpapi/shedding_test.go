package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/httpapi"
	"github.com/leadflow/leadflow/service"
	"github.com/leadflow/leadflow/sqlite"
)

// TestOverloadSheds proves S-REL-3: beyond the in-flight limit the API answers 503 with
// Retry-After at once instead of queueing without bound, and recovers when load drops.
func TestOverloadSheds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "shed.db"), sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := service.New(ctx, st, service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := svc.CreateToken(ctx, service.TokenRequest{Role: leadflow.RoleIntegration}, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{MaxInFlight: 1, Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	post := func(body io.Reader) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/leads", body)
		req.Header.Set("Authorization", "Bearer "+tok.Secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// The first request holds the only slot while its body trickles in.
	pr, pw := io.Pipe()
	defer pw.Close() // a failed test must not leave the request open: the server's Close waits for it
	first := make(chan int, 1)
	go func() {
		res := post(pr)
		res.Body.Close()
		first <- res.StatusCode
	}()
	pw.Write([]byte(`{"email": "slow@`))
	var shed *http.Response
	// Until the first request has taken the slot (its handler may start late on a loaded machine).
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		res := post(strings.NewReader(`{"email": "fast@example.org"}`))
		if res.StatusCode == http.StatusServiceUnavailable {
			shed = res
			break
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
			t.Fatalf("unexpected status %d", res.StatusCode)
		}
	}
	if shed == nil {
		t.Fatal("the server never shed load with its only slot taken")
	}
	shed.Body.Close()
	if shed.Header.Get("Retry-After") == "" || shed.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("503 without Retry-After or problem+json: %v", shed.Header)
	}
	pw.Write([]byte(`example.org"}`))
	pw.Close()
	if code := <-first; code != http.StatusCreated {
		t.Fatalf("slow request: %d", code)
	}
	res := post(strings.NewReader(`{"email": "after@example.org"}`))
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("after the load dropped: %d", res.StatusCode)
	}
}
