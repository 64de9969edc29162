package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/lifecycle"
)

// Settings is the non-model configuration kept in the store (S-CLI-2).
type Settings struct {
	Lifecycle lifecycle.Config `json:"lifecycle" yaml:"lifecycle"`
	Webhooks  []Subscription   `json:"webhooks" yaml:"webhooks"`
	Ingest    IngestSettings   `json:"ingest" yaml:"ingest"`
}

// Settings returns a copy of the live settings; changing it changes nothing until PutSettings.
func (s *Service) Settings() Settings {
	_, life, subs, ingest := s.snapshot()
	out := Settings{Lifecycle: life, Webhooks: make([]Subscription, len(subs)), Ingest: ingest}
	for i, sub := range subs {
		sub.Events = slices.Clone(sub.Events)
		out.Webhooks[i] = sub
	}
	out.Lifecycle.Criteria = slices.Clone(life.Criteria)
	out.Lifecycle.SQLGrades = slices.Clone(life.SQLGrades)
	return out
}

// PutSettings validates and stores settings; they take effect at once.
func (s *Service) PutSettings(ctx context.Context, st Settings) error {
	if err := st.Lifecycle.Validate(); err != nil {
		return err
	}
	var err error
	if st.Webhooks, err = s.ResolveWebhookSecrets(st.Webhooks); err != nil {
		return err
	}
	var fe []leadflow.FieldError
	for i, w := range st.Webhooks {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("webhooks[%d].url", i), Reason: "must be an absolute http or https URL"})
		}
	}
	if len(fe) > 0 {
		return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid settings", Fields: fe}
	}
	values := map[string]any{settingLifecycle: st.Lifecycle, settingSubscriptions: st.Webhooks, settingIngest: st.Ingest}
	err = s.store.Write(ctx, func(tx leadflow.Tx) error {
		for k, v := range values {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if err := tx.PutSetting(ctx, k, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.reload(ctx)
}

// Refresh reloads the active model and settings from the store; nodes sharing one database call
// it periodically so a change made through any node reaches all of them.
func (s *Service) Refresh(ctx context.Context) error {
	s.invalidateConfig()
	return s.reload(ctx)
}
