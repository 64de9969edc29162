package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
)

const site = "https://example.com"

// ev is an event while a lead's activity is being generated.
type ev struct {
	typ   string
	at    time.Time
	props map[string]any
}

// actGen generates one lead's activity within [lo, hi]: from creation to shortly before the
// outcome, or to now.
type actGen struct {
	w      *world
	p      *profile
	r      *rand.Rand
	lo, hi time.Time
	span   float64 // days in [lo, hi]
	hot    float64 // buying intent, 0..1
	evs    []ev

	trialAt time.Time // when the lead signed up for a trial, zero if never
	unsubAt time.Time // when the lead unsubscribed, zero if never
}

// build turns a profile into the lead the service layer is fed with.
func (w *world) build(p *profile) GeneratedLead {
	evs := w.activity(p)
	gl := GeneratedLead{
		Input:         w.input(p),
		CreatedAt:     p.created,
		Outcome:       p.outcome,
		OutcomeReason: p.reason,
		OutcomeAt:     p.outcomeAt,
	}
	if len(evs) == 0 {
		return gl
	}
	times := make([]time.Time, len(evs))
	gl.Events = make([]leadflow.EventInput, len(evs))
	id := make([]byte, 0, 16)
	id = append(id, "evt-"...)
	id = appendPad(id, p.no, 6)
	id = append(id, '-')
	n := len(id)
	for i, e := range evs {
		times[i] = e.at
		gl.Events[i] = leadflow.EventInput{
			EventID:    string(appendPad(id[:n], i+1, 4)),
			Type:       e.typ,
			OccurredAt: &times[i],
			Properties: e.props,
			Email:      p.email,
		}
	}
	return gl
}

// pad formats n with at least width digits.
func pad(n, width int) string { return string(appendPad(nil, n, width)) }

func appendPad(b []byte, n, width int) []byte {
	for d := len(strconv.Itoa(n)); d < width; d++ {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// input is the lead as the form or CRM sends it.
func (w *world) input(p *profile) leadflow.LeadInput {
	custom := map[string]any{}
	if !p.spam && !p.webmail && p.co.domain != "" {
		custom["website"] = "https://www." + p.co.domain
	}
	if p.utmSource != "" {
		custom["utm_source"], custom["utm_medium"], custom["utm_campaign"] = p.utmSource, p.utmMedium, p.campaign
	}
	switch {
	case p.partner != "":
		custom["partner"] = p.partner
	case p.show != nil:
		custom["event"] = p.show.name
	case p.webinar != nil:
		custom["webinar"] = p.webinar.title
	}
	if len(custom) == 0 {
		custom = nil
	}
	return leadflow.LeadInput{
		ExternalID:  ptr("crm-" + pad(p.no, 6)),
		Email:       ptr(p.email),
		FirstName:   ptr(p.first),
		LastName:    ptr(p.last),
		Phone:       ptr(p.phone),
		Company:     ptr(p.co.name),
		CompanySize: ptr(p.co.size),
		Industry:    ptr(p.co.industry),
		JobTitle:    ptr(p.title),
		Country:     ptr(p.country.code),
		Region:      ptr(p.city.region),
		City:        ptr(p.city.name),
		Timezone:    ptr(p.city.tz),
		Language:    ptr(p.lang),
		Source:      ptr(p.source),
		Campaign:    ptr(p.campaign),
		Custom:      custom,
		Consent:     map[string]bool{"email": p.consent},
	}
}

func ptr[T any](v T) *T { return &v }

// activity generates the lead's events, sorted by time.
func (w *world) activity(p *profile) []ev {
	a := &actGen{w: w, p: p, r: newRand(p.seed, streamEvents), lo: p.created, hi: w.now}
	if p.outcome != "" {
		// Leave a gap between the last event and the recorded outcome.
		window := p.outcomeAt.Sub(p.created)
		gap := min(window/12, 3*time.Hour)
		a.hi = p.outcomeAt.Add(-max(gap, time.Second))
		if p.reason == "went silent" {
			a.hi = p.created.Add(time.Duration(float64(window) * (0.25 + 0.35*a.r.Float64())))
		}
	}
	if a.hi.Before(a.lo) {
		a.hi = a.lo
	}
	a.span = a.hi.Sub(a.lo).Hours() / 24
	switch p.outcome {
	case leadflow.StageCustomer:
		a.hot = 0.9
	case leadflow.StageOpportunity:
		a.hot = 0.8
	case leadflow.StageSQL:
		a.hot = 0.7
	case leadflow.StageLost:
		a.hot = 0.45
	case leadflow.StageNurture:
		a.hot = 0.25
	case leadflow.StageDisqualified:
		a.hot = 0.05
	default:
		a.hot = 0.05 + 0.55*p.pct*p.pct
	}

	a.creation()
	if !p.spam {
		a.intent() // before email, so a trial can prompt onboarding emails
		a.sessions()
		a.emails()
		a.webinars()
		a.shows()
		a.misc()
	}
	// Sort by time, ties in generation order; sorting small keys is much cheaper than sorting
	// the events themselves.
	keys := make([]int64, len(a.evs))
	for i, e := range a.evs {
		keys[i] = e.at.Unix()<<16 | int64(i)
	}
	slices.Sort(keys)
	evs := make([]ev, 0, len(a.evs))
	for _, k := range keys {
		e := a.evs[k&0xffff]
		evs = append(evs, e)
		if e.typ == "job_change" {
			break // someone who changed jobs stops interacting as this lead
		}
	}
	return evs
}

// add records an event if it falls in the lead's window.
func (a *actGen) add(typ string, at time.Time, props map[string]any) bool {
	at = at.Truncate(time.Second)
	if at.Before(a.lo) || at.After(a.hi) || len(a.evs) >= 0xffff {
		return false
	}
	if !a.unsubAt.IsZero() && at.After(a.unsubAt) && strings.HasPrefix(typ, "email_") {
		return false // no email reaches someone who unsubscribed
	}
	a.evs = append(a.evs, ev{typ: typ, at: at, props: props})
	return true
}

// at returns the time a fraction f of the way through the window.
func (a *actGen) at(f float64) time.Time {
	return a.lo.Add(days(f * a.span))
}

// workTime moves t to local working hours if that stays in the window.
func (a *actGen) workTime(t time.Time) time.Time {
	return daytime(a.r, t, a.p.city.offset, a.lo, a.hi)
}

// page is a page of the website with its path and URL boxed once, so that the many page-view
// events share them instead of allocating their own.
type page struct {
	path       string
	pathV, url any
}

func newPage(path string) page { return page{path, path, site + path} }

func newPages(prefix string, paths []string) []page {
	ps := make([]page, len(paths))
	for i, p := range paths {
		ps[i] = newPage(prefix + p)
	}
	return ps
}

var (
	blogPages    = newPages("/blog/", blogPosts)
	productSite  = newPages("", productPages)
	careersPages = newPages("", careersPaths)
	pricingPage  = newPage("/pricing")
	demoPage     = newPage("/demo")
	referrers    = []any{"https://www.google.com/", "https://www.google.com/", "https://www.linkedin.com/", nil, nil, "https://www.bing.com/"}
)

// props are the properties of a view of the page.
func (pg page) props() map[string]any { return map[string]any{"path": pg.pathV, "url": pg.url} }

func (a *actGen) randomPage() page {
	if chance(a.r, 0.55) {
		return pick(a.r, blogPages)
	}
	return pick(a.r, productSite)
}

// creation is what happened when the lead arrived: the form, the registration, the badge scan.
func (a *actGen) creation() {
	r, p, t := a.r, a.p, a.lo
	switch p.source {
	case "web":
		if p.spam {
			a.add("form_submit", t, map[string]any{"form": "contact-us", "path": "/contact", "message": pick(r, []string{"test", "asdf", "hello", "."})})
			return
		}
		switch x := r.Float64(); {
		case x < 0.15:
			a.add("form_submit", t, map[string]any{"form": "contact-us", "path": "/contact", "url": site + "/contact"})
		case x < 0.45:
			a.add("form_submit", t, map[string]any{"form": "newsletter-signup", "path": "/blog/" + pick(r, blogPosts)})
		case x < 0.85:
			c := pick(r, contents)
			a.add("form_submit", t, map[string]any{"form": "content-download", "path": "/resources/" + slug(c.title)})
			a.add("content_download", t.Add(4*time.Second), map[string]any{"content_type": c.kind, "title": c.title})
		default:
			a.trial(t)
		}
	case "paid":
		if p.spam {
			a.add("form_submit", t, map[string]any{"form": "landing-page", "path": "/lp/" + p.campaign, "message": "test"})
			return
		}
		a.add("form_submit", t, map[string]any{"form": "landing-page", "path": "/lp/" + p.campaign,
			"utm_source": p.utmSource, "utm_medium": p.utmMedium, "utm_campaign": p.campaign})
		if chance(r, 0.6) {
			c := pick(r, contents)
			a.add("content_download", t.Add(3*time.Second), map[string]any{"content_type": c.kind, "title": c.title})
		}
	case "webinar":
		a.add("webinar_registered", t, map[string]any{"webinar": p.webinar.title, "webinar_id": p.webinar.id,
			"scheduled_at": p.webinar.at.Format(time.RFC3339)})
	case "event":
		a.add("event_attended", t, map[string]any{"event": p.show.name, "city": p.show.city.name, "booth_scan": true})
	case "referral":
		if chance(r, 0.6) {
			a.add("form_submit", t, map[string]any{"form": "contact-us", "path": "/contact", "referred_by": "customer"})
		}
	case "partner":
		if chance(r, 0.6) {
			a.add("form_submit", t, map[string]any{"form": "partner-referral", "partner": p.partner})
		}
	}
}

// sessions generates website visits: frequent right after the lead arrives, fading with a
// lead-specific half-life, plus occasional returns for as long as the lead is around.
func (a *actGen) sessions() {
	r, p := a.r, a.p
	lam0 := math.Exp(0.9*p.eng - 0.8) // visits per day at arrival
	tau := lognormal(r, 8, 0.5)       // days
	lamInf := 0.015 * math.Exp(0.6*p.eng)
	if p.quiet {
		lam0 *= 0.3
		lamInf = 0
	}
	if p.super {
		lam0 *= 2.5
		tau *= 2
		lamInf *= 3
	}
	if p.source == "outbound" {
		lam0 *= 0.3 // cold contacts did not come looking
	}
	burst := lam0 * tau * (1 - math.Exp(-a.span/tau))
	tail := lamInf * a.span
	n := min(poisson(r, burst+tail), 150)
	for range n {
		var d float64
		if r.Float64()*(burst+tail) < burst {
			// Truncated exponential on [0, span].
			d = -tau * math.Log(1-r.Float64()*(1-math.Exp(-a.span/tau)))
		} else {
			d = r.Float64() * a.span
		}
		a.session(a.workTime(a.lo.Add(days(d))))
	}
}

// session is one visit: a few pages, maybe the pricing page or a download.
func (a *actGen) session(t time.Time) {
	r, p := a.r, a.p
	n := 1
	for n < 8 && chance(r, 0.42) {
		n++
	}
	pricingAt := -1
	if chance(r, 0.03+0.16*a.hot*(0.5+p.fit)) {
		pricingAt = r.IntN(n + 1)
	}
	for i := 0; i <= n; i++ {
		if i == pricingAt {
			props := pricingPage.props()
			if chance(r, 0.3) {
				props["plan"] = pick(r, []string{"team", "growth", "enterprise"})
			}
			a.add("pricing_page_view", t, props)
		} else if i < n {
			props := a.randomPage().props()
			if i == 0 {
				if ref := pick(r, referrers); ref != nil {
					props["referrer"] = ref
				}
			}
			a.add("page_view", t, props)
		}
		t = t.Add(time.Duration(15+r.IntN(220)) * time.Second)
	}
	if chance(r, 0.05+0.06*a.hot) {
		c := pick(r, contents)
		if chance(r, 0.5) {
			a.add("form_submit", t, map[string]any{"form": "content-download", "path": "/resources/" + slug(c.title)})
		}
		a.add("content_download", t.Add(5*time.Second), map[string]any{"content_type": c.kind, "title": c.title})
	}
}

// email generates opens, clicks and replies for one sent email.
func (a *actGen) email(id, subject string, sent time.Time, pOpen, pClick, pReply float64) (opened bool) {
	r := a.r
	if !chance(r, pOpen) {
		return false
	}
	openAt := sent.Add(time.Duration(clamp(lognormal(r, 2.5, 1.3), 0.02, 240) * float64(time.Hour)))
	if !a.add("email_open", openAt, map[string]any{"email_id": id, "subject": subject}) {
		return false
	}
	if chance(r, 0.15) {
		a.add("email_open", openAt.Add(time.Duration(1+r.IntN(48))*time.Hour), map[string]any{"email_id": id, "subject": subject})
	}
	if chance(r, pClick) {
		clickAt := openAt.Add(time.Duration(5+r.IntN(300)) * time.Second)
		pg := demoPage
		if !chance(r, 0.1+0.35*a.hot) {
			pg = a.randomPage()
		}
		url := site + pg.path + "?utm_source=email&utm_medium=email&utm_campaign=" + id
		if a.add("email_click", clickAt, map[string]any{"email_id": id, "url": url}) {
			a.add("page_view", clickAt.Add(3*time.Second), pg.props())
		}
	}
	if chance(r, pReply) {
		sentiment := "positive"
		if a.hot < 0.5 || chance(r, 0.3) {
			sentiment = pick(r, []string{"neutral", "not_interested", "out_of_office", "positive"})
		}
		a.add("email_reply", openAt.Add(time.Duration(2+r.IntN(240))*time.Minute), map[string]any{"email_id": id, "sentiment": sentiment})
	}
	return true
}

// emails covers marketing email (newsletters, product updates, nurture and onboarding
// sequences, for leads who consented) and sales email (SDR sequences, event follow-ups).
func (a *actGen) emails() {
	r, p, w := a.r, a.p, a.w
	openBase := clamp(0.08+0.25*sigmoid(p.eng)+0.15*a.hot, 0.03, 0.75)
	if p.quiet {
		openBase *= 0.4
	}
	clickBase := 0.08 + 0.25*a.hot

	// Newsletters and product updates go to those who consented. Decide first whether the lead
	// unsubscribes from one of them: no email activity follows that (see add).
	var inWindow []int
	if p.consent {
		for i, m := range w.mailings {
			if !m.at.Before(a.lo) && !m.at.After(a.hi) {
				inWindow = append(inWindow, i)
			}
		}
	}
	pUnsub := 0.035 + 0.05*b2f(p.eng < -0.3)
	switch p.outcome {
	case leadflow.StageLost, leadflow.StageNurture, leadflow.StageDisqualified:
		pUnsub += 0.04
	}
	if len(inWindow) > 0 && chance(r, pUnsub) {
		m := w.mailings[inWindow[r.IntN(len(inWindow))]]
		openAt := m.at.Add(time.Duration(10+r.IntN(600)) * time.Minute)
		unsubAt := openAt.Add(time.Duration(20+r.IntN(200)) * time.Second)
		list := "newsletter"
		if m.update {
			list = "product-updates"
		}
		if a.add("email_open", openAt, map[string]any{"email_id": m.id, "subject": m.subject}) &&
			a.add("unsubscribe", unsubAt, map[string]any{"email_id": m.id, "list": list,
				"reason": pick(r, []string{"too many emails", "not relevant", "never signed up", "other"})}) {
			a.unsubAt = unsubAt.Truncate(time.Second)
		}
	}

	// One-off sequences.
	type step struct {
		id, subject string
		after       float64 // days after creation
	}
	var seq []step
	pReply := 0.0
	switch p.source {
	case "outbound":
		for i, d := range []float64{0, 2, 5, 9, 14} {
			seq = append(seq, step{"sdr-seq-" + strconv.Itoa(i+1), sdrSubject(i, p), d})
		}
		pReply = 0.02 + 0.1*a.hot
	case "event":
		for i, d := range []float64{1, 4, 10} {
			seq = append(seq, step{"event-followup-" + strconv.Itoa(i+1), "Great meeting you at " + p.show.name, d})
		}
		pReply = 0.01 + 0.06*a.hot
	default:
		if p.consent {
			for i, d := range []float64{0.02, 3, 7, 14} {
				seq = append(seq, step{"nurture-welcome-" + strconv.Itoa(i+1), nurtureSubjects[i], d})
			}
			pReply = 0.005 + 0.02*a.hot
		}
	}
	if p.source == "webinar" && p.consent {
		seq = append(seq, step{"webinar-recording-" + p.webinar.id, "Recording: " + p.webinar.title,
			p.webinar.at.Sub(p.created).Hours()/24 + 1})
	}
	if !a.trialAt.IsZero() && p.consent {
		base := a.trialAt.Sub(p.created).Hours() / 24
		for i, d := range []float64{0.01, 2, 6, 12} {
			seq = append(seq, step{"trial-onboarding-" + strconv.Itoa(i+1), trialSubjects[i], base + d})
		}
	}
	lastOpened := -1
	for i, s := range seq {
		sent := a.workTime(p.created.Add(days(s.after)))
		if a.email(s.id, s.subject, sent, clamp(openBase+0.15, 0.05, 0.85), clickBase, pReply) {
			lastOpened = i
		}
	}
	// An outbound lead that became an SQL or better answered the SDR at some point.
	replied := slices.ContainsFunc(a.evs, func(e ev) bool { return e.typ == "email_reply" })
	if p.source == "outbound" && !replied && a.hot >= 0.7 && len(seq) > 0 {
		i := max(lastOpened, 0)
		sent := a.workTime(p.created.Add(days(seq[i].after)))
		at := sent.Add(time.Duration(30+r.IntN(600)) * time.Minute)
		a.add("email_reply", at, map[string]any{"email_id": seq[i].id, "sentiment": "positive"})
	}

	for _, i := range inWindow {
		m := w.mailings[i]
		if !a.unsubAt.IsZero() && !m.at.Before(a.unsubAt) {
			break
		}
		age := m.at.Sub(p.created).Hours() / 24
		pOpen := openBase * (0.45 + 0.55*math.Exp(-age/90))
		if p.quiet && age > 14 {
			pOpen *= 0.4
		}
		if m.update {
			pOpen *= 1.2
		}
		a.email(m.id, m.subject, m.at, pOpen, clickBase*0.7, 0.002)
	}
}

var nurtureSubjects = []string{"Welcome to leadflow", "How teams score leads in week one", "A case study you might like", "Want to see it live?"}

var trialSubjects = []string{"Your trial workspace is ready", "Import your first leads", "Set up routing in 10 minutes", "Your trial ends soon"}

func sdrSubject(i int, p *profile) string {
	return []string{
		"Quick question about lead routing at " + p.co.name,
		"Re: lead response times",
		"How Nordwind Logistik answers every inbound lead in 5 minutes",
		"Worth a 15-minute call?",
		"Closing the loop",
	}[i]
}

// webinars: the registration a webinar lead came from, and other webinars the lead joins.
func (a *actGen) webinars() {
	r, p := a.r, a.p
	for i := range a.w.webinars {
		wb := &a.w.webinars[i]
		props := func() map[string]any { return map[string]any{"webinar": wb.title, "webinar_id": wb.id} }
		if wb == p.webinar {
			if chance(r, 0.5+0.25*a.hot) {
				a.add("webinar_attended", wb.at.Add(time.Duration(r.IntN(600))*time.Second), props())
			}
			continue
		}
		if wb.at.Before(a.lo.Add(48*time.Hour)) || wb.at.After(a.hi) {
			continue
		}
		pReg := 0.012 + 0.05*a.hot*(1+b2f(p.super))
		if wb.deepDive {
			pReg *= 1 + a.hot
		}
		if !chance(r, pReg) {
			continue
		}
		regAt := wb.at.Add(-days(0.3 + r.Float64()*10))
		if a.add("webinar_registered", maxTime(regAt, a.lo), props()) && chance(r, 0.5+0.2*a.hot) {
			a.add("webinar_attended", wb.at.Add(time.Duration(r.IntN(900))*time.Second), props())
		}
	}
}

// shows: trade shows in the lead's country that the lead walks by.
func (a *actGen) shows() {
	r, p := a.r, a.p
	for i := range a.w.shows {
		s := &a.w.shows[i]
		if s == p.show || s.country != p.country || s.at.Before(a.lo) || s.at.After(a.hi) {
			continue
		}
		if chance(r, 0.03+0.1*a.hot) {
			day := midnight(s.at.Add(hours(s.city.offset))).AddDate(0, 0, r.IntN(s.days))
			a.add("event_attended", localAt(day, s.city.offset, 9.5+r.Float64()*8),
				map[string]any{"event": s.name, "city": s.city.name, "booth_scan": chance(r, 0.6)})
		}
	}
}

// trial starts a free trial at t, followed by product usage over the next two weeks.
func (a *actGen) trial(t time.Time) {
	r, p := a.r, a.p
	if !a.add("trial_signup", t, map[string]any{"plan": "trial", "path": "/signup", "url": site + "/signup"}) {
		return
	}
	a.trialAt = t
	n := 1 + poisson(r, 2+10*a.hot)
	users := 1 + r.IntN(max(1, min(p.co.size, 25)))
	for range n {
		at := a.workTime(t.Add(days(r.Float64() * 14)))
		a.add("product_usage", at, map[string]any{"feature": pick(r, productFeatures), "active_users": 1 + r.IntN(users),
			"minutes": 2 + r.IntN(58)})
	}
}

// intent generates the rare high-intent events: demo and quote requests and trials.
func (a *actGen) intent() {
	r, p := a.r, a.p
	var pDemo, pQuote float64
	late := true // for leads that progressed the request comes later in the window
	switch p.outcome {
	case leadflow.StageCustomer:
		pDemo, pQuote = 0.7, 0.55
	case leadflow.StageOpportunity:
		pDemo, pQuote = 0.65, 0.4
	case leadflow.StageSQL:
		pDemo, pQuote = 0.5, 0.08
	case leadflow.StageLost:
		pDemo, pQuote = 0.25, 0.15
	case leadflow.StageNurture:
		pDemo, pQuote, late = 0.08, 0.01, false
	case leadflow.StageDisqualified:
		pDemo, pQuote, late = 0.02, 0, false
	default:
		x := p.pct * p.pct * p.pct
		pDemo, pQuote, late = 0.01+0.18*x, 0.003+0.05*x*p.pct, false
	}
	var demoAt time.Time
	if chance(r, pDemo) {
		f := r.Float64()
		if late {
			f = 0.3 + 0.65*f
		} else {
			f *= f
		}
		demoAt = a.workTime(a.at(f))
		if chance(r, 0.7) {
			a.add("pricing_page_view", demoAt.Add(-time.Duration(60+r.IntN(300))*time.Second), pricingPage.props())
		}
		props := map[string]any{"form": "book-a-demo", "path": "/demo", "url": site + "/demo", "team_size": teamSize(p.co.size)}
		if !a.add("demo_request", demoAt, props) {
			demoAt = time.Time{}
		}
	}
	if chance(r, pQuote) {
		var at time.Time
		if !demoAt.IsZero() {
			at = demoAt.Add(time.Duration(float64(a.hi.Sub(demoAt)) * (0.2 + 0.7*r.Float64())))
		} else {
			at = a.at(0.4 + 0.55*r.Float64())
		}
		seats := clamp(float64(p.co.size)*(0.02+0.08*r.Float64()), 3, 400)
		a.add("quote_request", a.workTime(at), map[string]any{"plan": planFor(p.co.size), "seats": int(seats),
			"billing": pick(r, []string{"annual", "annual", "monthly"})})
	}
	if a.trialAt.IsZero() {
		pTrial := 0.03 + 0.07*b2f(p.co.size < 200) + 0.15*b2f(p.outcome == leadflow.StageCustomer)
		if chance(r, pTrial) {
			f := r.Float64()
			a.trial(a.workTime(a.at(f * f)))
		}
	}
}

func teamSize(size int) string {
	switch {
	case size < 10:
		return "1-9"
	case size < 50:
		return "10-49"
	case size < 200:
		return "50-199"
	case size < 1000:
		return "200-999"
	}
	return "1000+"
}

func planFor(size int) string {
	switch {
	case size < 50:
		return "team"
	case size < 1000:
		return "growth"
	}
	return "enterprise"
}

// misc covers the occasional signals: social engagement, support tickets, careers page visits,
// third-party competitor research and job changes.
func (a *actGen) misc() {
	r, p := a.r, a.p
	if chance(r, 0.1+0.3*a.hot*sigmoid(p.eng)) {
		for range 1 + poisson(r, 1.2) {
			a.add("social_engagement", a.workTime(a.at(r.Float64())), map[string]any{
				"network": pick(r, []string{"linkedin", "linkedin", "linkedin", "x", "youtube"}),
				"action":  pick(r, []string{"like", "like", "comment", "share", "follow"}),
				"post":    "/blog/" + pick(r, blogPosts),
			})
		}
	}

	pTicket := 0.02 + 0.3*b2f(!a.trialAt.IsZero()) + 0.05*b2f(a.hot >= 0.8)
	if chance(r, pTicket) {
		var cat string
		if !a.trialAt.IsZero() {
			cat = []string{"technical", "technical", "technical", "sales", "sales", "billing"}[r.IntN(6)]
		} else {
			cat = []string{"sales", "sales", "sales", "technical", "technical", "billing", "billing"}[r.IntN(7)]
		}
		from := a.lo
		if !a.trialAt.IsZero() && cat == "technical" {
			from = a.trialAt
		}
		at := from.Add(time.Duration(float64(a.hi.Sub(from)) * r.Float64()))
		a.add("support_ticket", a.workTime(at), map[string]any{"category": cat, "subject": pick(r, supportSubjects[cat]),
			"ticket_id": "T-" + digits(r, 5), "channel": pick(r, []string{"email", "chat", "web"})})
	}

	pCareers := 0.02 + 0.02*b2f(p.level == 1) + 0.4*b2f(p.student) + b2f(p.reason == "job seeker")
	if chance(r, pCareers) {
		for range 1 + r.IntN(3) {
			a.add("careers_page_view", a.workTime(a.at(r.Float64())), pick(r, careersPages).props())
		}
	}

	var pIntent float64
	switch {
	case p.reason == "competitor chosen":
		pIntent = 0.7
	case p.outcome == leadflow.StageOpportunity, p.outcome == leadflow.StageCustomer:
		pIntent = 0.12
	case p.outcome == leadflow.StageNurture:
		pIntent = 0.05
	case p.outcome == "":
		pIntent = 0.015 + 0.05*a.hot
	}
	if chance(r, pIntent) {
		comp := pick(r, competitors)
		for range 1 + poisson(r, 0.6) {
			a.add("intent.competitor_research", a.at(r.Float64()), map[string]any{"competitor": comp,
				"topic": pick(r, intentTopics), "provider": "intentwire", "score": 55 + r.IntN(45)})
		}
	}

	var pJob float64
	switch {
	case p.reason == "contact left company":
		pJob = 1
	case p.outcome == "":
		pJob = 0.015
	case p.outcome == leadflow.StageNurture:
		pJob = 0.04
	}
	if chance(r, pJob) {
		at := a.at(0.3 + 0.7*r.Float64())
		if p.reason == "contact left company" {
			at = a.at(0.85 + 0.15*r.Float64())
		}
		toComp := chance(r, 0.3)
		newCo := pick(r, enPrefixes) + " " + pick(r, []string{"Labs", "Systems", "Group", "Software", "Partners"})
		if toComp {
			newCo = pick(r, competitors)
		}
		a.add("job_change", at, map[string]any{"to_competitor": toComp, "previous_company": p.co.name,
			"new_company": newCo, "new_title": pick(r, titles).name})
	}
}
