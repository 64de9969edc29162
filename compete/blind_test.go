package compete_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
)

// TestIsBlindShareAndStability is S-COMP-5: about BlindPercent of leads are blind, the choice is
// stable per lead id, and 0% / 100% mean none / all.
func TestIsBlindShareAndStability(t *testing.T) {
	cfg := compete.DefaultConfig()
	blind := 0
	const n = 20000
	for id := int64(1); id <= n; id++ {
		b := compete.IsBlind(id, cfg)
		if b != compete.IsBlind(id, cfg) {
			t.Fatalf("lead %d: unstable", id)
		}
		if b {
			blind++
		}
	}
	if share := float64(blind) / n; share < 0.19 || share > 0.21 {
		t.Fatalf("blind share %.3f, want about 0.20", share)
	}
	for _, c := range []struct {
		percent int
		want    bool
	}{{0, false}, {100, true}} {
		cfg.BlindPercent = c.percent
		for id := int64(-50); id < 50; id++ {
			if compete.IsBlind(id, cfg) != c.want {
				t.Fatalf("%d%%: lead %d blind=%v", c.percent, id, !c.want)
			}
		}
	}
}

// TestBlindPreview is S-COMP-5 and S-NOTIFY-2: a blind lead's preview has no score and no band,
// not even as JSON keys; everything else is shown; a normal lead shows everything.
func TestBlindPreview(t *testing.T) {
	cfg := compete.DefaultConfig()
	l := &leadflow.Lead{ID: 7, Company: "Northwind", CompanySize: 200, JobTitle: "CEO", Source: "webinar",
		Score: leadflow.Score{Total: 87, Band: "hot"}}
	full := compete.PreviewOf(l)
	cases := []struct {
		name        string
		blind       bool
		hideDetails bool
		want        map[string]any
		absent      []string
	}{
		{name: "normal", want: map[string]any{"company": "Northwind", "company_size": 200.0, "contact_title": "CEO", "source": "webinar", "score": 87.0, "band": "hot"},
			absent: []string{"blind"}},
		{name: "blind", blind: true, want: map[string]any{"company": "Northwind", "company_size": 200.0, "contact_title": "CEO", "source": "webinar", "blind": true},
			absent: []string{"score", "band"}},
		{name: "blind, details hidden", blind: true, hideDetails: true, want: map[string]any{"company": "Northwind", "source": "webinar", "blind": true},
			absent: []string{"score", "band", "company_size", "contact_title"}},
	}
	for _, c := range cases {
		cfg.BlindHidesDetails = c.hideDetails
		p := compete.Preview(full, c.blind, cfg)
		raw, _ := json.Marshal(p)
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v (%s)", c.name, k, got[k], v, raw)
			}
		}
		for _, k := range c.absent {
			if _, ok := got[k]; ok {
				t.Errorf("%s: %s present in %s", c.name, k, raw)
			}
		}
	}
	// The preview never shares the caller's score.
	p := compete.Preview(full, false, cfg)
	*p.Score = 1
	if *full.Score != 87 {
		t.Fatal("Preview aliases the score")
	}
}

// TestOfferContent is S-NOTIFY-2: preview plus time left to claim, redacted for blind leads.
func TestOfferContent(t *testing.T) {
	cfg := compete.DefaultConfig()
	score := 64.0
	p := compete.LeadPreview{Company: "Contoso", CompanySize: 50, ContactTitle: "VP Sales", Source: "ads", Score: &score, Band: "warm"}
	normal := compete.PoolLead{ID: leadID(t, false), Band: "warm", PooledAt: t0}
	o := compete.OfferContent(at(30), normal, p, cfg)
	if o.LeadID != normal.ID || o.Score == nil || *o.Score != 64 || o.Blind || o.TimeLeftSeconds != 90*60 || !o.ExpiresAt.Equal(at(120)) {
		t.Fatalf("%+v", o)
	}
	blind := compete.PoolLead{ID: leadID(t, true), Band: "warm", Blind: true, PooledAt: t0}
	o = compete.OfferContent(at(150), blind, p, cfg)
	if o.Score != nil || o.Band != "" || !o.Blind || o.TimeLeftSeconds != 0 || o.Company != "Contoso" {
		t.Fatalf("%+v", o)
	}
	raw, _ := json.Marshal(o)
	if strings.Contains(string(raw), "score") || strings.Contains(string(raw), "warm") {
		t.Fatalf("blind offer leaks quality: %s", raw)
	}
	if v := compete.See(at(0), tiered, blind, veteran(1, 1), cfg); !v.Blind {
		t.Fatal("See must report the lead as blind")
	}
}
