package service

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // timezone names validate without the host's zoneinfo

	"github.com/leadflow/leadflow"
)

// Limits on lead input (S-SEC-3).
const (
	maxTextLen     = 500
	maxCustomBytes = 16 << 10
	maxCompanySize = 10_000_000
)

var seniorities = []string{leadflow.SeniorityCLevel, leadflow.SeniorityVP, leadflow.SeniorityDirector, leadflow.SeniorityManager, leadflow.SeniorityIndividual}

// validateLeadInput checks in and returns every problem as a field error. requireKey demands an
// email or external_id, which a create needs for deduplication (S-LEAD-2).
func validateLeadInput(in *leadflow.LeadInput, requireKey bool) []leadflow.FieldError {
	var fe []leadflow.FieldError
	bad := func(field, reason string) { fe = append(fe, leadflow.FieldError{Field: field, Reason: reason}) }
	text := map[string]*string{
		"external_id": in.ExternalID, "email": in.Email, "first_name": in.FirstName, "last_name": in.LastName, "phone": in.Phone,
		"company": in.Company, "industry": in.Industry, "job_title": in.JobTitle, "seniority": in.Seniority, "country": in.Country,
		"region": in.Region, "city": in.City, "timezone": in.Timezone, "language": in.Language, "source": in.Source, "campaign": in.Campaign,
	}
	for _, name := range []string{"external_id", "email", "first_name", "last_name", "phone", "company", "industry", "job_title",
		"seniority", "country", "region", "city", "timezone", "language", "source", "campaign"} {
		if v := text[name]; v != nil {
			*v = strings.TrimSpace(*v)
			if len(*v) > maxTextLen {
				bad(name, fmt.Sprintf("must be at most %d characters", maxTextLen))
			}
		}
	}
	if in.Email != nil && *in.Email != "" {
		if a, err := mail.ParseAddress(*in.Email); err != nil || a.Address != *in.Email || !strings.Contains(a.Address, ".") {
			bad("email", "is not a valid email address")
		}
	}
	if requireKey && empty(in.Email) && empty(in.ExternalID) {
		bad("email", "is required unless external_id is given")
	}
	if in.CompanySize != nil && (*in.CompanySize < 0 || *in.CompanySize > maxCompanySize) {
		bad("company_size", fmt.Sprintf("must be between 0 and %d", maxCompanySize))
	}
	if in.Seniority != nil && *in.Seniority != "" && !contains(seniorities, *in.Seniority) {
		bad("seniority", "must be one of "+strings.Join(seniorities, ", "))
	}
	if in.Timezone != nil && *in.Timezone != "" {
		if !validTimezone(*in.Timezone) {
			bad("timezone", "is not an IANA time zone name such as Europe/Berlin")
		}
	}
	if in.Source != nil && strings.ContainsAny(*in.Source, " \t\n") {
		bad("source", "must be a single word such as web, webinar, referral, paid, event, outbound or partner")
	}
	if len(in.Custom) > 0 {
		if b, err := json.Marshal(in.Custom); err != nil {
			bad("custom", "cannot be encoded: "+err.Error())
		} else if len(b) > maxCustomBytes {
			bad("custom", fmt.Sprintf("must be at most %d bytes of JSON", maxCustomBytes))
		}
	}
	return fe
}

// knownZones caches time zone names already validated: LoadLocation reads zone data each call.
var knownZones sync.Map

func validTimezone(name string) bool {
	if _, ok := knownZones.Load(name); ok {
		return true
	}
	if _, err := time.LoadLocation(name); err != nil {
		return false
	}
	knownZones.Store(name, true)
	return true
}

func empty(p *string) bool { return p == nil || strings.TrimSpace(*p) == "" }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// validateEventInput checks one event.
func validateEventInput(in *leadflow.EventInput, now time.Time) []leadflow.FieldError {
	var fe []leadflow.FieldError
	bad := func(field, reason string) { fe = append(fe, leadflow.FieldError{Field: field, Reason: reason}) }
	in.Type = strings.TrimSpace(in.Type)
	switch {
	case in.Type == "":
		bad("type", "is required")
	case !leadflow.ValidEventType(in.Type):
		bad("type", fmt.Sprintf("unknown event type %q; use one of %s, or a custom type named custom.<name> or intent.<name>", in.Type, strings.Join(leadflow.EventTypes, ", ")))
	}
	if in.LeadID == 0 && strings.TrimSpace(in.ExternalID) == "" && strings.TrimSpace(in.Email) == "" {
		bad("lead_id", "the event must reference its lead by lead_id, external_id or email")
	}
	if in.LeadID < 0 {
		bad("lead_id", "must be positive")
	}
	if len(in.EventID) > maxTextLen {
		bad("event_id", fmt.Sprintf("must be at most %d characters", maxTextLen))
	}
	if in.OccurredAt != nil && in.OccurredAt.After(now.Add(24*time.Hour)) {
		bad("occurred_at", "must not be more than a day in the future")
	}
	if len(in.Properties) > 0 {
		if b, err := json.Marshal(in.Properties); err != nil || len(b) > maxCustomBytes {
			bad("properties", fmt.Sprintf("must be a JSON object of at most %d bytes", maxCustomBytes))
		}
	}
	if in.Lead != nil {
		for _, f := range validateLeadInput(in.Lead, false) {
			f.Field = "lead." + f.Field
			fe = append(fe, f)
		}
	}
	return fe
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// checkText refuses a free-text field (a reason, a note) longer than maxTextLen, naming it.
func checkText(field, s string) error {
	if len(s) > maxTextLen {
		return leadflow.Invalid(field, fmt.Sprintf("must be at most %d characters", maxTextLen))
	}
	return nil
}
