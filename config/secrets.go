package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// Secrets in a configuration file (S-CLI-2, S-SEC): the signing secrets of threshold actions and
// webhook subscriptions, the SMS auth token and the Slack and Teams webhook URLs. An export shows
// them masked (service.Masked), and applying a masked secret keeps the one stored, so an export
// applies back to the same installation unchanged. To keep a file in git, give each secret as a
// reference to an environment variable, ${NAME}, which is read when the file is applied.

// secretRef is a secret given as ${NAME}.
var secretRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// withSecretsFromEnv returns f with every secret given as ${NAME} replaced by the value of the
// environment variable NAME (lookup is os.LookupEnv); an unset or empty variable is a field error.
// f itself is not changed.
func withSecretsFromEnv(f *File, lookup func(string) (string, bool)) (*File, []leadflow.FieldError) {
	c := *f
	var fe []leadflow.FieldError
	expand := func(field string, v *string) {
		m := secretRef.FindStringSubmatch(*v)
		if m == nil {
			return
		}
		val, ok := lookup(m[1])
		if !ok || val == "" {
			fe = append(fe, leadflow.FieldError{Field: field, Reason: fmt.Sprintf("the environment variable %s is not set", m[1])})
			return
		}
		*v = val
	}
	if f.Scoring != nil {
		m := *f.Scoring
		m.Actions = slices.Clone(m.Actions)
		for i := range m.Actions {
			expand(fmt.Sprintf("%s.actions[%d].secret", SectionScoring, i), &m.Actions[i].Secret)
		}
		c.Scoring = &m
	}
	if f.Webhooks != nil {
		subs := slices.Clone(*f.Webhooks)
		for i := range subs {
			expand(fmt.Sprintf("%s[%d].secret", SectionWebhooks, i), &subs[i].Secret)
		}
		c.Webhooks = &subs
	}
	if f.Notifications != nil {
		n := *f.Notifications
		expand(SectionNotifications+".sms.auth_token", &n.SMS.AuthToken)
		expand(SectionNotifications+".slack_webhook_url", &n.SlackWebhookURL)
		expand(SectionNotifications+".teams_webhook_url", &n.TeamsWebhookURL)
		c.Notifications = &n
	}
	return &c, fe
}

// redactSecrets masks every secret of an exported file.
func redactSecrets(f *File) {
	if f.Scoring != nil {
		m := service.RedactedModel(*f.Scoring)
		f.Scoring = &m
	}
	if f.Webhooks != nil {
		subs := service.Settings{Webhooks: *f.Webhooks}.Redacted().Webhooks
		f.Webhooks = &subs
	}
	if f.Notifications != nil {
		n := f.Notifications.Redacted()
		f.Notifications = &n
	}
}

// hasMaskedSecret reports whether an exported file shows a secret masked.
func hasMaskedSecret(f *File) bool {
	masked := func(s string) bool { return strings.Contains(s, service.Masked) }
	if f.Scoring != nil && slices.ContainsFunc(f.Scoring.Actions, func(a score.Action) bool { return masked(a.Secret) }) {
		return true
	}
	if f.Webhooks != nil && slices.ContainsFunc(*f.Webhooks, func(w service.Subscription) bool { return masked(w.Secret) }) {
		return true
	}
	n := f.Notifications
	return n != nil && (masked(n.SMS.AuthToken) || masked(n.SlackWebhookURL) || masked(n.TeamsWebhookURL))
}
