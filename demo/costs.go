package demo

import (
	"math"
	"slices"
	"time"

	"github.com/leadflow/leadflow"
)

// period is a calendar month, clipped to the dataset's time frame.
type period struct{ from, to time.Time }

// periods splits [start, now] at month boundaries.
func (w *world) periods() []period {
	var ps []period
	for from := w.start; from.Before(w.now); {
		next := time.Date(from.Year(), from.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		ps = append(ps, period{from, minTime(next, w.now)})
		from = next
	}
	return ps
}

// monthFraction is the share of its calendar month a period covers.
func (p period) monthFraction() float64 {
	first := time.Date(p.from.Year(), p.from.Month(), 1, 0, 0, 0, 0, time.UTC)
	month := first.AddDate(0, 1, 0).Sub(first)
	return float64(p.to.Sub(p.from)) / float64(month)
}

// Costs returns realistic marketing costs per source and campaign for each month of the dataset
// generated with the same Options (the first and last month are partial, cut at the dataset's
// start and at Now; From is inclusive and To exclusive). Each campaign costs a monthly fixed
// amount (tools, retainers, sponsorships) plus a cost per lead it brought in that month, so that
// cost per SQL differs believably between channels: referrals and brand search are cheap, paid
// social and trade shows expensive. Amounts are in USD; the result is deterministic and sorted by
// month, then source, then campaign.
func Costs(opts Options) []leadflow.Cost {
	o := opts.withDefaults()
	w := newWorld(o)
	profiles := w.profiles()
	periods := w.periods()
	r := newRand(o.Seed, streamCosts)

	periodOf := func(t time.Time) int {
		for i, p := range periods {
			if t.Before(p.to) {
				return i
			}
		}
		return len(periods) - 1
	}
	type key struct {
		campaign string
		period   int
	}
	leads := map[key]int{}
	for _, p := range profiles {
		leads[key{p.campaign, periodOf(p.created)}]++
	}

	// Every campaign with its cost model, in a fixed order.
	type item struct {
		source  string
		c       campaignDef
		quarter string    // when set, the fixed spend runs only in this quarter's months
		oneOff  time.Time // when set, a one-off amount (c.monthly) falls in this month only
	}
	var items []item
	var quarters []string // distinct quarter names in the dataset's months
	for _, p := range periods {
		if q := quarterName(p.from); !slices.Contains(quarters, q) {
			quarters = append(quarters, q)
		}
	}
	for _, s := range sources {
		for _, c := range s.campaigns {
			items = append(items, item{source: s.name, c: c})
		}
		switch s.name {
		case "webinar":
			// One series per quarter with webinars; registrations for next quarter's first
			// webinar can come in before that quarter starts (and cost only per lead).
			var series []string
			for _, wb := range w.webinars {
				if wb.deepDive || wb.at.Before(w.start) || slices.Contains(series, wb.campaign) {
					continue
				}
				series = append(series, wb.campaign)
				c := webinarSeriesCost
				c.name = wb.campaign
				it := item{source: s.name, c: c, quarter: quarterName(wb.at)}
				if !slices.Contains(quarters, it.quarter) {
					it.c.monthly = 0
				}
				items = append(items, it)
			}
			c := deepDiveCost
			c.name = "product-deep-dive"
			items = append(items, item{source: s.name, c: c})
		case "event":
			for _, sh := range w.shows {
				items = append(items, item{source: s.name, oneOff: sh.at, c: campaignDef{
					name: sh.campaign, cpl: 35, monthly: sh.sponsorship,
					note: "Sponsorship, booth and travel: " + sh.name,
				}})
			}
		case "outbound":
			for _, q := range quarters {
				c := sdrEmailCost
				c.name = "sdr-cold-email-" + q
				items = append(items, item{source: s.name, c: c, quarter: q})
			}
		}
	}

	var costs []leadflow.Cost
	for pi, per := range periods {
		for _, it := range items {
			amount := 0.0
			switch {
			case !it.oneOff.IsZero():
				if periodOf(it.oneOff) == pi {
					amount += it.c.monthly
				}
			case it.quarter == "" || it.quarter == quarterName(per.from):
				amount += it.c.monthly * per.monthFraction() * (0.9 + 0.2*r.Float64())
			}
			if n := leads[key{it.c.name, pi}]; n > 0 {
				amount += it.c.cpl * float64(n) * (0.85 + 0.3*r.Float64())
			}
			amount = math.Round(amount*100) / 100
			if amount < 1 {
				continue
			}
			costs = append(costs, leadflow.Cost{
				Source:   it.source,
				Campaign: it.c.name,
				From:     per.from,
				To:       per.to,
				Amount:   amount,
				Currency: "USD",
				Note:     it.c.note,
			})
		}
	}
	return costs
}
