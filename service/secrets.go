package service

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
)

// Secrets are write-only (S-SEC-1/2, S-CLI-2): the API and the configuration export show a secret
// that is set as Masked, never its value, and a write that sends Masked back keeps the secret
// already stored. So an admin can read the settings, change one thing and write them back
// without handling secrets, and an exported configuration can be kept in git.
//
// The secrets are the signing secrets of webhook subscriptions and threshold actions, the SMS
// gateway's auth token, and the Slack and Teams incoming-webhook URLs, whose path is the
// credential (their scheme and host are shown: https://hooks.slack.com/********).

// Masked stands for a secret that is set.
const Masked = "********"

// maskSecret is what is shown for the secret s.
func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	return Masked
}

// maskURL is what is shown for a URL whose path is a credential: its scheme and host.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if s == "" || err != nil || u.Host == "" {
		return maskSecret(s)
	}
	return u.Scheme + "://" + u.Host + "/" + Masked
}

// keepSecret resolves a written secret against the stored one: the shown form of the stored
// secret keeps it; anything else replaces it ("" removes it). A value with Masked in it that is
// not the stored secret's shown form is refused, naming field, instead of being stored.
func keepSecret(field, written, stored string, shown func(string) string) (string, *leadflow.FieldError) {
	if written != "" && stored != "" && written == shown(stored) {
		return stored, nil
	}
	if strings.Contains(written, Masked) {
		return "", &leadflow.FieldError{Field: field, Reason: fmt.Sprintf("%q keeps the stored secret, and none is stored here: give the secret itself", Masked)}
	}
	return written, nil
}

// RedactedModel returns m with its threshold actions' secrets masked.
func RedactedModel(m score.Model) score.Model {
	m.Actions = slices.Clone(m.Actions)
	for i := range m.Actions {
		m.Actions[i].Secret = maskSecret(m.Actions[i].Secret)
	}
	return m
}

// Redacted returns the settings with the webhook subscriptions' secrets masked.
func (st Settings) Redacted() Settings {
	st.Webhooks = slices.Clone(st.Webhooks)
	for i := range st.Webhooks {
		st.Webhooks[i].Secret = maskSecret(st.Webhooks[i].Secret)
	}
	return st
}

// Redacted returns the channel settings with the SMS auth token and the Slack and Teams webhook
// URLs masked.
func (n NotifySettings) Redacted() NotifySettings {
	n.SMS.AuthToken = maskSecret(n.SMS.AuthToken)
	n.SlackWebhookURL, n.TeamsWebhookURL = maskURL(n.SlackWebhookURL), maskURL(n.TeamsWebhookURL)
	return n
}

// ResolveModelSecrets returns m with each masked threshold action secret replaced by the stored
// secret of the active model's action with the same id (see Masked).
func (s *Service) ResolveModelSecrets(m score.Model) (score.Model, error) {
	stored := s.Model()
	var fe []leadflow.FieldError
	m.Actions = slices.Clone(m.Actions)
	for i := range m.Actions {
		a := &m.Actions[i]
		var old string
		if j := slices.IndexFunc(stored.Actions, func(s score.Action) bool { return s.ID == a.ID }); j >= 0 {
			old = stored.Actions[j].Secret
		}
		var bad *leadflow.FieldError
		if a.Secret, bad = keepSecret(fmt.Sprintf("actions[%d].secret", i), a.Secret, old, maskSecret); bad != nil {
			fe = append(fe, *bad)
		}
	}
	return m, invalidSecrets(fe)
}

// ResolveWebhookSecrets returns subs with each masked secret replaced by the stored secret of the
// live subscription with the same URL.
func (s *Service) ResolveWebhookSecrets(subs []Subscription) ([]Subscription, error) {
	stored := s.Subscriptions()
	var fe []leadflow.FieldError
	subs = slices.Clone(subs)
	for i := range subs {
		w := &subs[i]
		var old string
		if j := slices.IndexFunc(stored, func(s Subscription) bool { return s.URL == w.URL }); j >= 0 {
			old = stored[j].Secret
		}
		var bad *leadflow.FieldError
		if w.Secret, bad = keepSecret(fmt.Sprintf("webhooks[%d].secret", i), w.Secret, old, maskSecret); bad != nil {
			fe = append(fe, *bad)
		}
	}
	return subs, invalidSecrets(fe)
}

// ResolveNotifySecrets returns n with its masked secrets replaced by the stored ones.
func (s *Service) ResolveNotifySecrets(n NotifySettings) (NotifySettings, error) {
	stored := s.NotifySettings()
	var fe []leadflow.FieldError
	for _, c := range []struct {
		field   string
		written *string
		stored  string
		shown   func(string) string
	}{
		{"sms.auth_token", &n.SMS.AuthToken, stored.SMS.AuthToken, maskSecret},
		{"slack_webhook_url", &n.SlackWebhookURL, stored.SlackWebhookURL, maskURL},
		{"teams_webhook_url", &n.TeamsWebhookURL, stored.TeamsWebhookURL, maskURL},
	} {
		var bad *leadflow.FieldError
		if *c.written, bad = keepSecret(c.field, *c.written, c.stored, c.shown); bad != nil {
			fe = append(fe, *bad)
		}
	}
	return n, invalidSecrets(fe)
}

func invalidSecrets(fe []leadflow.FieldError) error {
	if len(fe) == 0 {
		return nil
	}
	return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid secrets", Fields: fe}
}
