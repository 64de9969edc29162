// Package config is leadflow's YAML configuration file (S-CLI-2): a sales-ops team keeps the
// scoring model, lifecycle thresholds and criteria, webhook subscriptions and ingest settings in
// git, applies the file at every start (leadflow serve --config) and exports the live
// configuration back to YAML.
//
// Every section of the file is optional: an absent section leaves the live configuration
// unchanged. Within a present section, keys left out take their defaults, so a file describes
// its sections completely and applying it gives the same result whatever was live before.
// Applying the same file again changes nothing and creates no new scoring model version.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/leadflow/leadflow/compete"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/lifecycle"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// MaxFileSize bounds the size of a configuration file.
const MaxFileSize = 4 << 20

// File is the YAML configuration file. Every section is optional; an absent section leaves the
// live configuration unchanged. New sections are added as further optional pointer fields.
type File struct {
	// Scoring is the scoring model. Its version is informational (an export records the version
	// it came from); applying a model that differs from the active one creates a new version.
	Scoring *score.Model `yaml:"scoring,omitempty"`
	// Lifecycle holds the MQL and unqualified thresholds and the SQL qualification criteria; keys
	// left out of a present section take lifecycle.DefaultConfig's values.
	Lifecycle *lifecycle.Config `yaml:"lifecycle,omitempty"`
	// Webhooks are the event subscriptions. nil leaves the live subscriptions unchanged; a
	// pointer to an empty list (`webhooks: []`, or `webhooks:` with no entries) removes them all.
	Webhooks *[]service.Subscription `yaml:"webhooks,omitempty"`
	// Ingest holds the intake settings; keys left out take their defaults.
	Ingest *service.IngestSettings `yaml:"ingest,omitempty"`
	// Teams, Territories and Reps are upserted by name (reps by email); entities absent from the
	// file are left alone — deactivate a rep with active: false.
	Teams       []TeamConfig      `yaml:"teams,omitempty"`
	Territories []TerritoryConfig `yaml:"territories,omitempty"`
	Reps        []RepConfig       `yaml:"reps,omitempty"`
	// Routing replaces the routing rules when present (S-DIST); teams by name, reps by email.
	Routing *[]RuleConfig `yaml:"routing,omitempty"`
	// Recalculation is when performance-derived weights are recalculated (S-DIST-4); keys left
	// out take service.DefaultRecalcPolicy's values.
	Recalculation *service.RecalcPolicy `yaml:"recalculation,omitempty"`
	// Competition is the claim pool policy (S-COMP); keys left out take compete.DefaultConfig's
	// values. Each team's mode is set on the team.
	Competition *compete.Config `yaml:"competition,omitempty"`
	// Notifications are the channels pool offers go out on (S-NOTIFY-1); the section
	// replaces the live settings when present.
	Notifications *service.NotifySettings `yaml:"notifications,omitempty"`
}

// Section names, as the top-level keys of the file.
const (
	SectionScoring   = "scoring"
	SectionLifecycle = "lifecycle"
	SectionWebhooks  = "webhooks"
	SectionIngest    = "ingest"
	// SectionNotifications is the notification channels section.
	SectionNotifications = "notifications"
)

// defaultIngest is the intake default of a new database.
func defaultIngest() service.IngestSettings {
	return service.IngestSettings{CreateLeadsFromEvents: true}
}

// Load reads and parses the configuration file at path. Read errors name the file; errors for
// invalid content do not (callers add the path) and are a *leadflow.Error with code EINVALID whose fields name the path in the file
// and the line, e.g. `scoring.rules[3].when[0].op: unknown operator "is" ... (line 27)`.
func Load(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read configuration %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, leadflow.Errorf(leadflow.ETOOLARGE, "configuration file is larger than %d bytes", MaxFileSize)
	}
	return Parse(data)
}

// Parse parses and validates a configuration file. Unknown keys are errors, as are a scoring
// model that does not compile, invalid lifecycle settings and webhook URLs that are not absolute
// http(s) URLs. Invalid content yields a *leadflow.Error (EINVALID) listing every problem by its
// path in the file and its line.
func Parse(data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, leadflow.Errorf(leadflow.EINVALID, "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &File{}, nil // empty file or only comments
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return &File{}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, leadflow.Errorf(leadflow.EINVALID, "invalid configuration: line %d: the file must be a mapping of sections (%s, %s, %s, %s)",
			root.Line, SectionScoring, SectionLifecycle, SectionWebhooks, SectionIngest)
	}
	idx := indexNode(root)
	present := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		present[root.Content[i].Value] = true
	}

	// Keys left out of a present section take their defaults: decode onto them.
	life, ingest, recalc, comp := lifecycle.DefaultConfig(), defaultIngest(), service.DefaultRecalcPolicy(), compete.DefaultConfig()
	f := &File{Lifecycle: &life, Ingest: &ingest, Recalculation: &recalc, Competition: &comp}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return nil, decodeError(err, idx)
	}
	switch {
	case !present[SectionLifecycle]:
		f.Lifecycle = nil
	case f.Lifecycle == nil: // "lifecycle:" with nothing under it
		d := lifecycle.DefaultConfig()
		f.Lifecycle = &d
	}
	switch {
	case !present[SectionIngest]:
		f.Ingest = nil
	case f.Ingest == nil:
		d := defaultIngest()
		f.Ingest = &d
	}
	switch {
	case !present[SectionCompetition]:
		f.Competition = nil
	case f.Competition == nil:
		d := compete.DefaultConfig()
		f.Competition = &d
	}
	switch {
	case !present[SectionRecalc]:
		f.Recalculation = nil
	case f.Recalculation == nil:
		d := service.DefaultRecalcPolicy()
		f.Recalculation = &d
	}
	if present[SectionWebhooks] && f.Webhooks == nil {
		f.Webhooks = &[]service.Subscription{}
	}

	var fe []leadflow.FieldError
	if present[SectionScoring] && f.Scoring == nil {
		fe = append(fe, leadflow.FieldError{Field: SectionScoring, Reason: "is empty; give a model (rules, grades, bands, actions) or remove the section to keep the active model"})
	}
	if f.Scoring != nil {
		m := normalizeModel(*f.Scoring)
		f.Scoring = &m
	}
	fe = append(fe, validate(f)...)
	if len(fe) > 0 {
		return nil, invalid(fe, idx)
	}
	return f, nil
}

// validate checks every section of f and returns the problems by their path in the file.
func validate(f *File) []leadflow.FieldError {
	var fe []leadflow.FieldError
	if f.Scoring != nil {
		if _, err := f.Scoring.Compile(); err != nil {
			fe = append(fe, fieldErrors(err, SectionScoring)...)
		}
	}
	if f.Lifecycle != nil {
		if err := f.Lifecycle.Validate(); err != nil {
			fe = append(fe, fieldErrors(err, SectionLifecycle)...)
		}
	}
	if f.Webhooks != nil {
		for i, w := range *f.Webhooks {
			if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("%s[%d].url", SectionWebhooks, i), Reason: fmt.Sprintf("%q is not an absolute http or https URL", w.URL)})
			}
			for j, e := range w.Events {
				if strings.TrimSpace(e) == "" {
					fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("%s[%d].events[%d]", SectionWebhooks, i, j), Reason: "must not be empty"})
				}
			}
		}
	}
	return fe
}

// fieldErrors returns the field errors of err with their paths prefixed by section (unless they
// already are), or one error naming the section when err has no fields.
func fieldErrors(err error, section string) []leadflow.FieldError {
	var le *leadflow.Error
	if !errors.As(err, &le) || len(le.Fields) == 0 {
		return []leadflow.FieldError{{Field: section, Reason: leadflow.ErrorMessage(err)}}
	}
	out := make([]leadflow.FieldError, len(le.Fields))
	for i, e := range le.Fields {
		if e.Field != section && !strings.HasPrefix(e.Field, section+".") && !strings.HasPrefix(e.Field, section+"[") {
			e.Field = section + "." + e.Field
		}
		out[i] = e
	}
	return out
}

// invalid builds the EINVALID error of problems, adding the line of each field when idx knows it.
func invalid(fe []leadflow.FieldError, idx *nodeIndex) error {
	msgs := make([]string, len(fe))
	for i := range fe {
		if idx != nil {
			if line := idx.lineOf(fe[i].Field); line > 0 {
				fe[i].Reason += fmt.Sprintf(" (line %d)", line)
			}
		}
		msgs[i] = fe[i].Field + ": " + fe[i].Reason
	}
	return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid configuration: " + strings.Join(msgs, "; "), Fields: fe}
}

var (
	lineMsg      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// decodeError turns a YAML decoding error into an EINVALID error naming the path and line of
// each problem: unknown keys and values of the wrong type.
func decodeError(err error, idx *nodeIndex) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return leadflow.Errorf(leadflow.EINVALID, "invalid configuration: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var fe []leadflow.FieldError
	for _, msg := range te.Errors {
		m := lineMsg.FindStringSubmatch(msg)
		if m == nil {
			fe = append(fe, leadflow.FieldError{Field: "(file)", Reason: msg})
			continue
		}
		line, _ := strconv.Atoi(m[1])
		reason := m[2]
		field := idx.byLine[line]
		if u := unknownField.FindStringSubmatch(reason); u != nil {
			reason = fmt.Sprintf("unknown key %q", u[1])
			if p, ok := idx.keys[keyAt{line, u[1]}]; ok {
				field = p
			}
		}
		if field == "" {
			field = "(file)"
		}
		fe = append(fe, leadflow.FieldError{Field: field, Reason: fmt.Sprintf("%s (line %d)", reason, line)})
	}
	return invalid(fe, nil)
}

// keyAt is a mapping key at a line of the file.
type keyAt struct {
	line int
	key  string
}

// nodeIndex maps paths in the file ("scoring.rules[3].when[0].op") to lines and back.
type nodeIndex struct {
	lines  map[string]int
	keys   map[keyAt]string
	byLine map[int]string // the last path that starts on each line
}

// indexNode records the line of every mapping key and sequence item under root.
func indexNode(root *yaml.Node) *nodeIndex {
	idx := &nodeIndex{lines: map[string]int{}, keys: map[keyAt]string{}, byLine: map[int]string{}}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				idx.add(p, k.Line)
				idx.keys[keyAt{k.Line, k.Value}] = p
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				idx.add(p, item.Line)
				walk(item, p)
			}
		}
	}
	walk(root, "")
	return idx
}

func (idx *nodeIndex) add(path string, line int) {
	if _, ok := idx.lines[path]; !ok {
		idx.lines[path] = line
	}
	idx.byLine[line] = path
}

// lineOf returns the line of path, or of its nearest ancestor in the file (a missing key is
// reported at its parent); 0 when unknown.
func (idx *nodeIndex) lineOf(path string) int {
	for path != "" {
		if l, ok := idx.lines[path]; ok {
			return l
		}
		cut := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
		if cut <= 0 {
			return 0
		}
		path = path[:cut]
	}
	return 0
}

// normalizeModel returns a copy of m whose condition values are what the JSON encoding of the
// model decodes to (float64 numbers, []any lists, strings), so a model read from YAML compiles,
// compares and is stored exactly like one read from the API.
func normalizeModel(m score.Model) score.Model {
	rules := make([]score.Rule, len(m.Rules))
	for i, r := range m.Rules {
		if r.When != nil {
			when := make([]score.Condition, len(r.When))
			for j, c := range r.When {
				c.Value = normalizeValue(c.Value)
				when[j] = c
			}
			r.When = when
		}
		rules[i] = r
	}
	if m.Rules != nil {
		m.Rules = rules
	}
	return m
}

// normalizeValue converts YAML-decoded scalars to their JSON-decoded form: integers to float64,
// timestamps back to text; lists are converted item by item. Other values are kept for Compile to
// judge.
func normalizeValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case time.Time:
		if x.Equal(x.Truncate(24*time.Hour)) && x.Location() == time.UTC {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = normalizeValue(item)
		}
		return out
	}
	return v
}
