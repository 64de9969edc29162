package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/httpapi"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// TestSecretsAreWriteOnly: no endpoint shows a secret once it is set — webhook and threshold
// action signing secrets, the SMS auth token, the Slack and Teams webhook URLs — not even to an
// admin; writing back what was read keeps every secret; a masked value where none is stored is
// refused with the field named (S-SEC-1/2, S-CLI-2).
func TestSecretsAreWriteOnly(t *testing.T) {
	t.Parallel()
	e := setup(t)
	svc := e.m.Service

	// Webhook subscriptions.
	var st service.Settings
	e.must(http.StatusOK, e.do("GET", "/api/v1/settings", leadflow.RoleAdmin, nil)).json(t, &st)
	st.Webhooks = []service.Subscription{{URL: "https://hooks.example.com/a", Secret: "sub-secret"}}
	var back service.Settings
	e.must(http.StatusOK, e.do("PUT", "/api/v1/settings", leadflow.RoleAdmin, st)).json(t, &back)
	for _, role := range []string{"", leadflow.RoleAdmin, leadflow.RoleManager} {
		got := back
		if role != "" {
			e.must(http.StatusOK, e.do("GET", "/api/v1/settings", role, nil)).json(t, &got)
		}
		if got.Webhooks[0].Secret != service.Masked {
			t.Fatalf("%q reads the webhook secret as %q", role, got.Webhooks[0].Secret)
		}
	}
	back.Lifecycle.MQLThreshold = 55 // read, change one thing, write back
	e.must(http.StatusOK, e.do("PUT", "/api/v1/settings", leadflow.RoleAdmin, back))
	if subs := svc.Subscriptions(); len(subs) != 1 || subs[0].Secret != "sub-secret" || svc.Settings().Lifecycle.MQLThreshold != 55 {
		t.Fatalf("after writing back what was read: %+v", subs)
	}
	back.Webhooks = append(back.Webhooks, service.Subscription{URL: "https://hooks.example.com/b", Secret: service.Masked})
	fieldNamed(t, e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/settings", leadflow.RoleAdmin, back)).problem(t), "webhooks[1].secret")
	if subs := svc.Subscriptions(); len(subs) != 1 {
		t.Fatalf("a refused write changed the subscriptions: %+v", subs)
	}

	// Threshold actions of the scoring model.
	var mr httpapi.ModelResponse
	e.must(http.StatusOK, e.do("GET", "/api/v1/scoring/model", leadflow.RoleAdmin, nil)).json(t, &mr)
	m := mr.Model
	m.Actions = []score.Action{{ID: "hot", Threshold: 80, WebhookURL: "https://crm.example.com/hot", Secret: "action-secret"}}
	e.must(http.StatusOK, e.do("PUT", "/api/v1/scoring/model", leadflow.RoleAdmin, m)).json(t, &mr)
	if mr.Model.Actions[0].Secret != service.Masked {
		t.Fatalf("the stored model shows its action secret as %q", mr.Model.Actions[0].Secret)
	}
	e.must(http.StatusOK, e.do("GET", "/api/v1/scoring/model", leadflow.RoleManager, nil)).json(t, &mr)
	if mr.Model.Actions[0].Secret != service.Masked {
		t.Fatalf("a manager reads the action secret as %q", mr.Model.Actions[0].Secret)
	}
	m = mr.Model
	m.Actions[0].Threshold = 85
	e.must(http.StatusOK, e.do("PUT", "/api/v1/scoring/model", leadflow.RoleAdmin, m))
	if a := svc.Model().Actions; len(a) != 1 || a[0].Secret != "action-secret" || a[0].Threshold != 85 {
		t.Fatalf("after writing back the model read: %+v", a)
	}
	m.Actions = append(m.Actions, score.Action{ID: "warm", Threshold: 60, WebhookURL: "https://crm.example.com/warm", Secret: service.Masked})
	fieldNamed(t, e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/scoring/model", leadflow.RoleAdmin, m)).problem(t), "actions[1].secret")

	// Notification channels.
	n := service.NotifySettings{SlackWebhookURL: "https://hooks.slack.com/services/T0/B0/xyz", TeamsWebhookURL: "https://example.webhook.office.com/webhookb2/abc",
		SMS: service.SMSSettings{URL: "https://sms.example.com/send", AccountSID: "AC1", AuthToken: "sms-token", From: "+15550100", AfterSeconds: 60}}
	var nb service.NotifySettings
	e.must(http.StatusOK, e.do("PUT", "/api/v1/notifications", leadflow.RoleAdmin, n)).json(t, &nb)
	e.must(http.StatusOK, e.do("GET", "/api/v1/notifications", leadflow.RoleAdmin, nil)).json(t, &nb)
	if nb.SMS.AuthToken != service.Masked || nb.SlackWebhookURL != "https://hooks.slack.com/"+service.Masked ||
		nb.TeamsWebhookURL != "https://example.webhook.office.com/"+service.Masked || nb.SMS.AccountSID != "AC1" {
		t.Fatalf("notification settings as read: %+v", nb)
	}
	nb.SMS.AfterSeconds = 90
	e.must(http.StatusOK, e.do("PUT", "/api/v1/notifications", leadflow.RoleAdmin, nb))
	if got := svc.NotifySettings(); got.SMS.AuthToken != "sms-token" || got.SlackWebhookURL != n.SlackWebhookURL || got.TeamsWebhookURL != n.TeamsWebhookURL || got.SMS.AfterSeconds != 90 {
		t.Fatalf("after writing back the channels read: %+v", got)
	}
	nb.SlackWebhookURL, nb.TeamsWebhookURL = "https://hooks.slack.com/services/T0/B0/new", "" // replace one, remove the other
	e.must(http.StatusOK, e.do("PUT", "/api/v1/notifications", leadflow.RoleAdmin, nb))
	if got := svc.NotifySettings(); got.SlackWebhookURL != nb.SlackWebhookURL || got.TeamsWebhookURL != "" || got.SMS.AuthToken != "sms-token" {
		t.Fatalf("after replacing the Slack URL and removing the Teams one: %+v", got)
	}
	nb.TeamsWebhookURL = "https://example.webhook.office.com/" + service.Masked
	fieldNamed(t, e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/notifications", leadflow.RoleAdmin, nb)).problem(t), "teams_webhook_url")
}
