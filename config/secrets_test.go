package config_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/config"
	"github.com/leadflow/leadflow/service"
)

const secretsFile = `scoring:
  actions:
    - {id: hot, threshold: 80, webhook_url: "https://crm.example.com/hot", secret: action-s3cret}
webhooks:
  - url: https://hooks.example.com/a
    secret: hook-s3cret
notifications:
  slack_webhook_url: https://hooks.slack.com/services/T0/B0/slack-s3cret
  sms: {url: "https://sms.example.com/send", account_sid: AC1, auth_token: sms-s3cret, from: "+15550100", after_seconds: 60}
`

// TestExportMasksSecrets: an exported configuration shows no secret (S-CLI-2: it can be kept in
// git), applies back to the same installation without changing anything, and is refused with the
// field named by an installation that does not hold the secrets; --secrets writes them.
func TestExportMasksSecrets(t *testing.T) {
	svc := newService(t)
	mustApply(t, svc, mustParse(t, secretsFile))
	if svc.Subscriptions()[0].Secret != "hook-s3cret" || svc.Model().Actions[0].Secret != "action-s3cret" || svc.NotifySettings().SMS.AuthToken != "sms-s3cret" {
		t.Fatal("the file's secrets were not applied")
	}
	b, err := config.Marshal(config.Export(svc, false), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"hook-s3cret", "action-s3cret", "sms-s3cret", "slack-s3cret"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the export shows the secret %q", s)
		}
	}
	if n := strings.Count(string(b), service.Masked) - 1; n != 4 { // and once in the header
		t.Errorf("%d masked secrets in the export, want 4:\n%s", n, b)
	}
	exported := mustParse(t, string(b))
	if ch := mustApply(t, svc, exported); len(ch.Sections) != 0 {
		t.Errorf("applying the masked export changed %v", ch.Sections)
	}
	if svc.Subscriptions()[0].Secret != "hook-s3cret" || svc.Model().Actions[0].Secret != "action-s3cret" ||
		svc.NotifySettings().SMS.AuthToken != "sms-s3cret" || !strings.HasSuffix(svc.NotifySettings().SlackWebhookURL, "slack-s3cret") {
		t.Fatal("applying the masked export lost a secret")
	}
	fresh := newService(t)
	_, err = config.Apply(context.Background(), fresh, exported, admin)
	if leadflow.ErrorCode(err) != leadflow.EINVALID || !hasField(err, "scoring.actions[0].secret") {
		t.Fatalf("a masked secret applied where none is stored: %v", err)
	}
	if fresh.Model().Version != 1 || len(fresh.Subscriptions()) != 0 {
		t.Fatal("a refused file changed the installation")
	}
	with, err := config.Marshal(config.Export(svc, true), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"hook-s3cret", "action-s3cret", "sms-s3cret", "slack-s3cret"} {
		if !strings.Contains(string(with), s) {
			t.Errorf("the export with secrets lacks %q", s)
		}
	}
}

// TestSecretsFromEnvironment: a secret given as ${NAME} is read from the environment when the file
// is applied; an unset variable is refused with the field named and nothing is stored.
func TestSecretsFromEnvironment(t *testing.T) {
	file := strings.NewReplacer("hook-s3cret", "${LEADFLOW_TEST_HOOK_SECRET}", "sms-s3cret", `"${LEADFLOW_TEST_SMS_TOKEN}"`).Replace(secretsFile)
	svc := newService(t)
	_, err := config.Apply(context.Background(), svc, mustParse(t, file), admin)
	if leadflow.ErrorCode(err) != leadflow.EINVALID || !hasField(err, "webhooks[0].secret") || !hasField(err, "notifications.sms.auth_token") {
		t.Fatalf("unset variables: %v", err)
	}
	if len(svc.Subscriptions()) != 0 || svc.NotifySettings().SMS.URL != "" {
		t.Fatal("a refused file changed the installation")
	}
	t.Setenv("LEADFLOW_TEST_HOOK_SECRET", "from-env")
	t.Setenv("LEADFLOW_TEST_SMS_TOKEN", "sms-from-env")
	mustApply(t, svc, mustParse(t, file))
	if svc.Subscriptions()[0].Secret != "from-env" || svc.NotifySettings().SMS.AuthToken != "sms-from-env" {
		t.Fatalf("secrets from the environment: %+v %+v", svc.Subscriptions(), svc.NotifySettings().SMS)
	}
	if ch := mustApply(t, svc, mustParse(t, file)); len(ch.Sections) != 0 {
		t.Errorf("applying the same file again changed %v", ch.Sections)
	}
}

func hasField(err error, field string) bool {
	var fields []string
	if le, ok := err.(*leadflow.Error); ok {
		for _, f := range le.Fields {
			fields = append(fields, f.Field)
		}
	}
	return slices.Contains(fields, field)
}
