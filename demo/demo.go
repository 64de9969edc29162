// Package demo generates realistic leads and months of their activity: what `leadflow demo` loads
// so that a newcomer sees a live system with a few thousand leads, and what the benchmarks feed
// through the service layer.
//
// Generation is a pure function of Options: the same seed and time give exactly the same data,
// and nothing reads the wall clock. The data is fictional but shaped like a real B2B funnel:
// companies and people from a dozen countries with consistent cities, time zones, phone numbers
// and languages; leads arriving more often in recent months; activity that is bursty after a lead
// arrives and then fades; and outcomes (SQL, opportunity, customer, lost, ...) that follow fit and
// engagement.
package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/leadflow/leadflow"
)

// Defaults used for zero Options fields.
const (
	DefaultLeads  = 3000
	DefaultMonths = 6
)

// DefaultNow is the reference time used when Options.Now is zero, so that generation never
// depends on the wall clock.
var DefaultNow = time.Date(2025, time.June, 30, 17, 0, 0, 0, time.UTC)

// Options controls generation. Zero fields take the defaults.
type Options struct {
	Leads  int       // number of leads (default 3000)
	Months int       // how far back activity goes (default 6)
	Seed   uint64    // the same seed gives exactly the same data
	Now    time.Time // the end of the generated history (default DefaultNow)
}

// Dataset is the generated data, ready to be fed through the service layer in order: leads are
// sorted by CreatedAt, and each lead's events by OccurredAt.
type Dataset struct {
	Leads []GeneratedLead
}

// GeneratedLead is one lead as a form or CRM would send it, its activity, and where it ends up in
// the funnel.
type GeneratedLead struct {
	// Input has every field a real form or CRM fills in (seniority is left for leadflow to
	// derive from the job title). Emails are unique case-insensitively, external ids
	// ("crm-000123", numbered in creation order) are unique.
	Input     leadflow.LeadInput
	CreatedAt time.Time
	// Events are sorted by OccurredAt and lie within [CreatedAt, Now]. Each has a unique, stable
	// EventID and references the lead by Email.
	Events []leadflow.EventInput
	// Outcome is where the lead ends up in the funnel; the caller walks it through valid stages.
	// One of "" (stays where scoring puts it), sql, opportunity, customer, lost, disqualified
	// or nurture.
	Outcome leadflow.Stage
	// OutcomeReason says why a lead was lost, disqualified or sent to nurture, e.g. "no
	// budget", "competitor chosen", "student", "spam".
	OutcomeReason string
	// OutcomeAt is when the outcome was recorded: after the lead's last event and before Now.
	// Zero when Outcome is "".
	OutcomeAt time.Time
}

// Seed mixing constants: each stream of randomness gets its own PCG sequence.
const (
	streamLeads    = 0x9E3779B97F4A7C15
	streamSchedule = 0xD1B54A32D192ED03
	streamOutcome  = 0x8CB92BA72F3D8DD7
	streamCosts    = 0xA0761D6478BD642F
	streamEvents   = 0xE7037ED1A0B428DB
)

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^stream))
}

// withDefaults fills in zero fields.
func (o Options) withDefaults() Options {
	if o.Leads <= 0 {
		o.Leads = DefaultLeads
	}
	if o.Months <= 0 {
		o.Months = DefaultMonths
	}
	if o.Now.IsZero() {
		o.Now = DefaultNow
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	return o
}

// Generate creates the dataset for opts. It is deterministic: the same Options always give the
// same Dataset.
func Generate(opts Options) Dataset {
	o := opts.withDefaults()
	w := newWorld(o)
	profiles := w.profiles()
	w.assignOutcomes(profiles)
	leads := make([]GeneratedLead, len(profiles))
	for i, p := range profiles {
		leads[i] = w.build(p)
	}
	return Dataset{Leads: leads}
}

// world holds the time frame and the shared schedules (newsletters, webinars, trade shows) that
// every lead's activity refers to.
type world struct {
	o          Options
	start, now time.Time
	mailings   []mailing
	webinars   []webinar
	shows      []tradeShow
}

type mailing struct {
	id, subject string
	at          time.Time
	update      bool // a monthly product update rather than the weekly newsletter
}

type webinar struct {
	id, title, campaign string
	at                  time.Time
	deepDive            bool
}

type tradeShow struct {
	name, campaign string
	country        *country
	city           *city
	at             time.Time // opening, 9:00 local time
	days           int
	sponsorship    float64
}

func newWorld(o Options) *world {
	w := &world{o: o, now: o.Now, start: o.Now.AddDate(0, -o.Months, 0)}
	r := newRand(o.Seed, streamSchedule)

	// Weekly newsletter on Tuesdays 15:00 UTC, monthly product update on the first Thursday.
	day := midnight(w.start.AddDate(0, 0, -7))
	for ; !day.After(w.now); day = day.AddDate(0, 0, 1) {
		switch {
		case day.Weekday() == time.Tuesday:
			w.mailings = append(w.mailings, mailing{
				id:      "nl-" + day.Format("2006-01-02"),
				subject: pick(r, newsletterSubjects),
				at:      day.Add(15 * time.Hour),
			})
		case day.Weekday() == time.Thursday && day.Day() <= 7:
			w.mailings = append(w.mailings, mailing{
				id:      "product-update-" + day.Format("2006-01"),
				subject: "What's new in leadflow: " + day.Format("January 2006"),
				at:      day.Add(14 * time.Hour),
				update:  true,
			})
		}
	}

	// Webinars every other Thursday at 16:00 UTC, alternating a thought-leadership series and a
	// live product demo; the schedule runs a month past now so recent registrants have one.
	first := midnight(w.start)
	for first.Weekday() != time.Thursday {
		first = first.AddDate(0, 0, 1)
	}
	ti := r.IntN(len(webinarTitles))
	for i, at := 0, first.Add(16*time.Hour); at.Before(w.now.AddDate(0, 1, 0)); i, at = i+1, at.AddDate(0, 0, 14) {
		wb := webinar{id: "wb-" + at.Format("2006-01-02"), at: at}
		if i%2 == 1 {
			wb.title, wb.campaign, wb.deepDive = deepDiveTitle, "product-deep-dive", true
		} else {
			wb.title = webinarTitles[ti%len(webinarTitles)]
			ti++
			wb.campaign = quarterName(at) + "-webinar-series"
		}
		w.webinars = append(w.webinars, wb)
	}

	// A trade show every three to six weeks.
	order := r.Perm(len(showTemplates))
	k := 0
	for at := w.start.AddDate(0, 0, 5+r.IntN(20)); at.Before(w.now); at = at.AddDate(0, 0, 21+r.IntN(22)) {
		tpl := showTemplates[order[k%len(order)]]
		k++
		c := countryByCode(tpl.country)
		ct := cityByName(c, tpl.city)
		open := localAt(midnight(at), ct.offset, 9)
		if open.After(w.now) {
			break
		}
		w.shows = append(w.shows, tradeShow{
			name:        tpl.name + " " + at.Format("2006"),
			campaign:    slug(tpl.name) + "-" + at.Format("2006"),
			country:     c,
			city:        ct,
			at:          open,
			days:        1 + r.IntN(3),
			sponsorship: math.Round((8000+r.Float64()*37000)/500) * 500,
		})
	}
	return w
}

// quarterName is "q1" .. "q4" for t.
func quarterName(t time.Time) string {
	return "q" + string(rune('1'+(int(t.Month())-1)/3))
}

func countryByCode(code string) *country {
	for i := range countries {
		if countries[i].code == code {
			return &countries[i]
		}
	}
	panic("demo: unknown country " + code)
}

func cityByName(c *country, name string) *city {
	for i := range c.cities {
		if c.cities[i].name == name {
			return &c.cities[i]
		}
	}
	panic("demo: unknown city " + name)
}

// ---- small random helpers ----

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// pickWeighted returns an index into weights, chosen in proportion to the weights.
func pickWeighted(r *rand.Rand, n int, weight func(int) float64) int {
	total := 0.0
	for i := range n {
		total += weight(i)
	}
	x := r.Float64() * total
	for i := range n {
		x -= weight(i)
		if x < 0 {
			return i
		}
	}
	return n - 1
}

// table is a precomputed cumulative weight table for fast weighted picks.
type table []float64

func newTable(n int, weight func(int) float64) table {
	t := make(table, n)
	sum := 0.0
	for i := range n {
		sum += weight(i)
		t[i] = sum
	}
	return t
}

func (t table) pick(r *rand.Rand) int {
	x := r.Float64() * t[len(t)-1]
	i, _ := slices.BinarySearch(t, x)
	if i >= len(t) {
		i = len(t) - 1
	}
	return i
}

// lognormal returns a log-normal draw with the given median.
func lognormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// poisson returns a Poisson draw with the given mean.
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		n := int(math.Round(mean + math.Sqrt(mean)*r.NormFloat64()))
		return max(n, 0)
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// ---- time helpers ----

func days(d float64) time.Duration { return time.Duration(d * 24 * float64(time.Hour)) }

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func midnight(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// localAt returns the UTC instant at the given local hour on the local day that starts at the UTC
// midnight day, for a place offset hours from UTC.
func localAt(day time.Time, offset, hour float64) time.Time {
	return day.Add(hours(hour - offset)).Truncate(time.Second)
}

// localDay returns the local calendar day of t, as a UTC midnight.
func localDay(t time.Time, offset float64) time.Time {
	return midnight(t.Add(hours(offset)))
}

// workHour draws a local hour of day at which people fill in forms and read email.
func workHour(r *rand.Rand) float64 {
	if chance(r, 0.12) {
		return 19 + r.Float64()*4 // evening
	}
	return clamp(13+2.6*r.NormFloat64(), 7, 22.5)
}

// daytime moves t to a plausible local working time on the same local day, keeping t if that
// falls outside [lo, hi].
func daytime(r *rand.Rand, t time.Time, offset float64, lo, hi time.Time) time.Time {
	d := localDay(t, offset)
	if wd := d.Weekday(); (wd == time.Saturday || wd == time.Sunday) && chance(r, 0.7) {
		// Most people do not work weekends: move to one of the five weekdays before.
		back := 1 + r.IntN(5)
		if wd == time.Sunday {
			back++
		}
		d = d.AddDate(0, 0, -back)
	}
	c := localAt(d, offset, workHour(r))
	if c.Before(lo) || c.After(hi) {
		return t.Truncate(time.Second)
	}
	return c
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
