package compete_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
)

// TestDefaultConfig: the defaults are the seed's values and valid.
func TestDefaultConfig(t *testing.T) {
	cfg := compete.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Tiers) != 3 || cfg.Tiers[0].Percent != 25 || cfg.Tiers[1].Percent != 50 || cfg.Tiers[2].Percent != 25 ||
		cfg.Tiers[1].Delay.D() != 15*time.Minute || cfg.Tiers[2].Delay.D() != time.Hour || cfg.Tiers[2].Premium ||
		cfg.PremiumExclusive.D() != 15*time.Minute || cfg.HeadStart.D() != 5*time.Minute || cfg.PriorityWindow.D() != 30*time.Minute ||
		cfg.DailyClaimLimit != 10 || cfg.HotPerWarm != 2 || cfg.ClaimsPerAuto != 5 || cfg.ColdPerWeek != 3 ||
		cfg.NewbieDays != 90 || cfg.ShadowWeeks != 4 || cfg.CohortWeeks != 4 || cfg.ProtectedWeeks != 4 ||
		cfg.PauseFor.D() != 14*24*time.Hour || !cfg.Premium("hot") || cfg.Premium("warm") {
		t.Fatalf("defaults differ from the seed: %+v", cfg)
	}
}

// TestConfigValidation: every bad setting is reported with the field that holds it and why.
func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(*compete.Config)
		field  string
		reason string
	}{
		{"tier shares", func(c *compete.Config) { c.Tiers[2].Percent = 30 }, "compete.tiers", "add up to 100, not 105"},
		{"negative share", func(c *compete.Config) { c.Tiers[0].Percent = -5 }, "compete.tiers[0].percent", "percentage"},
		{"no tiers", func(c *compete.Config) { c.Tiers = nil }, "compete.tiers", "at least one tier"},
		{"negative delay", func(c *compete.Config) { c.Tiers[1].Delay = compete.Duration(-time.Minute) }, "compete.tiers[1].delay", "negative"},
		{"delays out of order", func(c *compete.Config) { c.Tiers[1].Delay = compete.Duration(2 * time.Hour) }, "compete.tiers[2].delay", "shorter than tier 2"},
		{"premium skips a tier", func(c *compete.Config) { c.Tiers[1].Premium, c.Tiers[2].Premium = false, true }, "compete.tiers[2].premium", "better tier 2 has not"},
		{"tier 1 without premium", func(c *compete.Config) { c.Tiers[0].Premium = false; c.Tiers[1].Premium = false }, "compete.tiers[0].premium", "premium pool"},
		{"unknown premium band", func(c *compete.Config) { c.PremiumBands = []string{"scorching"} }, "compete.premium_bands[0]", "unknown band"},
		{"negative exclusive window", func(c *compete.Config) { c.PremiumExclusive = compete.Duration(-1) }, "compete.premium_exclusive", "negative"},
		{"unranked tier", func(c *compete.Config) { c.UnrankedTier = 4 }, "compete.unranked_tier", "from 1 to 3"},
		{"rank weights", func(c *compete.Config) { c.RankWeights = compete.RankWeights{} }, "compete.rank_weights", "positive"},
		{"negative rank weight", func(c *compete.Config) { c.RankWeights.Speed = -1 }, "compete.rank_weights.speed", "from 0"},
		{"zero expiry", func(c *compete.Config) { c.PoolExpiry = 0 }, "compete.pool_expiry", "positive"},
		{"expiry before tier 3", func(c *compete.Config) { c.PoolExpiry = compete.Duration(time.Hour) }, "compete.pool_expiry", "longer than the latest tier access plus the head start (1h5m)"},
		{"negative head start", func(c *compete.Config) { c.HeadStart = compete.Duration(-time.Minute) }, "compete.head_start", "negative"},
		{"window seconds", func(c *compete.Config) { c.PriorityWindow = compete.Duration(90 * time.Second) }, "compete.priority_window", "whole number of minutes"},
		{"workday end", func(c *compete.Config) { c.WorkdayEnd = "08:00" }, "compete.workday_end", "later than workday_start"},
		{"workday syntax", func(c *compete.Config) { c.WorkdayStart = "9am" }, "compete.workday_start", "HH:MM"},
		{"window too long", func(c *compete.Config) { c.WorkdayEnd = "09:15" }, "compete.priority_window", "fit in the working day"},
		{"negative daily limit", func(c *compete.Config) { c.DailyClaimLimit = -1 }, "compete.daily_claim_limit", "from 0 (no limit)"},
		{"negative hot/warm", func(c *compete.Config) { c.HotPerWarm = -2 }, "compete.hot_per_warm", "from 0"},
		{"negative claims/auto", func(c *compete.Config) { c.ClaimsPerAuto = -5 }, "compete.claims_per_auto", "from 0"},
		{"negative cold minimum", func(c *compete.Config) { c.ColdPerWeek = -3 }, "compete.cold_per_week", "from 0"},
		{"newbie days", func(c *compete.Config) { c.NewbieDays = 400 }, "compete.newbie_days", "to 366"},
		{"shadow weeks", func(c *compete.Config) { c.ShadowWeeks = -1 }, "compete.shadow_weeks", "from 0"},
		{"cohort days", func(c *compete.Config) { c.CohortDays = 0 }, "compete.cohort_days", "from 1"},
		{"cohort auto share", func(c *compete.Config) { c.CohortAutoPercent = 150 }, "compete.cohort_auto_percent", "percentage"},
		{"pause", func(c *compete.Config) { c.PauseFor = 0 }, "compete.pause_for", "positive"},
		{"pause too long", func(c *compete.Config) { c.PauseFor = compete.Duration(400 * 24 * time.Hour) }, "compete.pause_for", "at most 366d"},
		{"blind share", func(c *compete.Config) { c.BlindPercent = 101 }, "compete.blind_percent", "percentage"},
		{"mix shares", func(c *compete.Config) { c.Mix[0].Percent = 60 }, "compete.mix", "add up to 100, not 90"},
		{"mix band", func(c *compete.Config) { c.Mix[1].Band = "lukewarm" }, "compete.mix[1].band", "unknown band"},
		{"mix band twice", func(c *compete.Config) { c.Mix[2].Band = "warm" }, "compete.mix[2].band", "listed twice"},
		{"churn window", func(c *compete.Config) { c.ChurnWindow = compete.Duration(-time.Hour) }, "compete.churn_window", "negative"},
		{"churn percent", func(c *compete.Config) { c.ChurnPercent = -1 }, "compete.churn_percent", "percentage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := compete.DefaultConfig()
			c.change(&cfg)
			err := cfg.Validate()
			var e *leadflow.Error
			if !errors.As(err, &e) || e.Code != leadflow.EINVALID {
				t.Fatalf("want an invalid error, got %v", err)
			}
			for _, f := range e.Fields {
				if f.Field == c.field && strings.Contains(f.Reason, c.reason) {
					return
				}
			}
			t.Fatalf("no error on %s saying %q: %v", c.field, c.reason, e.Fields)
		})
	}
}

// TestDurationText: durations read and write as "15m", "2h", "14d" in JSON (and YAML).
func TestDurationText(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		text string
	}{
		{15 * time.Minute, "15m"}, {2 * time.Hour, "2h"}, {90 * time.Minute, "1h30m"}, {14 * 24 * time.Hour, "14d"},
		{0, "0s"}, {90 * time.Second, "1m30s"},
	} {
		if got := compete.Duration(c.d).String(); got != c.text {
			t.Errorf("%s formats as %q, want %q", c.d, got, c.text)
		}
		var back compete.Duration
		if err := back.UnmarshalText([]byte(c.text)); err != nil || back.D() != c.d {
			t.Errorf("%q parses as %s (%v), want %s", c.text, back.D(), err, c.d)
		}
	}
	var d compete.Duration
	if err := d.UnmarshalText([]byte("two weeks")); err == nil {
		t.Error("nonsense parsed")
	}
	raw, err := json.Marshal(compete.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"pool_expiry":"2h"`) || !strings.Contains(string(raw), `"pause_for":"14d"`) {
		t.Fatalf("JSON %s", raw)
	}
	var back compete.Config
	if err := json.Unmarshal(raw, &back); err != nil || back.Validate() != nil || back.PoolExpiry.D() != 2*time.Hour {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}
