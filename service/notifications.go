package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/notify"
	"github.com/leadflow/leadflow/notify/webpush"
)

// Store keys of the notification channels and the server's VAPID key.
const (
	settingNotifications = "notifications"
	settingVAPID         = "notifications.vapid"
)

// NotifySettings configures the notification channels beside the live stream (S-NOTIFY-1).
// Empty URLs turn a channel off.
type NotifySettings struct {
	// SlackWebhookURL and TeamsWebhookURL receive every new pool lead, for team visibility.
	SlackWebhookURL string `json:"slack_webhook_url,omitempty" yaml:"slack_webhook_url,omitempty"`
	TeamsWebhookURL string `json:"teams_webhook_url,omitempty" yaml:"teams_webhook_url,omitempty"`
	// SMS is the backup channel: a rep who has not seen an offer SMSAfterSeconds after it was
	// sent gets a text message through a Twilio-style HTTP gateway.
	SMS SMSSettings `json:"sms" yaml:"sms"`
	// PushSubject is the VAPID contact (mailto: or https:) of Web Push requests.
	PushSubject string `json:"push_subject,omitempty" yaml:"push_subject,omitempty"`
	// PublicURL is leadflow's address as reps reach it; offers link to PublicURL/pool/<lead id>.
	PublicURL string `json:"public_url,omitempty" yaml:"public_url,omitempty"`
	// AllowHTTPPush accepts http:// push endpoints (test push services only).
	AllowHTTPPush bool `json:"allow_http_push,omitempty" yaml:"allow_http_push,omitempty"`
}

// SMSSettings is the SMS gateway (S-NOTIFY-1).
type SMSSettings struct {
	URL          string `json:"url,omitempty" yaml:"url,omitempty"`
	AccountSID   string `json:"account_sid,omitempty" yaml:"account_sid,omitempty"`
	AuthToken    string `json:"auth_token,omitempty" yaml:"auth_token,omitempty"`
	From         string `json:"from,omitempty" yaml:"from,omitempty"`
	AfterSeconds int    `json:"after_seconds,omitempty" yaml:"after_seconds,omitempty"`
}

// Validate names every bad field of n.
func (n NotifySettings) Validate() error {
	var fe []leadflow.FieldError
	for _, u := range []struct{ field, v string }{{"slack_webhook_url", n.SlackWebhookURL}, {"teams_webhook_url", n.TeamsWebhookURL}, {"sms.url", n.SMS.URL}, {"public_url", n.PublicURL}} {
		if u.v == "" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			fe = append(fe, leadflow.FieldError{Field: u.field, Reason: "must be an absolute http(s) URL"})
		}
	}
	if n.SMS.URL != "" && (n.SMS.From == "" || n.SMS.AfterSeconds < 1 || n.SMS.AfterSeconds > 86400) {
		fe = append(fe, leadflow.FieldError{Field: "sms", Reason: "an SMS gateway needs from and after_seconds (1 to 86400)"})
	}
	if n.PushSubject != "" && !strings.HasPrefix(n.PushSubject, "mailto:") && !strings.HasPrefix(n.PushSubject, "https://") {
		fe = append(fe, leadflow.FieldError{Field: "push_subject", Reason: "must be a mailto: or https: URI"})
	}
	if len(fe) > 0 {
		return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid notification settings", Fields: fe}
	}
	return nil
}

// notifier delivers offers over Web Push, Slack, Teams and SMS through a notify.Dispatcher, so a
// slow or failing channel never delays another channel, the live stream or routing.
type notifier struct {
	mu       sync.Mutex
	settings NotifySettings
	vapid    *webpush.VAPIDKeys
	disp     *notify.Dispatcher
}

// NotifySettings returns the notification channel settings.
func (s *Service) NotifySettings() NotifySettings {
	s.notifier.mu.Lock()
	defer s.notifier.mu.Unlock()
	return s.notifier.settings
}

// PutNotifySettings validates and stores the notification channel settings; they apply at once.
func (s *Service) PutNotifySettings(ctx context.Context, n NotifySettings) (NotifySettings, error) {
	n, err := s.ResolveNotifySecrets(n)
	if err != nil {
		return NotifySettings{}, err
	}
	if err := n.Validate(); err != nil {
		return NotifySettings{}, err
	}
	body, err := json.Marshal(n)
	if err != nil {
		return NotifySettings{}, err
	}
	if err := s.store.Write(ctx, func(tx leadflow.Tx) error { return tx.PutSetting(ctx, settingNotifications, body) }); err != nil {
		return NotifySettings{}, err
	}
	return n, s.applyNotify(n)
}

// VAPIDPublicKey is the server's Web Push application server key, for the browser's
// pushManager.subscribe (S-NOTIFY-1).
func (s *Service) VAPIDPublicKey() string {
	s.notifier.mu.Lock()
	defer s.notifier.mu.Unlock()
	if s.notifier.vapid == nil {
		return ""
	}
	return s.notifier.vapid.PublicKey()
}

// loadNotify reads the channel settings and the VAPID key, creating the key on first start.
func (s *Service) loadNotify(ctx context.Context) error {
	var n NotifySettings
	var key []byte
	err := s.store.Write(ctx, func(tx leadflow.Tx) error {
		b, err := tx.Setting(ctx, settingNotifications)
		if err != nil {
			return err
		}
		if b != nil {
			if err := json.Unmarshal(b, &n); err != nil {
				return fmt.Errorf("setting %s: %w", settingNotifications, err)
			}
		}
		if key, err = tx.Setting(ctx, settingVAPID); err != nil || key != nil {
			return err
		}
		k, err := webpush.GenerateVAPIDKeys()
		if err != nil {
			return err
		}
		key = []byte(k.PrivateKey())
		return tx.PutSetting(ctx, settingVAPID, key)
	})
	if err != nil {
		return err
	}
	k, err := webpush.ParseVAPIDKeys(string(key))
	if err != nil {
		return fmt.Errorf("stored VAPID key: %w", err)
	}
	s.notifier.mu.Lock()
	s.notifier.vapid = k
	s.notifier.mu.Unlock()
	return s.applyNotify(n)
}

// applyNotify starts a dispatcher for the settings and drains the previous one.
func (s *Service) applyNotify(n NotifySettings) error {
	now := s.clock.Now
	s.notifier.mu.Lock()
	defer s.notifier.mu.Unlock()
	channels := []notify.Channel{
		&notify.Slack{URL: n.SlackWebhookURL, Now: now},
		&notify.Teams{URL: n.TeamsWebhookURL, Now: now},
		&notify.SMS{URL: n.SMS.URL, AccountSID: n.SMS.AccountSID, AuthToken: n.SMS.AuthToken, From: n.SMS.From, Now: now},
	}
	if s.notifier.vapid != nil {
		subject := n.PushSubject
		if subject == "" {
			subject = "mailto:admin@leadflow.invalid"
		}
		channels = append(channels, &notify.WebPush{VAPID: s.notifier.vapid, Subject: subject, Now: now, AllowHTTP: n.AllowHTTPPush})
	}
	d, err := notify.NewDispatcher(notify.DispatcherOptions{Timeout: 10 * time.Second, Clock: now, Logger: s.log, OnResult: s.deliveryResult}, channels...)
	if err != nil {
		return err
	}
	old := s.notifier.disp
	s.notifier.settings, s.notifier.disp = n, d
	if old != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = old.Close(ctx)
		}()
	}
	return nil
}

// closeNotify drains the dispatcher (at shutdown).
func (s *Service) closeNotify(ctx context.Context) {
	s.notifier.mu.Lock()
	d := s.notifier.disp
	s.notifier.disp = nil
	s.notifier.mu.Unlock()
	if d != nil {
		_ = d.Close(ctx)
	}
}

// deliveryResult records a delivered push offer as sent (S-NOTIFY-3) and forgets subscriptions
// the push service reports gone. It runs on the dispatcher's workers, never in a transaction.
func (s *Service) deliveryResult(r notify.Result) {
	ctx := context.Background()
	lead, rep, ok := parseOfferRef(r.Ref)
	switch {
	case r.OK && ok && (r.Channel == notify.ChannelWebPush || r.Channel == notify.ChannelSMS):
		if err := s.store.Write(ctx, func(tx leadflow.Tx) error {
			return tx.PutOffers(ctx, leadflow.Offer{LeadID: lead, RepID: rep, SentAt: r.SentAt, Channel: r.Channel})
		}); err != nil {
			s.log.Error("record offer", slog.Any("err", err))
		}
	case errors.Is(r.Err, webpush.ErrGone):
		var sub webpush.Subscription
		if json.Unmarshal([]byte(r.Target), &sub) == nil {
			_ = s.store.Write(ctx, func(tx leadflow.Tx) error {
				_, err := tx.DeletePushSubscription(ctx, sub.Endpoint)
				return err
			})
		}
	case !r.OK && !errors.Is(r.Err, notify.ErrExpired):
		s.log.Warn("notification not delivered", slog.String("channel", r.Channel), slog.String("ref", r.Ref), slog.Int("status", r.Status), slog.Any("err", r.Err))
	}
}

func offerRef(lead, rep int64) string { return fmt.Sprintf("%d:%d", lead, rep) }

func parseOfferRef(ref string) (lead, rep int64, ok bool) {
	a, b, found := strings.Cut(ref, ":")
	l, err1 := strconv.ParseInt(a, 10, 64)
	r, err2 := strconv.ParseInt(b, 10, 64)
	return l, r, found && err1 == nil && err2 == nil
}

// notifyOffer sends an offer that opened for reps over Web Push to their subscribed browsers, and
// schedules the SMS backup for those who will not have seen it in time (S-NOTIFY-1). It only
// enqueues: delivery runs on the dispatcher's workers.
func (s *Service) notifyOffer(e leadflow.PoolEntry, o compete.Offer, reps []int64) {
	s.notifier.mu.Lock()
	d, n := s.notifier.disp, s.notifier.settings
	s.notifier.mu.Unlock()
	if d == nil {
		return
	}
	msg := s.channelOffer(o, n)
	var subs []leadflow.PushSubscription
	_ = s.read(context.Background(), func(tx leadflow.ReadTx) error {
		var err error
		subs, err = tx.PushSubscriptions(context.Background(), reps)
		return err
	})
	for _, p := range subs {
		target, _ := json.Marshal(webpush.Subscription{Endpoint: p.Endpoint, Keys: webpush.Keys{P256dh: p.P256dh, Auth: p.Auth}})
		s.dispatch(d, notify.Delivery{Ref: offerRef(e.LeadID, p.RepID), Channel: notify.ChannelWebPush, Target: string(target), Offer: msg})
	}
	if n.SMS.URL != "" && n.SMS.AfterSeconds > 0 {
		s.offers.smsLater(e.LeadID, reps, s.clock.Now().Add(time.Duration(n.SMS.AfterSeconds)*time.Second))
	}
}

// announce posts a new pool lead to the team's Slack and Teams channels (team visibility,
// S-NOTIFY-1). Blind leads are posted without their quality.
func (s *Service) announce(o compete.Offer) {
	s.notifier.mu.Lock()
	d, n := s.notifier.disp, s.notifier.settings
	s.notifier.mu.Unlock()
	if d == nil {
		return
	}
	msg := s.channelOffer(o, n)
	if n.SlackWebhookURL != "" {
		s.dispatch(d, notify.Delivery{Ref: offerRef(o.LeadID, 0), Channel: notify.ChannelSlack, Offer: msg})
	}
	if n.TeamsWebhookURL != "" {
		s.dispatch(d, notify.Delivery{Ref: offerRef(o.LeadID, 0), Channel: notify.ChannelTeams, Offer: msg})
	}
}

// smsBackup texts a rep an offer it has not seen SMSAfterSeconds after it was sent, if the lead
// is still in the pool (S-NOTIFY-1).
func (s *Service) smsBackup(ctx context.Context, leadID int64, reps []int64) {
	s.notifier.mu.Lock()
	d, n := s.notifier.disp, s.notifier.settings
	s.notifier.mu.Unlock()
	if d == nil || n.SMS.URL == "" {
		return
	}
	var e *leadflow.PoolEntry
	var l *leadflow.Lead
	var offers []leadflow.Offer
	var cfg *routingConfig
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if e, err = tx.PoolEntry(ctx, leadID); err != nil {
			return err
		}
		if l, err = tx.LeadByID(ctx, leadID); err != nil {
			return err
		}
		if cfg, err = s.routingConfigFor(ctx, tx); err != nil {
			return err
		}
		offers, err = tx.Offers(ctx, leadID)
		return err
	})
	if err != nil || e.Status != leadflow.PoolOpen {
		return
	}
	seen := map[int64]bool{}
	for _, o := range offers {
		if o.SeenAt != nil {
			seen[o.RepID] = true
		}
	}
	now := s.clock.Now()
	o := compete.OfferContent(now, poolLead(e), compete.PreviewOf(l), s.Competition())
	o.ExpiresAt = e.ExpiresAt
	msg := s.channelOffer(o, n)
	for _, id := range reps {
		if rep := cfg.rep(id); rep != nil && rep.Phone != "" && !seen[id] {
			s.dispatch(d, notify.Delivery{Ref: offerRef(leadID, id), Channel: notify.ChannelSMS, Target: rep.Phone, Offer: msg})
		}
	}
}

func (s *Service) dispatch(d *notify.Dispatcher, del notify.Delivery) {
	if err := d.Enqueue(del); err != nil {
		s.log.Warn("notification dropped", slog.String("channel", del.Channel), slog.Any("err", err))
	}
}

// channelOffer turns the pool's offer content into a channel message (S-NOTIFY-2).
func (s *Service) channelOffer(o compete.Offer, n NotifySettings) notify.Offer {
	msg := notify.Offer{LeadID: o.LeadID, Company: o.Company, ContactTitle: o.ContactTitle, Source: o.Source, Blind: o.Blind, ExpiresAt: o.ExpiresAt}
	if o.CompanySize > 0 {
		msg.CompanySize = strconv.Itoa(o.CompanySize) + " employees"
	}
	if !o.Blind && o.Score != nil {
		msg.Score, msg.Band = int(*o.Score+0.5), o.Band
	}
	if n.PublicURL != "" {
		msg.ClaimURL = strings.TrimRight(n.PublicURL, "/") + "/pool/" + strconv.FormatInt(o.LeadID, 10)
	}
	return msg
}

// SubscribePush stores a rep's browser push subscription (S-NOTIFY-1).
func (s *Service) SubscribePush(ctx context.Context, a Actor, sub webpush.Subscription) error {
	if a.RepID == 0 {
		return leadflow.Errorf(leadflow.EFORBIDDEN, "only a rep subscribes to push offers")
	}
	if u, err := url.Parse(sub.Endpoint); err != nil || u.Scheme != "https" && !(u.Scheme == "http" && s.NotifySettings().AllowHTTPPush) || u.Host == "" {
		return leadflow.Invalid("endpoint", "must be the push service's https URL")
	}
	if b, err := webpush.DecodeBase64(sub.Keys.P256dh); err != nil || len(b) != 65 {
		return leadflow.Invalid("keys.p256dh", "must be the browser's base64url P-256 public key (65 bytes)")
	}
	if b, err := webpush.DecodeBase64(sub.Keys.Auth); err != nil || len(b) != 16 {
		return leadflow.Invalid("keys.auth", "must be the browser's base64url auth secret (16 bytes)")
	}
	return s.store.Write(ctx, func(tx leadflow.Tx) error {
		return tx.PutPushSubscription(ctx, leadflow.PushSubscription{RepID: a.RepID, Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth, CreatedAt: s.clock.Now()})
	})
}
