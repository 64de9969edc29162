package config

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// Changes summarises what Apply changed.
type Changes struct {
	// ModelVersion is the active scoring model version after Apply.
	ModelVersion int
	// ModelChanged reports that the file's model became a new version; every lead is being
	// rescored in the background by Rescore.
	ModelChanged bool
	// SettingsChanged reports that lifecycle, webhook or ingest settings were stored.
	SettingsChanged bool
	// Sections names the sections that changed, in the order scoring, lifecycle, webhooks, ingest.
	Sections []string
	// Rescore is the background rescoring job started for a new model version, or nil.
	Rescore *leadflow.RescoreJob
}

// String describes the changes in one line, e.g. for leadflow serve's start-up log.
func (c Changes) String() string {
	if len(c.Sections) == 0 {
		return fmt.Sprintf("configuration unchanged (scoring model v%d)", c.ModelVersion)
	}
	s := "configuration changed: " + strings.Join(c.Sections, ", ")
	if c.ModelChanged {
		s += fmt.Sprintf("; scoring model v%d is active and every lead is being rescored", c.ModelVersion)
	}
	return s
}

// Apply makes the file's sections live. A scoring model that differs from the active one
// (compared semantically: rules, grades, bands, actions and name, ignoring the version and
// treating absent grades and bands as the defaults) becomes a new model version via
// svc.PutModel, which starts rescoring every lead in the background; an identical model does
// nothing, so applying the same file at every start creates no new versions. The settings
// sections are merged into svc.Settings() and stored with svc.PutSettings when anything changed;
// they are stored before the model so rescoring uses the new lifecycle thresholds.
//
// Everything is validated before anything is stored. Two nodes applying a changed model at the
// same moment may each create a version; start one node first.
func Apply(ctx context.Context, svc *service.Service, f *File, actor service.Actor) (Changes, error) {
	ch := Changes{ModelVersion: svc.Model().Version}
	if f == nil {
		return ch, nil
	}
	f, fe := withSecretsFromEnv(f, os.LookupEnv)
	if fe = append(fe, validate(f)...); len(fe) > 0 {
		return ch, invalid(fe, nil)
	}
	var model *score.Model
	if f.Scoring != nil {
		m, err := svc.ResolveModelSecrets(normalizeModel(*f.Scoring))
		if err != nil {
			return ch, invalid(fieldErrors(err, SectionScoring), nil)
		}
		same, err := sameModel(svc.Model(), m)
		if err != nil {
			return ch, err
		}
		if !same {
			model = &m
		}
	}

	cur := normalizeSettings(svc.Settings())
	next := cur
	next.Webhooks = slices.Clone(cur.Webhooks)
	var changed []string
	settingsChanged := false
	if f.Lifecycle != nil {
		next.Lifecycle = *f.Lifecycle
	}
	if f.Webhooks != nil {
		subs, err := svc.ResolveWebhookSecrets(*f.Webhooks)
		if err != nil {
			return ch, invalid(fieldErrors(err, SectionWebhooks), nil)
		}
		next.Webhooks = subs
	}
	var notify *service.NotifySettings
	if f.Notifications != nil {
		n, err := svc.ResolveNotifySecrets(*f.Notifications)
		if err != nil {
			return ch, invalid(fieldErrors(err, SectionNotifications), nil)
		}
		if err := n.Validate(); err != nil {
			return ch, invalid(fieldErrors(err, SectionNotifications), nil)
		}
		if same, err := sameJSON(svc.NotifySettings(), n); err != nil {
			return ch, err
		} else if !same {
			notify = &n
		}
	}
	if f.Ingest != nil {
		next.Ingest = *f.Ingest
	}
	next = normalizeSettings(next)
	if model != nil {
		changed = append(changed, SectionScoring)
	}
	for _, s := range []struct {
		name     string
		old, new any
	}{
		{SectionLifecycle, cur.Lifecycle, next.Lifecycle},
		{SectionWebhooks, cur.Webhooks, next.Webhooks},
		{SectionIngest, cur.Ingest, next.Ingest},
	} {
		same, err := sameJSON(s.old, s.new)
		if err != nil {
			return ch, err
		}
		if !same {
			changed = append(changed, s.name)
			settingsChanged = true
		}
	}

	if notify != nil {
		changed = append(changed, SectionNotifications)
	}
	if settingsChanged {
		if err := svc.PutSettings(ctx, next); err != nil {
			return ch, err
		}
		ch.SettingsChanged = true
	}
	if notify != nil {
		if _, err := svc.PutNotifySettings(ctx, *notify); err != nil {
			return ch, err
		}
		ch.SettingsChanged = true
	}
	if model != nil {
		m, job, err := svc.PutModel(ctx, actor, *model)
		if err != nil {
			return ch, err
		}
		ch.ModelChanged, ch.ModelVersion, ch.Rescore = true, m.Version, job
	}
	routing, err := applyRouting(ctx, svc, f, actor)
	if err != nil {
		return ch, err
	}
	ch.Sections = append(changed, routing...)
	return ch, nil
}

// Export returns the live configuration as a File with every section set. The model's grades and
// bands are the effective ones (defaults written out) and its version is the active version.
// Secrets are masked (service.Masked) unless withSecrets: applying a masked export to the same
// installation keeps its secrets; elsewhere give them as ${NAME} (see withSecretsFromEnv).
func Export(svc *service.Service, withSecrets bool) *File {
	m := effectiveModel(svc.Model())
	st := normalizeSettings(svc.Settings())
	life, webhooks, ingest, notify := st.Lifecycle, st.Webhooks, st.Ingest, svc.NotifySettings()
	f := &File{Scoring: &m, Lifecycle: &life, Webhooks: &webhooks, Ingest: &ingest, Notifications: &notify}
	if err := exportRouting(context.Background(), svc, f); err != nil {
		f.Routing = nil // the store failed; the scoring and settings sections are still right
	}
	if !withSecrets {
		redactSecrets(f)
	}
	return f
}

// effectiveModel returns m with its grades and bands filled in with the defaults Compile uses
// when they are absent.
func effectiveModel(m score.Model) score.Model {
	if len(m.Grades) == 0 {
		m.Grades = score.DefaultGrades()
	}
	if m.Bands == (score.Bands{}) {
		m.Bands = score.DefaultBands()
	}
	if m.Rules == nil {
		m.Rules = []score.Rule{}
	}
	return m
}

// sameModel reports whether a and b score identically and carry the same name and actions: their
// JSON encodings match once the version is ignored and absent grades and bands are the defaults.
func sameModel(a, b score.Model) (bool, error) {
	a, b = effectiveModel(normalizeModel(a)), effectiveModel(normalizeModel(b))
	a.Version, b.Version = 0, 0
	return sameJSON(a, b)
}

// sameJSON reports whether a and b have the same JSON encoding.
func sameJSON(a, b any) (bool, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("encode configuration: %w", err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return false, fmt.Errorf("encode configuration: %w", err)
	}
	return bytes.Equal(ja, jb), nil
}

// normalizeSettings gives the lists that are always encoded (criteria, grades, webhooks) a
// non-nil empty value and the omitted ones (a subscription's events) nil when empty, so settings
// compare equal however they were read.
func normalizeSettings(st service.Settings) service.Settings {
	if st.Lifecycle.Criteria == nil {
		st.Lifecycle.Criteria = []string{}
	}
	if st.Lifecycle.SQLGrades == nil {
		st.Lifecycle.SQLGrades = []string{}
	}
	subs := make([]service.Subscription, len(st.Webhooks))
	for i, w := range st.Webhooks {
		if len(w.Events) == 0 {
			w.Events = nil
		}
		subs[i] = w
	}
	st.Webhooks = subs
	return st
}
