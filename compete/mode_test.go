package compete_test

import (
	"strings"
	"testing"

	"github.com/leadflow/leadflow/compete"
)

// TestRecommendMode is S-COMP-10: an open pool for teams under 10 reps, tiers from 10.
func TestRecommendMode(t *testing.T) {
	for _, c := range []struct {
		size int
		want compete.Mode
	}{{0, compete.ModeOpenPool}, {1, compete.ModeOpenPool}, {9, compete.ModeOpenPool}, {10, compete.ModeTiered}, {250, compete.ModeTiered}} {
		if got := compete.RecommendMode(c.size); got != c.want {
			t.Errorf("%d reps: %s, want %s", c.size, got, c.want)
		}
	}
}

// TestModeGuidance is S-COMP-10: every mode has the seed's guidance to show next to the setting.
func TestModeGuidance(t *testing.T) {
	for _, m := range compete.Modes() {
		if !m.Mode.Valid() || m.Name == "" || m.BestFor == "" || len(m.Guidance) < 100 || compete.Guidance(m.Mode) != m.Guidance {
			t.Errorf("%+v", m)
		}
	}
	if !strings.Contains(compete.Guidance(compete.ModeOpenPool), "glued to the phone") ||
		!strings.Contains(compete.Modes()[0].BestFor, "under 10") ||
		!strings.Contains(compete.Guidance(compete.ModeTiered), "15-minute exclusive window") {
		t.Error("guidance does not carry the seed's advice")
	}
	if compete.Guidance("lottery") != "" || compete.Mode("lottery").Valid() || compete.GeneralGuidance == "" {
		t.Error("unknown mode")
	}
	if !compete.ModeTiered.Pool() || !compete.ModeOpenPool.Pool() || compete.ModeSpeedToLead.Pool() || compete.ModeRoundRobin.Pool() {
		t.Error("Pool()")
	}
}
