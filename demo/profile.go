package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/leadflow/leadflow"
)

// company is an account several leads can belong to.
type company struct {
	name, domain, industry string
	size                   int
	country                *country
}

// profile is everything decided about a lead before its activity is generated.
type profile struct {
	no      int // 1-based position in creation order
	created time.Time

	first, last, email, phone, title string
	level                            int // see title.level
	co                               *company
	country                          *country
	city                             *city
	lang                             string

	source, campaign string
	webinar          *webinar   // the webinar a webinar-sourced lead registered for
	show             *tradeShow // the trade show an event-sourced lead was scanned at
	partner          string
	utmSource        string
	utmMedium        string

	consent, spam, student, webmail bool

	fit   float64 // firmographic fit, 0..1
	eng   float64 // latent engagement, roughly standard normal
	quiet bool    // goes quiet soon after arriving
	super bool    // a very engaged minority
	pct   float64 // quality percentile among all leads, 0..1
	seed  uint64  // seed of this lead's activity stream

	outcome   leadflow.Stage
	reason    string
	outcomeAt time.Time
}

var (
	countryTable  = newTable(len(countries), func(i int) float64 { return countries[i].weight })
	industryTable = newTable(len(industries), func(i int) float64 { return industries[i].weight })
	sourceTable   = newTable(len(sources), func(i int) float64 { return sources[i].weight })
)

// auMix is Australian naming: local words and some international ones.
var auMix = slices.Concat(auPrefixes, enPrefixes[:20])

// Median company size (employees) per industry; sizes are log-normal around it.
var sizeMedian = map[string]float64{
	"Technology": 70, "Software": 55, "Financial Services": 180, "Healthcare": 250, "Manufacturing": 220,
	"Retail": 120, "Education": 150, "Logistics": 160, "Energy": 400, "Media": 45, "Government": 1500,
	"Telecommunications": 900, "Professional Services": 35, "Real Estate": 30, "Non-profit": 25,
}

// Institution names and domains per country; {city} is the city name, {slug} its ASCII slug.
var institutions = map[string]struct{ uni, uniDomain, gov, govDomain string }{
	"US": {"University of {city}", "u{slug}.edu", "City of {city}", "{slug}.gov"},
	"GB": {"University of {city}", "{slug}.ac.uk", "{city} City Council", "{slug}.gov.uk"},
	"CA": {"University of {city}", "u{slug}.ca", "City of {city}", "{slug}.ca"},
	"DE": {"Technische Universität {city}", "tu-{slug}.de", "Stadt {city}", "stadt-{slug}.de"},
	"ID": {"Universitas Negeri {city}", "un{slug}.ac.id", "Pemerintah Kota {city}", "{slug}kota.go.id"},
	"AU": {"University of {city}", "{slug}.edu.au", "City of {city}", "cityof{slug}.gov.au"},
	"FR": {"Université de {city}", "univ-{slug}.fr", "Ville de {city}", "ville-{slug}.fr"},
	"NL": {"Universiteit {city}", "uni{slug}.nl", "Gemeente {city}", "{slug}.nl"},
	"IN": {"{city} Institute of Technology", "{slug}it.ac.in", "{city} Municipal Corporation", "{slug}mc.gov.in"},
	"SG": {"Lion City University", "lcu.edu.sg", "Smart City Office", "smartcity.gov.sg"},
	"BR": {"Universidade Federal de {city}", "uf{slug}.edu.br", "Prefeitura de {city}", "{slug}.gov.br"},
	"JP": {"{city} University", "{slug}-u.ac.jp", "{city} City Office", "city.{slug}.lg.jp"},
}

type profileGen struct {
	w         *world
	r         *rand.Rand
	emails    map[string]bool
	companies map[string]*company   // by country code + name
	byCountry map[string][]*company // accounts per country, for leads joining an existing account
}

// profiles draws every lead's profile from the lead stream and returns them in creation order.
func (w *world) profiles() []*profile {
	g := &profileGen{
		w:         w,
		r:         newRand(w.o.Seed, streamLeads),
		emails:    make(map[string]bool, w.o.Leads),
		companies: make(map[string]*company, w.o.Leads),
		byCountry: make(map[string][]*company),
	}
	ps := make([]*profile, w.o.Leads)
	for i := range ps {
		ps[i] = g.lead()
	}
	slices.SortStableFunc(ps, func(a, b *profile) int { return a.created.Compare(b.created) })
	for i, p := range ps {
		p.no = i + 1
	}
	return ps
}

func (g *profileGen) lead() *profile {
	r, w := g.r, g.w
	p := &profile{}
	src := &sources[sourceTable.pick(r)]
	if src.name == "event" && len(w.shows) == 0 {
		src = &sources[0]
	}
	p.source = src.name

	// Where and when.
	if p.source == "event" {
		p.show = &w.shows[r.IntN(len(w.shows))]
		p.country = p.show.country
		if !chance(r, 0.65) {
			p.country = &countries[countryTable.pick(r)]
		}
		p.city = g.city(p.country)
		if p.country == p.show.country && chance(r, 0.6) {
			p.city = p.show.city
		}
		// Badge scanned during the show, in the show's local hours.
		day := midnight(p.show.at.Add(hours(p.show.city.offset))).AddDate(0, 0, r.IntN(p.show.days))
		p.created = localAt(day, p.show.city.offset, 9.5+r.Float64()*8)
		if p.created.After(w.now) {
			p.created = p.show.at.Add(time.Duration(r.Int64N(int64(w.now.Sub(p.show.at)) + 1))).Truncate(time.Second)
		}
	} else {
		p.country = &countries[countryTable.pick(r)]
		p.city = g.city(p.country)
		p.created = g.createdTime(p.city.offset)
	}
	p.created = minTime(maxTime(p.created, w.start), w.now)

	p.lang = p.country.lang
	if p.city.lang != "" {
		p.lang = p.city.lang
	}
	if chance(r, p.country.english) {
		p.lang = "en"
	}

	// Campaign.
	switch p.source {
	case "webinar":
		i, _ := slices.BinarySearchFunc(w.webinars, p.created, func(wb webinar, t time.Time) int { return wb.at.Compare(t) })
		if i < len(w.webinars) && w.webinars[i].at.Equal(p.created) {
			i++
		}
		if i >= len(w.webinars) {
			i = len(w.webinars) - 1
		}
		// Most register for the next webinar, some for the one after.
		if i+1 < len(w.webinars) && chance(r, 0.25) {
			i++
		}
		p.webinar = &w.webinars[i]
		p.campaign = p.webinar.campaign
	case "event":
		p.campaign = p.show.campaign
	case "outbound":
		if chance(r, sdrEmailCost.weight/100) {
			p.campaign = "sdr-cold-email-" + quarterName(p.created)
		} else {
			p.campaign = src.campaigns[pickWeighted(r, len(src.campaigns), func(i int) float64 { return src.campaigns[i].weight })].name
		}
	default:
		p.campaign = src.campaigns[pickWeighted(r, len(src.campaigns), func(i int) float64 { return src.campaigns[i].weight })].name
	}
	switch p.campaign {
	case "google-ads-brand", "google-ads-generic":
		p.utmSource, p.utmMedium = "google", "cpc"
	case "linkedin-lead-gen":
		p.utmSource, p.utmMedium = "linkedin", "paid_social"
	case "meta-retargeting":
		p.utmSource, p.utmMedium = "facebook", "paid_social"
	case "capterra-ppc":
		p.utmSource, p.utmMedium = "capterra", "cpc"
	case "review-sites":
		p.utmSource, p.utmMedium = "g2", "referral"
	}
	if p.source == "partner" {
		p.partner = pick(r, partnerNames)
	}

	// Who.
	p.spam = (p.source == "web" || p.source == "paid") && chance(r, 0.025)
	p.student = !p.spam && (p.source == "web" || p.source == "paid" || p.source == "webinar" || p.source == "event") && chance(r, 0.045)
	switch {
	case p.spam:
		g.spammer(p)
	default:
		g.person(p, src)
	}
	p.consent = chance(r, p.country.consent)
	switch p.source {
	case "outbound":
		p.consent = chance(r, 0.25) // cold contacts have rarely opted in
	case "event":
		p.consent = chance(r, 0.7)
	}

	// Latent fit and engagement.
	p.fit = g.fit(p)
	p.eng = 0.45*(p.fit-0.55)/0.18 + 0.9*r.NormFloat64()
	switch p.source {
	case "webinar", "event", "referral":
		p.eng += 0.25
	case "outbound":
		p.eng -= 0.4
	}
	p.quiet = chance(r, 0.22+0.18*b2f(p.eng < -0.5))
	p.super = !p.quiet && (p.eng > 1.4 && chance(r, 0.55) || chance(r, 0.015))
	if p.spam {
		p.quiet, p.super, p.eng = true, false, -2
	}
	p.seed = r.Uint64()
	return p
}

func sourceByName(name string) *sourceDef {
	for i := range sources {
		if sources[i].name == name {
			return &sources[i]
		}
	}
	panic("demo: unknown source " + name)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (g *profileGen) city(c *country) *city {
	return &c.cities[pickWeighted(g.r, len(c.cities), func(i int) float64 { return c.cities[i].weight })]
}

// createdTime draws a creation time: more recent months are busier (density rising linearly to
// about four times the oldest month's), in local working hours, mostly on weekdays.
func (g *profileGen) createdTime(offset float64) time.Time {
	r, w := g.r, g.w
	span := w.now.Sub(w.start)
	u := r.Float64()
	f := (-0.35 + math.Sqrt(0.35*0.35+2.6*u)) / 1.3
	t := w.start.Add(time.Duration(f * float64(span)))
	return daytime(r, t, offset, w.start, w.now)
}

// person fills in a real person: company, title, name, email and phone.
func (g *profileGen) person(p *profile, src *sourceDef) {
	r := g.r
	set := nameSets[p.country.names]
	if p.city.names != "" {
		set = nameSets[p.city.names]
	}
	p.first, p.last = pick(r, set.first), pick(r, set.last)

	if p.student {
		p.co = g.institution(p.country, p.city, false)
		p.title, p.level = "Student", 0
		if chance(r, 0.3) {
			p.title = pick(r, []string{"MBA Student", "PhD Candidate", "Graduate Student"})
		}
	} else {
		// Outbound and partners target established companies; join an existing account
		// sometimes (several people of one company).
		if list := g.byCountry[p.country.code]; len(list) > 0 && chance(r, 0.2+0.15*b2f(src.name == "outbound")) {
			p.co = list[r.IntN(len(list))]
		} else {
			p.co = g.newCompany(p.country, p.city, src.name)
		}
		p.title, p.level = g.title(p.co, p.lang)
	}

	p.webmail = chance(r, webmailShare(p))
	domain := p.co.domain
	if p.webmail {
		domain = pick(r, p.country.webmail)
	}
	p.email = g.uniqueEmail(g.localPart(p), domain)
	p.phone = phone(r, p.country, p.city)
}

func webmailShare(p *profile) float64 {
	switch s := p.co.size; {
	case p.student:
		return 0.85
	case s <= 10:
		return 0.45
	case s <= 50:
		return 0.12
	default:
		return 0.03
	}
}

// spammer fills in the junk a bot or a bored visitor types into a form.
func (g *profileGen) spammer(p *profile) {
	r := g.r
	p.first = pick(r, []string{"test", "asdf", "John", "aaa", "Test", "qwerty", "x"})
	p.last = pick(r, []string{"test", "asdf", "Doe", "bbb", "User", "xxx", "."})
	junk := pick(r, []string{"asdf", "test", "qwe", "abc", "noreply", "xx"})
	local := junk + strconv.Itoa(r.IntN(100000))
	p.email = g.uniqueEmail(local, pick(r, []string{"mailinator.com", "test.com", "example.org", "yopmail.com", "guerrillamail.com"}))
	ind := industries[industryTable.pick(r)]
	p.co = &company{
		name:     pick(r, []string{"asdf", "Test", "N/A", "none", "Company", "-", "test inc"}),
		industry: ind.name,
		size:     1 + r.IntN(3),
		country:  p.country,
	}
	p.title = pick(r, []string{"test", "asdf", "CEO", "x", "Boss"})
	p.level = 1
	p.phone = pick(r, []string{"1234567890", "0000000000", "555-5555", "123", "+1 000-000-0000"})
}

// fit is firmographic fit with the ideal customer profile: senior buyers at mid-sized technology
// companies in the core markets.
func (g *profileGen) fit(p *profile) float64 {
	if p.spam {
		return 0
	}
	titleFit := []float64{0, 0.3, 0.55, 0.75, 0.9, 1}[p.level]
	indFit := 0.4
	for _, ind := range industries {
		if ind.name == p.co.industry {
			indFit = ind.fit
		}
	}
	var sizeFit float64
	switch s := p.co.size; {
	case s <= 1:
		sizeFit = 0
	case s < 10:
		sizeFit = 0.2
	case s < 50:
		sizeFit = 0.5
	case s <= 500:
		sizeFit = 1
	case s <= 5000:
		sizeFit = 0.85
	default:
		sizeFit = 0.6
	}
	countryFit := 0.6
	switch p.country.code {
	case "US", "GB", "CA":
		countryFit = 1
	case "DE", "AU", "NL", "SG", "FR":
		countryFit = 0.8
	}
	if p.student {
		sizeFit = 0.1
	}
	return 0.35*titleFit + 0.25*indFit + 0.25*sizeFit + 0.15*countryFit
}

// title draws a job title; founders and owners run small companies, VPs and directors big ones.
func (g *profileGen) title(co *company, lang string) (string, int) {
	r := g.r
	size := co.size
	public := co.industry == "Government" || co.industry == "Education"
	i := pickWeighted(r, len(titles), func(i int) float64 {
		t := titles[i]
		w := t.weight
		if public && salesy(t.name) {
			w *= 0.05 // public bodies have no sales teams or founders
		}
		switch {
		case size < 20 && t.level == 5:
			w *= 4
		case size < 10 && (t.level == 3 || t.level == 4):
			w *= 0.05
		case size < 20 && (t.level == 3 || t.level == 4):
			w *= 0.3
		case size > 1000 && t.level == 5:
			w *= 0.15
		case size > 1000 && (t.level == 3 || t.level == 4):
			w *= 1.5
		}
		if size < 10 && (t.name == "Founder" || t.name == "Owner" || t.name == "Co-Founder") {
			w *= 3
		}
		return w
	})
	t := titles[i]
	if loc, ok := localTitles[lang]; ok && chance(r, 0.4) {
		if names := loc[t.level]; len(names) > 0 {
			return pick(r, names), t.level
		}
	}
	return t.name, t.level
}

// salesy reports whether a title belongs to a commercial company's sales or leadership.
func salesy(title string) bool {
	for _, w := range []string{"Sales", "Revenue", "Account", "Business Development", "CRO", "CEO", "Founder", "Owner", "Growth"} {
		if strings.Contains(title, w) {
			return true
		}
	}
	return false
}

// newCompany invents an account, reusing it if the same name comes up again in the country.
func (g *profileGen) newCompany(c *country, ct *city, source string) *company {
	r := g.r
	ind := &industries[industryTable.pick(r)]
	switch ind.name {
	case "Government":
		return g.institution(c, ct, true)
	case "Education":
		if chance(r, 0.5) {
			return g.institution(c, ct, false)
		}
	}
	name, core := g.companyName(c, ind)
	key := c.code + "|" + name
	if co, ok := g.companies[key]; ok {
		return co
	}
	median := sizeMedian[ind.name]
	if source == "outbound" || source == "partner" {
		median *= 2.5 // sales prospects bigger accounts
	}
	co := &company{
		name:     name,
		domain:   domainFor(core, c, r),
		industry: ind.name,
		size:     companySize(lognormal(r, median, 1.7)),
		country:  c,
	}
	g.companies[key] = co
	g.byCountry[c.code] = append(g.byCountry[c.code], co)
	return co
}

// companySize clamps to 1..50,000 and rounds larger companies as enrichment data does.
func companySize(x float64) int {
	n := int(math.Round(clamp(x, 1, 50000)))
	switch {
	case n >= 1000:
		return int(math.Round(float64(n)/100) * 100)
	case n >= 200:
		return int(math.Round(float64(n)/10) * 10)
	}
	return n
}

// institution is the university or city administration of a city.
func (g *profileGen) institution(c *country, ct *city, gov bool) *company {
	inst := institutions[c.code]
	name, domain, ind, median := inst.uni, inst.uniDomain, "Education", 4000.0
	if gov {
		name, domain, ind, median = inst.gov, inst.govDomain, "Government", 1500.0
	}
	s := slug(ct.name)
	name = strings.ReplaceAll(name, "{city}", ct.name)
	domain = strings.ReplaceAll(domain, "{slug}", strings.ReplaceAll(s, "-", ""))
	key := c.code + "|" + name
	if co, ok := g.companies[key]; ok {
		return co
	}
	co := &company{name: name, domain: domain, industry: ind, size: companySize(lognormal(g.r, median, 0.8)), country: c}
	g.companies[key] = co // not offered as an account to join: people work where they live
	return co
}

// companyName makes a company name in the country's style and returns it with the core part the
// web domain is made from.
func (g *profileGen) companyName(c *country, ind *industry) (name, core string) {
	r := g.r
	noun := pick(r, ind.nouns)
	style := c.style
	if locals, ok := localNouns[style][ind.name]; ok && chance(r, 0.6) {
		noun = pick(r, locals)
	}
	var prefixes []string
	switch style {
	case "au":
		prefixes = auMix
	case "de":
		prefixes = dePrefixes
	case "id":
		prefixes = idPrefixes
	case "fr":
		prefixes = frPrefixes
	case "nl":
		prefixes = nlPrefixes
	case "in":
		prefixes = inPrefixes
	case "sg":
		prefixes = sgPrefixes
	case "pt":
		prefixes = ptPrefixes
	case "ja":
		prefixes = jaPrefixes
	default:
		prefixes = enPrefixes
	}
	brandy := ind.name == "Technology" || ind.name == "Software"
	switch {
	case style == "id":
		core = pick(r, prefixes) + " " + noun
		name = "PT " + core
		if chance(r, 0.5) {
			name += " " + pick(r, idSuffixWords)
		}
	case brandy && chance(r, 0.35) || chance(r, 0.08):
		core = pick(r, brandStart) + pick(r, brandEnd)
		name = core
		if chance(r, 0.5) {
			name += " " + noun
		}
	case ind.name == "Professional Services" && chance(r, 0.35):
		set := nameSets[c.names]
		a, b := pick(r, set.last), pick(r, set.last)
		core = a + " " + b
		name = a + " & " + b
	default:
		core = pick(r, prefixes) + " " + noun
		name = core
	}
	key := style
	if c.code == "GB" {
		key = "gb"
	}
	if sfx := pick(r, legalSuffix[key]); sfx != "" {
		name += " " + sfx
	}
	return name, core
}

// domainFor makes a web domain from a company's core name.
func domainFor(core string, c *country, r *rand.Rand) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(core) {
		switch strings.ToLower(w) {
		case "de", "la", "le", "of", "the", "van", "der", "den", "&":
			continue
		}
		if n == 2 {
			break
		}
		b.WriteString(fold(w))
		n++
	}
	tld := c.tld
	if chance(r, 0.35) || c.code == "US" {
		tld = "com"
	}
	if c.code == "ID" && chance(r, 0.5) {
		tld = "co.id"
	}
	return b.String() + "." + tld
}

// localPart makes the part of a work email before the @ in one of the common company formats.
func (g *profileGen) localPart(p *profile) string {
	r := g.r
	f, l := fold(p.first), fold(p.last)
	if f == "" {
		f = "info"
	}
	if l == "" {
		l = f
	}
	if p.webmail {
		switch r.IntN(3) {
		case 0:
			return f + "." + l + strconv.Itoa(r.IntN(99)+1)
		case 1:
			return f + l
		default:
			return f + "." + l
		}
	}
	x := r.Float64()
	switch {
	case x < 0.55:
		return f + "." + l
	case x < 0.70:
		return f[:1] + l
	case x < 0.76:
		return f + l[:1]
	case x < 0.82 && p.co.size < 50:
		return f
	case x < 0.88:
		return f + "_" + l
	case x < 0.92:
		return l + "." + f
	default:
		return f + "." + l
	}
}

// uniqueEmail returns local@domain, numbered if taken (case-insensitively), sometimes typed with
// capitals as people do.
func (g *profileGen) uniqueEmail(local, domain string) string {
	email := local + "@" + domain
	for n := 2; g.emails[email]; n++ {
		email = local + strconv.Itoa(n) + "@" + domain
	}
	g.emails[email] = true
	if chance(g.r, 0.04) {
		parts := strings.Split(email, "@")
		segs := strings.Split(parts[0], ".")
		for i, s := range segs {
			if s != "" {
				segs[i] = strings.ToUpper(s[:1]) + s[1:]
			}
		}
		email = strings.Join(segs, ".") + "@" + parts[1]
	}
	return email
}

// fold lower-cases s and spells it in ASCII letters and digits, as email addresses and domains
// are.
func fold(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == 'ä':
			b.WriteString("ae")
		case c == 'ö':
			b.WriteString("oe")
		case c == 'ü':
			b.WriteString("ue")
		case c == 'ß':
			b.WriteString("ss")
		case strings.ContainsRune("àáâãå", c):
			b.WriteByte('a')
		case strings.ContainsRune("èéêë", c):
			b.WriteByte('e')
		case strings.ContainsRune("ìíîï", c):
			b.WriteByte('i')
		case strings.ContainsRune("òóôõ", c):
			b.WriteByte('o')
		case strings.ContainsRune("ùúû", c):
			b.WriteByte('u')
		case c == 'ç':
			b.WriteByte('c')
		case c == 'ñ':
			b.WriteByte('n')
		}
	}
	return b.String()
}

// slug is fold with words joined by hyphens.
func slug(s string) string {
	words := strings.FieldsFunc(s, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
	for i, w := range words {
		words[i] = fold(w)
	}
	return strings.Join(words, "-")
}

// digits returns n random decimal digits.
func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	if n > 0 && b[0] == '0' {
		b[0] = byte('1' + r.IntN(9))
	}
	return string(b)
}

// phone formats a phone number the way it is written in the country.
func phone(r *rand.Rand, c *country, ct *city) string {
	mobile := chance(r, 0.4)
	switch c.code {
	case "US", "CA":
		return "+1 " + ct.area + "-" + strconv.Itoa(200+r.IntN(790)) + "-" + digits(r, 4)
	case "GB":
		if mobile {
			return "+44 7" + digits(r, 3) + " " + digits(r, 6)
		}
		if ct.area == "20" {
			return "+44 20 7" + digits(r, 3) + " " + digits(r, 4)
		}
		return "+44 " + ct.area + " " + digits(r, 3) + " " + digits(r, 4)
	case "DE":
		if mobile {
			return "+49 1" + pick(r, []string{"51", "52", "60", "70", "76"}) + " " + digits(r, 8)
		}
		return "+49 " + ct.area + " " + digits(r, 7)
	case "ID":
		if chance(r, 0.75) {
			return "+62 8" + pick(r, []string{"11", "12", "13", "21", "22", "52", "57", "78", "96"}) + "-" + digits(r, 4) + "-" + digits(r, 4)
		}
		return "+62 " + ct.area + " " + digits(r, 4) + " " + digits(r, 4)
	case "AU":
		if mobile {
			return "+61 4" + digits(r, 2) + " " + digits(r, 3) + " " + digits(r, 3)
		}
		return "+61 " + ct.area + " " + digits(r, 4) + " " + digits(r, 4)
	case "FR":
		lead := ct.area
		if mobile {
			lead = pick(r, []string{"6", "7"})
		}
		return "+33 " + lead + " " + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2)
	case "NL":
		if mobile {
			return "+31 6 " + digits(r, 8)
		}
		return "+31 " + ct.area + " " + digits(r, 3) + " " + digits(r, 4)
	case "IN":
		if chance(r, 0.7) {
			return "+91 9" + digits(r, 4) + " " + digits(r, 5)
		}
		return "+91 " + ct.area + " " + digits(r, 4) + " " + digits(r, 4)
	case "SG":
		return "+65 " + pick(r, []string{"6", "8", "9"}) + digits(r, 3) + " " + digits(r, 4)
	case "BR":
		if chance(r, 0.65) {
			return "+55 " + ct.area + " 9" + digits(r, 4) + "-" + digits(r, 4)
		}
		return "+55 " + ct.area + " 3" + digits(r, 3) + "-" + digits(r, 4)
	case "JP":
		if mobile {
			return "+81 " + pick(r, []string{"80", "90", "70"}) + "-" + digits(r, 4) + "-" + digits(r, 4)
		}
		return "+81 " + ct.area + "-" + digits(r, 4) + "-" + digits(r, 4)
	}
	return "+" + digits(r, 11)
}
