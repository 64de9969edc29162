package compete

import (
	"time"

	"github.com/leadflow/leadflow"
)

// IsBlind decides whether a lead entering the pool is offered blind, with its quality hidden
// (S-COMP-5); the service stores the answer as PoolLead.Blind. The choice is a fixed hash of the
// lead id, so it is stable — a lead released again, or decided on another node, gets the same
// answer — and about cfg.BlindPercent of all leads are blind. Reps cannot predict it from the id.
func IsBlind(leadID int64, cfg Config) bool {
	if cfg.BlindPercent <= 0 {
		return false
	}
	return int(mix64(uint64(leadID))%100) < cfg.BlindPercent
}

// mix64 is the SplitMix64 finaliser: a bijective 64-bit mix with good avalanche, so that
// consecutive ids spread uniformly.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// LeadPreview is what a rep is shown of a pool lead before claiming it (S-NOTIFY-2): company
// name and size, contact title, lead source, and — unless the lead is blind — score and band.
type LeadPreview struct {
	Company      string `json:"company,omitempty"`
	CompanySize  int    `json:"company_size,omitempty"`
	ContactTitle string `json:"contact_title,omitempty"`
	Source       string `json:"source,omitempty"`
	// Score is the total score; nil (absent from JSON) for a blind lead.
	Score *float64 `json:"score,omitempty"`
	// Band is the score band; "" (absent from JSON) for a blind lead.
	Band string `json:"band,omitempty"`
	// Blind is true when quality is hidden.
	Blind bool `json:"blind,omitempty"`
}

// PreviewOf takes the full preview fields of a lead.
func PreviewOf(l *leadflow.Lead) LeadPreview {
	total := l.Score.Total
	return LeadPreview{Company: l.Company, CompanySize: l.CompanySize, ContactTitle: l.JobTitle,
		Source: l.Source, Score: &total, Band: l.Score.Band}
}

// Preview returns the preview a rep may see (S-COMP-5): unchanged for a normal lead; for a blind
// lead with score and band removed — in the API as well as the UI, so the fields must not be
// sent at all — and, with cfg.BlindHidesDetails, company size and contact title removed too.
// The result never shares the score with p.
func Preview(p LeadPreview, blind bool, cfg Config) LeadPreview {
	if p.Score != nil {
		s := *p.Score
		p.Score = &s
	}
	if !blind {
		p.Blind = false
		return p
	}
	p.Score, p.Band, p.Blind = nil, "", true
	if cfg.BlindHidesDetails {
		p.CompanySize, p.ContactTitle = 0, ""
	}
	return p
}

// Offer is the content of a pool notification and of the pool listing (S-NOTIFY-2).
type Offer struct {
	LeadID int64 `json:"lead_id"`
	LeadPreview
	// ExpiresAt is when the lead leaves the pool; TimeLeftSeconds the whole seconds from now
	// until then (0 once expired).
	ExpiresAt       time.Time `json:"expires_at"`
	TimeLeftSeconds int64     `json:"time_left_seconds"`
}

// OfferContent builds the offer for a pool lead at now (S-NOTIFY-2): the preview, redacted when
// the lead is blind (PoolLead.Blind), and the time left to claim before the pool expiry (S-COMP-3).
func OfferContent(now time.Time, lead PoolLead, p LeadPreview, cfg Config) Offer {
	exp := lead.ExpiresAt(cfg)
	left := max(exp.Sub(now), 0)
	return Offer{LeadID: lead.ID, LeadPreview: Preview(p, lead.Blind, cfg),
		ExpiresAt: exp, TimeLeftSeconds: int64(left / time.Second)}
}
