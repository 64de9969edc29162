package demo

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
)

var testNow = time.Date(2025, time.November, 14, 10, 30, 0, 0, time.UTC)

// full is the default-sized dataset, generated once for the tests that only read it.
var full = sync.OnceValue(func() Dataset { return Generate(Options{Seed: 7, Now: testNow}) })

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	opts := Options{Leads: 400, Months: 4, Seed: 42, Now: testNow}
	a, b := Generate(opts), Generate(opts)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same options generated different datasets")
	}
	opts.Seed = 43
	c := Generate(opts)
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds generated the same dataset")
	}
	if *a.Leads[0].Input.Email == *c.Leads[0].Input.Email && *a.Leads[1].Input.Email == *c.Leads[1].Input.Email {
		t.Error("different seeds generated the same first leads")
	}
	if !reflect.DeepEqual(Costs(opts), Costs(opts)) {
		t.Error("the same options generated different costs")
	}
}

func TestGenerateDefaults(t *testing.T) {
	t.Parallel()
	d := Generate(Options{Leads: 50})
	if len(d.Leads) != 50 {
		t.Fatalf("got %d leads, want 50", len(d.Leads))
	}
	start := DefaultNow.AddDate(0, -DefaultMonths, 0)
	for _, l := range d.Leads {
		if l.CreatedAt.Before(start) || l.CreatedAt.After(DefaultNow) {
			t.Fatalf("lead created at %v, outside [%v, %v]", l.CreatedAt, start, DefaultNow)
		}
	}
	// Tiny and odd options still work.
	for _, o := range []Options{{Leads: 1, Months: 1, Now: testNow}, {Leads: 30, Months: 1, Seed: 3, Now: testNow.In(time.FixedZone("X", 5*3600))}} {
		d := Generate(o)
		if len(d.Leads) != o.Leads {
			t.Errorf("%+v: got %d leads", o, len(d.Leads))
		}
		checkEvents(t, d, o.withDefaults().Now)
	}
}

func TestLeadsAreCompleteAndUnique(t *testing.T) {
	t.Parallel()
	d := full()
	if len(d.Leads) != DefaultLeads {
		t.Fatalf("got %d leads, want %d", len(d.Leads), DefaultLeads)
	}
	extRe := regexp.MustCompile(`^crm-\d{6}$`)
	emails := map[string]bool{}
	exts := map[string]bool{}
	eventIDs := map[string]bool{}
	for i, l := range d.Leads {
		in := l.Input
		for name, v := range map[string]*string{
			"external_id": in.ExternalID, "email": in.Email, "first_name": in.FirstName, "last_name": in.LastName,
			"phone": in.Phone, "company": in.Company, "industry": in.Industry, "job_title": in.JobTitle,
			"country": in.Country, "region": in.Region, "city": in.City, "timezone": in.Timezone,
			"language": in.Language, "source": in.Source, "campaign": in.Campaign,
		} {
			if v == nil || *v == "" {
				t.Fatalf("lead %d: %s not set", i, name)
			}
		}
		if in.CompanySize == nil || *in.CompanySize < 1 || *in.CompanySize > 50000 {
			t.Fatalf("lead %d: company size %v", i, in.CompanySize)
		}
		if in.Seniority != nil {
			t.Fatalf("lead %d: seniority should be derived by leadflow, got %q", i, *in.Seniority)
		}
		if _, ok := in.Consent["email"]; !ok {
			t.Fatalf("lead %d: no email consent flag", i)
		}
		if !extRe.MatchString(*in.ExternalID) {
			t.Fatalf("lead %d: external id %q", i, *in.ExternalID)
		}
		if exts[*in.ExternalID] {
			t.Fatalf("duplicate external id %q", *in.ExternalID)
		}
		exts[*in.ExternalID] = true
		key := leadflow.NormalizeEmail(*in.Email)
		if emails[key] {
			t.Fatalf("duplicate email %q", *in.Email)
		}
		emails[key] = true
		if !strings.Contains(key, "@") || strings.ContainsAny(key, " äöüéã") {
			t.Fatalf("lead %d: malformed email %q", i, *in.Email)
		}
		for _, e := range l.Events {
			if e.EventID == "" || eventIDs[e.EventID] {
				t.Fatalf("missing or duplicate event id %q", e.EventID)
			}
			eventIDs[e.EventID] = true
		}
	}
	if len(eventIDs) < 20*len(d.Leads) {
		t.Errorf("only %d events for %d leads; expected months of activity", len(eventIDs), len(d.Leads))
	}
}

// The location fields agree with each other: the time zone belongs to the country.
func TestLocationsAreConsistent(t *testing.T) {
	t.Parallel()
	_, err := time.LoadLocation("Europe/Berlin")
	haveTZData := err == nil // time zone names are checked where the system has the database
	zones := map[string][]string{
		"US": {"America/"}, "CA": {"America/"}, "BR": {"America/"}, "GB": {"Europe/London"}, "DE": {"Europe/Berlin"},
		"FR": {"Europe/Paris"}, "NL": {"Europe/Amsterdam"}, "ID": {"Asia/Jakarta", "Asia/Makassar"}, "AU": {"Australia/"},
		"IN": {"Asia/Kolkata"}, "SG": {"Asia/Singapore"}, "JP": {"Asia/Tokyo"},
	}
	countries := map[string]int{}
	langs := map[string]map[string]int{}
	for _, l := range full().Leads {
		c, tz := *l.Input.Country, *l.Input.Timezone
		countries[c]++
		if langs[c] == nil {
			langs[c] = map[string]int{}
		}
		langs[c][*l.Input.Language]++
		ok := false
		for _, prefix := range zones[c] {
			ok = ok || strings.HasPrefix(tz, prefix)
		}
		if !ok {
			t.Fatalf("lead in %s (%s) has time zone %s", c, *l.Input.City, tz)
		}
		if _, err := time.LoadLocation(tz); err != nil && haveTZData {
			t.Fatalf("time zone %q: %v", tz, err)
		}
	}
	if len(countries) < 10 {
		t.Errorf("only %d countries", len(countries))
	}
	if countries["US"] <= countries["GB"] || countries["GB"] <= countries["SG"] {
		t.Errorf("country weights not respected: %v", countries)
	}
	for c, want := range map[string]string{"DE": "de", "ID": "id", "US": "en", "JP": "ja", "BR": "pt"} {
		top, n := "", 0
		for lang, k := range langs[c] {
			if k > n {
				top, n = lang, k
			}
		}
		if top != want {
			t.Errorf("most %s leads speak %q, want %q (%v)", c, top, want, langs[c])
		}
	}
}

func TestEveryEventTypeAppears(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for _, l := range full().Leads {
		for _, e := range l.Events {
			seen[e.Type]++
			if !leadflow.ValidEventType(e.Type) {
				t.Fatalf("invalid event type %q", e.Type)
			}
		}
	}
	for _, typ := range leadflow.EventTypes {
		if seen[typ] == 0 {
			t.Errorf("event type %s never generated", typ)
		}
	}
	if seen["intent.competitor_research"] == 0 {
		t.Error("no intent.competitor_research events")
	}
	// Page views are common, high-intent requests rare.
	if seen["page_view"] < 10*seen["demo_request"] || seen["demo_request"] < seen["quote_request"] {
		t.Errorf("implausible frequencies: %v", seen)
	}
	for _, typ := range []string{"unsubscribe", "careers_page_view", "support_ticket", "job_change", "quote_request"} {
		if seen[typ] > seen["email_open"] {
			t.Errorf("%s (%d) more common than email_open (%d)", typ, seen[typ], seen["email_open"])
		}
	}
}

func TestEventsAreOrderedAndInRange(t *testing.T) {
	t.Parallel()
	checkEvents(t, full(), testNow)
}

// checkEvents checks that leads come in creation order and that every lead's events are sorted,
// lie within [CreatedAt, now], reference the lead and come before its outcome.
func checkEvents(t *testing.T, d Dataset, now time.Time) {
	t.Helper()
	for i, l := range d.Leads {
		if i > 0 && l.CreatedAt.Before(d.Leads[i-1].CreatedAt) {
			t.Fatalf("lead %d created before lead %d", i, i-1)
		}
		if l.CreatedAt.After(now) {
			t.Fatalf("lead %d created after now", i)
		}
		var last time.Time
		for j, e := range l.Events {
			if e.OccurredAt == nil {
				t.Fatalf("lead %d event %d has no time", i, j)
			}
			at := *e.OccurredAt
			if at.Before(l.CreatedAt) || at.After(now) {
				t.Fatalf("lead %d event %s at %v outside [%v, %v]", i, e.Type, at, l.CreatedAt, now)
			}
			if at.Before(last) {
				t.Fatalf("lead %d events not sorted at %d", i, j)
			}
			last = at
			if e.Email != *l.Input.Email {
				t.Fatalf("lead %d event references %q, want %q", i, e.Email, *l.Input.Email)
			}
		}
		if l.Outcome == "" {
			if !l.OutcomeAt.IsZero() || l.OutcomeReason != "" {
				t.Fatalf("lead %d without outcome has time %v / reason %q", i, l.OutcomeAt, l.OutcomeReason)
			}
			continue
		}
		if !l.OutcomeAt.After(l.CreatedAt) || !l.OutcomeAt.Before(now) {
			t.Fatalf("lead %d outcome at %v outside (%v, %v)", i, l.OutcomeAt, l.CreatedAt, now)
		}
		if !last.IsZero() && !l.OutcomeAt.After(last) {
			t.Fatalf("lead %d outcome %s at %v not after its last event at %v", i, l.Outcome, l.OutcomeAt, last)
		}
	}
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	d := full()
	count := map[leadflow.Stage]int{}
	type agg struct{ leads, events, demos int }
	by := map[leadflow.Stage]*agg{}
	for _, l := range d.Leads {
		count[l.Outcome]++
		a := by[l.Outcome]
		if a == nil {
			a = &agg{}
			by[l.Outcome] = a
		}
		a.leads++
		a.events += len(l.Events)
		for _, e := range l.Events {
			if e.Type == "demo_request" {
				a.demos++
				break
			}
		}
		switch l.Outcome {
		case "", leadflow.StageSQL, leadflow.StageOpportunity, leadflow.StageCustomer:
		case leadflow.StageLost, leadflow.StageDisqualified, leadflow.StageNurture:
			if l.OutcomeReason == "" {
				t.Errorf("%s lead without a reason", l.Outcome)
			}
		default:
			t.Fatalf("unexpected outcome %q", l.Outcome)
		}
		if l.OutcomeReason == "student" && !strings.Contains(*l.Input.JobTitle, "Student") && !strings.Contains(*l.Input.JobTitle, "PhD") {
			t.Errorf("student disqualification for a %q", *l.Input.JobTitle)
		}
	}
	n := float64(len(d.Leads))
	for stage, want := range map[leadflow.Stage]float64{
		leadflow.StageCustomer: 0.08, leadflow.StageOpportunity: 0.08, leadflow.StageSQL: 0.10, leadflow.StageLost: 0.10,
		leadflow.StageDisqualified: 0.10, leadflow.StageNurture: 0.05, "": 0.49,
	} {
		got := float64(count[stage]) / n
		if math.Abs(got-want) > 0.25*want {
			t.Errorf("outcome %q: share %.3f, want about %.2f", stage, got, want)
		}
	}
	// Outcomes follow engagement: customers were far more active than disqualified leads, and
	// asked for demos more often.
	rate := func(s leadflow.Stage, f func(*agg) int) float64 { return float64(f(by[s])) / float64(by[s].leads) }
	events := func(a *agg) int { return a.events }
	demos := func(a *agg) int { return a.demos }
	if rate(leadflow.StageCustomer, events) < 3*rate(leadflow.StageDisqualified, events) {
		t.Errorf("customers average %.1f events, disqualified %.1f", rate(leadflow.StageCustomer, events), rate(leadflow.StageDisqualified, events))
	}
	if rate(leadflow.StageCustomer, demos) < 0.4 || rate("", demos) > 0.2 || rate(leadflow.StageDisqualified, demos) > 0.1 {
		t.Errorf("demo request rates: customer %.2f, none %.2f, disqualified %.2f",
			rate(leadflow.StageCustomer, demos), rate("", demos), rate(leadflow.StageDisqualified, demos))
	}
}

func TestRecentMonthsAreBusier(t *testing.T) {
	t.Parallel()
	first, last := 0, 0
	start := testNow.AddDate(0, -DefaultMonths, 0)
	for _, l := range full().Leads {
		switch {
		case l.CreatedAt.Before(start.AddDate(0, 1, 0)):
			first++
		case l.CreatedAt.After(testNow.AddDate(0, -1, 0)):
			last++
		}
	}
	if last < 2*first {
		t.Errorf("%d leads in the first month, %d in the last; recent months should be busier", first, last)
	}
}

func TestEventProperties(t *testing.T) {
	t.Parallel()
	str := func(e leadflow.EventInput, k string) string {
		s, _ := e.Properties[k].(string)
		return s
	}
	demoClicks := 0
	for _, l := range full().Leads {
		for _, e := range l.Events {
			bad := false
			switch e.Type {
			case "page_view", "careers_page_view":
				bad = !strings.HasPrefix(str(e, "path"), "/") || str(e, "url") != "https://example.com"+str(e, "path")
				bad = bad || (e.Type == "careers_page_view") != strings.HasPrefix(str(e, "path"), "/careers")
			case "pricing_page_view":
				bad = str(e, "path") != "/pricing"
			case "content_download":
				bad = !slices.Contains([]string{"case_study", "whitepaper", "ebook"}, str(e, "content_type")) || str(e, "title") == ""
			case "email_open":
				bad = str(e, "email_id") == ""
			case "email_click":
				bad = str(e, "email_id") == "" || !strings.HasPrefix(str(e, "url"), "https://")
				if strings.Contains(str(e, "url"), "/demo") {
					demoClicks++
				}
			case "webinar_registered", "webinar_attended":
				bad = str(e, "webinar") == ""
			case "event_attended":
				bad = str(e, "event") == ""
			case "support_ticket":
				bad = !slices.Contains([]string{"billing", "sales", "technical"}, str(e, "category"))
			case "job_change":
				_, ok := e.Properties["to_competitor"].(bool)
				bad = !ok
			case "form_submit":
				bad = str(e, "form") == ""
			case "demo_request":
				bad = str(e, "path") != "/demo"
			case "intent.competitor_research":
				bad = str(e, "competitor") == ""
			}
			if bad {
				t.Fatalf("%s event with properties %v", e.Type, e.Properties)
			}
		}
	}
	if demoClicks == 0 {
		t.Error("no email clicks on a /demo link")
	}
}

// Nobody gets email after unsubscribing, and only those who consented get newsletters.
func TestUnsubscribeIsHonoured(t *testing.T) {
	t.Parallel()
	for _, l := range full().Leads {
		var unsub *time.Time
		for _, e := range l.Events {
			if e.Type == "unsubscribe" {
				if !l.Input.Consent["email"] {
					t.Fatalf("%s unsubscribed without having consented", *l.Input.Email)
				}
				unsub = e.OccurredAt
			}
			if strings.HasPrefix(e.Type, "email_") {
				if unsub != nil && e.OccurredAt.After(*unsub) {
					t.Fatalf("%s got %s after unsubscribing", *l.Input.Email, e.Type)
				}
				if id := e.Properties["email_id"].(string); strings.HasPrefix(id, "nl-") && !l.Input.Consent["email"] {
					t.Fatalf("%s got newsletter %s without consent", *l.Input.Email, id)
				}
			}
		}
	}
}

func TestCosts(t *testing.T) {
	t.Parallel()
	opts := Options{Seed: 7, Now: testNow}
	costs := Costs(opts)
	if len(costs) == 0 {
		t.Fatal("no costs")
	}
	start := testNow.AddDate(0, -DefaultMonths, 0)
	sources := map[string]bool{}
	campaigns := map[string]bool{}
	total := 0.0
	for i, c := range costs {
		if c.Amount <= 0 || c.Currency != "USD" || c.Source == "" || c.Campaign == "" {
			t.Fatalf("bad cost %+v", c)
		}
		if !c.From.Before(c.To) || c.From.Before(start) || c.To.After(testNow) {
			t.Fatalf("cost period %v..%v outside %v..%v", c.From, c.To, start, testNow)
		}
		if i > 0 && c.From.Before(costs[i-1].From) {
			t.Fatal("costs not sorted by period")
		}
		sources[c.Source] = true
		campaigns[c.Source+"/"+c.Campaign] = true
		total += c.Amount
	}
	// Every campaign that brought leads has costs.
	for _, l := range full().Leads {
		if k := *l.Input.Source + "/" + *l.Input.Campaign; !campaigns[k] {
			t.Errorf("no costs for %s", k)
		}
	}
	if len(sources) != 7 {
		t.Errorf("costs for %d sources, want 7", len(sources))
	}
	// A believable cost per SQL-or-better lead for B2B software: hundreds to a few thousand.
	sqls := 0
	for _, l := range full().Leads {
		switch l.Outcome {
		case leadflow.StageSQL, leadflow.StageOpportunity, leadflow.StageCustomer:
			sqls++
		}
	}
	if cpsql := total / float64(sqls); cpsql < 200 || cpsql > 3000 {
		t.Errorf("cost per SQL %.0f USD", cpsql)
	}
}

func ExampleGenerate() {
	d := Generate(Options{Leads: 100, Months: 3, Seed: 1, Now: time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC)})
	fmt.Println(len(d.Leads), *d.Leads[0].Input.ExternalID, *d.Leads[99].Input.ExternalID)
	// Output: 100 crm-000001 crm-000100
}

func BenchmarkGenerate(b *testing.B) {
	events := 0
	for b.Loop() {
		d := Generate(Options{Seed: 1, Now: testNow})
		events = 0
		for _, l := range d.Leads {
			events += len(l.Events)
		}
	}
	b.ReportMetric(float64(events), "events/op")
}

func BenchmarkCosts(b *testing.B) {
	for b.Loop() {
		Costs(Options{Seed: 1, Now: testNow})
	}
}
