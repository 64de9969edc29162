package bench

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/demo"
)

// corpus holds realistic lead and event templates taken from the demo generator. Benchmark rows
// are made from them by splicing a unique identity (email, external_id, event_id) in front of the
// template's pre-encoded JSON, so building a request body costs a couple of copies and the load
// generator, which shares the machine with the server, stays cheap.
type corpus struct {
	leads  []leadTemplate
	events []eventTemplate
}

// leadTemplate is a demo lead without its identity.
type leadTemplate struct {
	in            leadflow.LeadInput // Email and ExternalID are nil
	local, domain string             // the template email split at '@'
	rest          []byte             // JSON of in after the opening '{' (includes the closing '}')
}

// eventTemplate is a demo event without its identity or time.
type eventTemplate struct {
	typ   string
	props map[string]any
	// propsJSON is the encoded properties ("" when none): the events.properties column.
	propsJSON string
	rest      []byte // JSON of {"type":…,"properties":…} after the opening '{'
}

const (
	corpusLeads  = 2000
	corpusEvents = 4000
)

// newCorpus generates the templates (deterministic: a fixed seed and the demo's fixed clock).
func newCorpus() *corpus {
	ds := demo.Generate(demo.Options{Leads: corpusLeads, Seed: 20250630})
	c := &corpus{}
	for _, gl := range ds.Leads {
		if gl.Input.Email == nil || !plainASCII(*gl.Input.Email) {
			continue
		}
		local, domain, ok := strings.Cut(*gl.Input.Email, "@")
		if !ok || local == "" || strings.ContainsAny(local, "+@") {
			continue
		}
		in := gl.Input
		in.Email, in.ExternalID = nil, nil
		b, err := json.Marshal(in)
		if err != nil || len(b) < 3 {
			continue
		}
		c.leads = append(c.leads, leadTemplate{in: in, local: local, domain: domain, rest: b[1:]})
		for _, ev := range gl.Events {
			if len(c.events) >= corpusEvents || !leadflow.ValidEventType(ev.Type) {
				continue
			}
			in := leadflow.EventInput{Type: ev.Type, Properties: ev.Properties}
			b, err := json.Marshal(in)
			if err != nil {
				continue
			}
			var props string
			if len(ev.Properties) > 0 {
				p, _ := json.Marshal(ev.Properties)
				props = string(p)
			}
			c.events = append(c.events, eventTemplate{typ: ev.Type, props: ev.Properties, propsJSON: props, rest: b[1:]})
		}
	}
	// Spread event types evenly over the index space instead of lead by lead.
	for i := range c.events {
		j := int(mix(uint64(i)) % uint64(len(c.events)))
		c.events[i], c.events[j] = c.events[j], c.events[i]
	}
	return c
}

// plainASCII reports whether s can be written as a JSON string without escaping.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\' {
			return false
		}
	}
	return true
}

// mix is splitmix64: a cheap deterministic hash used to pick templates and leads.
func mix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// genLead is one benchmark lead: a template with a unique identity.
type genLead struct {
	t          *leadTemplate
	email, ext string
}

// lead returns lead i of the set named tag (tag is short, lower-case alphanumeric).
func (c *corpus) lead(tag string, i int) genLead {
	t := &c.leads[i%len(c.leads)]
	n := strconv.Itoa(i)
	return genLead{t: t, email: t.local + "+" + tag + n + "@" + t.domain, ext: "bench-" + tag + "-" + n}
}

// appendBody appends the lead's JSON request body.
func (g genLead) appendBody(b []byte) []byte {
	b = append(b, `{"external_id":"`...)
	b = append(b, g.ext...)
	b = append(b, `","email":"`...)
	b = append(b, g.email...)
	b = append(b, `",`...)
	return append(b, g.t.rest...)
}

func (g genLead) body() []byte { return g.appendBody(make([]byte, 0, len(g.t.rest)+80)) }

// search is the store's search column for the lead.
func (g genLead) search() string {
	in := &g.t.in
	return strings.ToLower(strings.Join([]string{g.email, deref(in.FirstName), deref(in.LastName), deref(in.Company)}, " "))
}

// model returns the lead as the domain type, for inserting through the store directly.
func (g genLead) model(now time.Time) *leadflow.Lead {
	in := &g.t.in
	l := &leadflow.Lead{ExternalID: g.ext, Email: g.email, FirstName: deref(in.FirstName), LastName: deref(in.LastName),
		Phone: deref(in.Phone), Company: deref(in.Company), Industry: deref(in.Industry), JobTitle: deref(in.JobTitle),
		Country: deref(in.Country), Region: deref(in.Region), City: deref(in.City), Timezone: deref(in.Timezone),
		Language: deref(in.Language), Source: deref(in.Source), Campaign: deref(in.Campaign), Custom: in.Custom,
		Consent: in.Consent, Stage: leadflow.StageNew, CreatedAt: now, UpdatedAt: now}
	if in.CompanySize != nil {
		l.CompanySize = *in.CompanySize
	}
	l.Seniority = leadflow.DeriveSeniority(l.JobTitle)
	return l
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// genEvent is one benchmark event: a template, a unique event_id and the lead it references.
type genEvent struct {
	t       *eventTemplate
	id      string
	leadIdx int // index of the referenced lead in its set
	email   string
}

// event returns event k of the set named tag, referencing a pseudo-random lead among the first
// leads leads of the lead set leadTag.
func (c *corpus) event(tag string, k int, leadTag string, leads int) genEvent {
	h := mix(uint64(k) ^ 0x5bd1e995)
	idx := int(h % uint64(leads))
	t := &c.events[int((h>>32)%uint64(len(c.events)))]
	return genEvent{t: t, id: "bench-" + tag + "-" + strconv.Itoa(k), leadIdx: idx, email: c.lead(leadTag, idx).email}
}

// appendBody appends the event's JSON object.
func (e genEvent) appendBody(b []byte) []byte {
	b = append(b, `{"event_id":"`...)
	b = append(b, e.id...)
	b = append(b, `","email":"`...)
	b = append(b, e.email...)
	b = append(b, `",`...)
	return append(b, e.t.rest...)
}

func (e genEvent) body() []byte { return e.appendBody(make([]byte, 0, len(e.t.rest)+80)) }

// input returns the lead as the service's input, as the API would decode its body.
func (g genLead) input() leadflow.LeadInput {
	in := g.t.in
	email, ext := g.email, g.ext
	in.Email, in.ExternalID = &email, &ext
	return in
}
