package config

import (
	"bytes"
	"fmt"
	"github.com/leadflow/leadflow/compete"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leadflow/leadflow/lifecycle"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// Marshal writes f as YAML under a short header comment naming the export time and how to apply
// the file.
func Marshal(f *File, now time.Time) ([]byte, error) {
	header := fmt.Sprintf("leadflow configuration — exported %s; apply with: leadflow serve --config <file>", now.UTC().Format(time.RFC3339))
	if hasMaskedSecret(f) {
		header += "\nSecrets are shown as " + service.Masked + ": applying the file keeps the secrets stored. To apply it\n" +
			"elsewhere, or keep it in git, give each one as \"${NAME}\", read from the environment variable NAME."
	}
	return encode(f, header, exportComments)
}

// Example returns a commented example configuration with the seed defaults: the default scoring
// model with a demo-invite threshold action at 75, the default lifecycle, a webhook subscription
// and the default ingest settings. It parses with Parse and applies as is (replace the example
// URLs and secrets first).
func Example() []byte {
	m := effectiveModel(score.DefaultModel())
	m.Actions = []score.Action{{ID: "demo_invite", Threshold: 75,
		WebhookURL: "https://crm.example.com/hooks/demo-invite", Secret: "replace-with-a-shared-secret"}}
	life, ingest := lifecycle.DefaultConfig(), defaultIngest()
	subs := []service.Subscription{{URL: "https://hooks.example.com/leadflow", Secret: "replace-with-a-shared-secret",
		Events: []string{"lead.created", "lead.stage_changed"}}}
	recalc, comp := service.DefaultRecalcPolicy(), compete.DefaultConfig()
	f := &File{Scoring: &m, Lifecycle: &life, Webhooks: &subs, Ingest: &ingest, Recalculation: &recalc, Competition: &comp}
	b, err := encode(f, exampleHeader, exampleComments)
	if err != nil {
		panic("config: example: " + err.Error()) // static data: cannot happen
	}
	return b
}

// encode writes f as YAML with header as its first comment, compact flow style for short lists
// and conditions, and the comments annotate adds.
func encode(f *File, header string, annotate func(root *yaml.Node)) ([]byte, error) {
	var root yaml.Node
	if err := root.Encode(f); err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	compact(&root)
	annotate(&root)
	var buf bytes.Buffer
	for _, line := range strings.Split(header, "\n") {
		buf.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
	buf.WriteString("\n")
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	// A blank line before each top-level section (and its head comment) after the first.
	lines := strings.SplitAfter(body.String(), "\n")
	for i, l := range lines {
		if i > 0 && l != "" && l[0] != ' ' && l[0] != '\n' {
			if prev := lines[i-1]; prev != "" && prev[0] != '#' && prev[0] != '\n' {
				buf.WriteString("\n")
			}
		}
		buf.WriteString(l)
	}
	return buf.Bytes(), nil
}

// flowLists are the keys whose lists are written on one line.
var flowLists = map[string]bool{"events": true, "value": true, "criteria": true, "sql_grades": true}

// compact writes conditions and short lists in flow style: `- {field: industry, op: in, value: [IT, Software]}`.
func compact(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch {
			case k.Value == "when" && v.Kind == yaml.SequenceNode:
				for _, c := range v.Content {
					c.Style = yaml.FlowStyle
				}
			case flowLists[k.Value] && v.Kind == yaml.SequenceNode:
				v.Style = yaml.FlowStyle
			}
		}
	}
	for _, c := range n.Content {
		compact(c)
	}
}

// lookup returns the key and value nodes of key in mapping n, or nils.
func lookup(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// comment sets the head comment of the key at path (dot-separated keys) under root, if present.
func comment(root *yaml.Node, path, text string) {
	n := root
	var k *yaml.Node
	for _, key := range strings.Split(path, ".") {
		if k, n = lookup(n, key); k == nil {
			return
		}
	}
	k.HeadComment = text
}

// sectionComments are the short comments of an exported file.
var sectionComments = map[string]string{
	SectionScoring:   "Scoring model. A model that differs from the active one becomes a new version and every lead is rescored.",
	SectionLifecycle: "Lifecycle thresholds and SQL qualification criteria.",
	SectionWebhooks:  "Webhook subscriptions to domain events (no events: all). `webhooks: []` removes them all.",
	SectionIngest:    "Lead intake.",
	SectionNotifications: "Notification channels of pool offers: Slack and Teams incoming webhooks, the SMS gateway\n" +
		"(a rep who has not seen an offer after after_seconds gets a text), Web Push contact and public URL.",
}

// exportComments annotates an exported file: section comments and the informational version.
func exportComments(root *yaml.Node) {
	for s, text := range sectionComments {
		comment(root, s, text)
	}
	_, scoring := lookup(root, SectionScoring)
	if _, v := lookup(scoring, "version"); v != nil {
		v.LineComment = "the version exported; ignored when applied"
	}
}

const exampleHeader = `leadflow configuration (example)

Keep this file in git and apply it at every start with:
  leadflow serve --config leadflow.yaml
Every section is optional: a section left out keeps the live configuration unchanged. Keys left
out of a section take their defaults. Applying the same file again changes nothing.
Export the live configuration with: leadflow export --config --out leadflow.yaml`

// exampleComments annotates Example: what every section and key means.
func exampleComments(root *yaml.Node) {
	_, scoring := lookup(root, SectionScoring)
	if k, _ := lookup(scoring, "version"); k != nil { // a draft's version means nothing here
		for i := 0; i+1 < len(scoring.Content); i += 2 {
			if scoring.Content[i] == k {
				scoring.Content = append(scoring.Content[:i], scoring.Content[i+2:]...)
				break
			}
		}
	}
	comments := map[string]string{
		SectionScoring: `Scoring model. Applying a model that differs from the active one stores it as a new version
and rescores every lead in the background; an identical model changes nothing.
score = fit (who the lead is) + engagement (what the lead did).`,
		"scoring.name": "A label for the model.",
		"scoring.rules": `Rules. id: unique, [a-z0-9_.-]. kind: fit (lead fields) or behavior (events).
points: awarded once per matching lead (fit) or per matching event (behavior); negative points
lower the score. category: free label (demographic, firmographic, engagement, intent, negative).
when: conditions that must all hold, {field, op, value}. op: equals, not_equals, in, contains,
matches, not_matches (Go regexp; (?i) ignores case), gt, gte, lt, lte, between [min, max], exists.
Fit fields: email, company, company_size, industry, job_title, seniority (derived from the job
title when not set), country, region, city, timezone, language, source, campaign, first_name,
last_name, phone, external_id, custom.<key>. Behavior fields: type, properties.<key>.
Behavior rules only: events (event types), max_count (newest hits counted), half_life_days
(points halve every so many days), expire_days (older hits are dropped). max_points caps a rule.`,
		"scoring.grades":                  "Letter grade of the fit score, best first: the first grade whose min_fit the fit reaches.",
		"scoring.bands":                   "Bands of the total score: hot at or above hot, warm at or above warm, otherwise cold.",
		"scoring.actions":                 "Threshold actions: a signed webhook (HMAC with secret) when a lead's total crosses threshold upwards.",
		SectionLifecycle:                  "Lifecycle.",
		"lifecycle.mql_threshold":         "A new or nurtured lead whose total reaches this becomes an MQL automatically.",
		"lifecycle.unqualified_below":     "Leads under this total are flagged unqualified; must be lower than mql_threshold.",
		"lifecycle.criteria":              "Criteria a rep must confirm before a lead becomes an SQL (here BANT).",
		"lifecycle.sql_grades":            "Fit grades of the ideal customer profile; an SQL needs one of them. [] allows any grade.",
		SectionWebhooks:                   "Webhook subscriptions: signed POSTs of domain events (lead.created, lead.scored,\nlead.stage_changed, lead.erased, ...); no events means all. `webhooks: []` removes every\nsubscription; leaving the section out keeps the live ones.",
		SectionIngest:                     "Lead intake.",
		"ingest.create_leads_from_events": "An event with an unknown email creates the lead (false: the event is rejected).",
		SectionCompetition:                competitionComment(),
		SectionRecalc: `When performance-derived weights are recalculated (S-DIST-4). cadence: rolling (daily over
window_days), monthly, quarterly or every_n_leads (with every_leads). Between recalculations routing
uses the frozen figures. max_change clamps how far one recalculation moves a rep's rates (0.25 =
±25%, 0 = off). Early recalculation when a rep's rate moves more than rate_trigger (reps with
min_leads leads), when the team changes (team_trigger) or when the 30-day lead source mix moves
more than mix_trigger (total variation, 0-1). Every changed weight is logged with its inputs.`,
	}
	for path, text := range comments {
		comment(root, path, text)
	}
	// Group headings in the rule list.
	_, rules := lookup(scoring, "rules")
	if rules == nil {
		return
	}
	seen := map[string]bool{}
	for _, r := range rules.Content {
		_, kind := lookup(r, "kind")
		_, cat := lookup(r, "category")
		group := ""
		switch {
		case cat != nil && cat.Value == score.CategoryNegative:
			group = "Negative rules: subtract points for signs of a poor prospect."
		case kind != nil && kind.Value == score.KindFit:
			group = "Fit rules: points for who the lead is."
		case kind != nil && kind.Value == score.KindBehavior:
			group = "Behavior rules: points for each matching event, limited by max_count, decaying by half_life_days."
		}
		if group != "" && !seen[group] {
			seen[group] = true
			r.HeadComment = group
		}
	}
}

// competitionComment explains the claim pool section, with the seed's guidance on which mode
// suits which team (S-COMP-10).
func competitionComment() string {
	var b strings.Builder
	b.WriteString(`Competitive claim pool (S-COMP). A routing rule with method: pool sends a team's leads to its
pool; the team's mode (teams[].mode) decides how: open_pool, tiered, speed_to_lead or round_robin
(empty: open pool below 10 reps, tiers from 10). Durations: 15m, 2h, 14d. A zero limit or ratio
turns that rule off.
Which mode? `)
	b.WriteString(wrap(compete.GeneralGuidance, 100))
	for _, m := range compete.Modes() {
		b.WriteString("\n- " + string(m.Mode) + ": " + wrap(m.BestFor, 100))
	}
	return b.String()
}

// wrap breaks text into lines of at most width characters.
func wrap(text string, width int) string {
	var b strings.Builder
	line := 0
	for _, w := range strings.Fields(text) {
		if line > 0 && line+1+len(w) > width {
			b.WriteString("\n")
			line = 0
		} else if line > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}
