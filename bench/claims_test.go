package bench

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/leadflow/leadflow/compete"
)

// TestOfferLeadID reads the lead id of a pool.offer payload as the service encodes it.
func TestOfferLeadID(t *testing.T) {
	offer := compete.Offer{LeadID: 4217, ExpiresAt: time.Now(), TimeLeftSeconds: 7200}
	data, err := json.Marshal(map[string]any{"offer": offer, "claimable": true, "claim_at": time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got := offerLeadID(data); got != 4217 {
		t.Fatalf("offerLeadID(%s) = %d, want 4217", data, got)
	}
	if got := offerLeadID([]byte(`{"offer":{}}`)); got != 0 {
		t.Fatalf("offerLeadID without an id = %d", got)
	}
}

func TestFmtRates(t *testing.T) {
	if got := fmtRates([]float64{1234.4, 987}); got != "1,234 → 987" {
		t.Fatalf("fmtRates = %q", got)
	}
}
