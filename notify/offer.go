package notify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Offer is the channel-neutral content of a lead offer notification (S-NOTIFY-2). The
// renderers turn it into each channel's format. When Blind is set, Score and Band are never
// rendered anywhere (S-COMP-5 blind claims, S-SEC-2).
type Offer struct {
	// LeadID identifies the lead; it is used for de-duplication tags (web push topic), not
	// shown.
	LeadID int64
	// Company is the company name.
	Company string
	// CompanySize is a display text such as "51-200 employees".
	CompanySize string
	// ContactTitle is the contact's job title.
	ContactTitle string
	// Source is the lead source, e.g. "webinar".
	Source string
	// Score is the lead score; omitted when Blind.
	Score int
	// Band is the score band's label (e.g. "A" or "hot"); omitted when Blind.
	Band string
	// Blind hides the lead's quality: score and band are not rendered.
	Blind bool
	// ExpiresAt is when the claim window closes; time left is computed at render time. Zero
	// means no deadline.
	ExpiresAt time.Time
	// ClaimURL opens the offer in the web UI.
	ClaimURL string
}

// TimeLeft returns the time until ExpiresAt (never negative), or -1 when there is no deadline.
func (o Offer) TimeLeft(now time.Time) time.Duration {
	if o.ExpiresAt.IsZero() {
		return -1
	}
	return max(o.ExpiresAt.Sub(now), 0)
}

// Expired reports whether the claim window has closed at now.
func (o Offer) Expired(now time.Time) bool {
	return !o.ExpiresAt.IsZero() && !now.Before(o.ExpiresAt)
}

// FormatTimeLeft formats a remaining time compactly: "45s", "4m 30s", "1h 05m"; "expired" for
// zero or less.
func FormatTimeLeft(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d <= 0:
		return "expired"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	default:
		return fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
}

// Title is the headline of the offer: "New lead: <company>".
func (o Offer) Title() string {
	if o.Company == "" {
		return "New lead"
	}
	return "New lead: " + o.Company
}

// ScoreText returns the score as shown ("87" or "87 (A)"), and false when the offer is blind.
func (o Offer) ScoreText() (string, bool) {
	if o.Blind {
		return "", false
	}
	s := strconv.Itoa(o.Score)
	if o.Band != "" {
		s += " (" + o.Band + ")"
	}
	return s, true
}

// Fact is one labelled value of an offer.
type Fact struct {
	// Label names the detail, e.g. "Company size".
	Label string
	// Value is the display text.
	Value string
}

// Facts returns the offer's details in display order, leaving out empty values and, for a
// blind offer, the score.
func (o Offer) Facts(now time.Time) []Fact {
	var fs []Fact
	add := func(label, value string) {
		if value != "" {
			fs = append(fs, Fact{label, value})
		}
	}
	add("Company", o.Company)
	add("Company size", o.CompanySize)
	add("Contact", o.ContactTitle)
	add("Source", o.Source)
	if s, ok := o.ScoreText(); ok {
		add("Score", s)
	}
	if left := o.TimeLeft(now); left >= 0 {
		add("Time left to claim", FormatTimeLeft(left))
	}
	return fs
}

// Summary is a one-line description without the title and URL, e.g.
// "51-200 employees · VP Sales · via webinar · score 87 (A) · 4m 30s left to claim".
func (o Offer) Summary(now time.Time) string {
	var parts []string
	if o.CompanySize != "" {
		parts = append(parts, o.CompanySize)
	}
	if o.ContactTitle != "" {
		parts = append(parts, o.ContactTitle)
	}
	if o.Source != "" {
		parts = append(parts, "via "+o.Source)
	}
	if s, ok := o.ScoreText(); ok {
		parts = append(parts, "score "+s)
	}
	if left := o.TimeLeft(now); left >= 0 {
		parts = append(parts, FormatTimeLeft(left)+" left to claim")
	}
	return strings.Join(parts, " · ")
}

// SMSLimit is the length of one GSM-7 SMS segment, which SMS bodies aim to fit.
const SMSLimit = 160

// SMSText renders the offer as a short SMS body of at most SMSLimit characters when possible:
// "Lead: Acme Corp (51-200), VP Sales, webinar, score 87. 4m 30s to claim: <url>". Details
// are dropped (source, then size, then title) and the company name shortened until it fits;
// the claim URL is never cut, so a very long URL can still exceed the limit. Note that
// characters outside the GSM-7 alphabet make carriers use UCS-2 with 70-character segments.
func (o Offer) SMSText(now time.Time) string {
	suffix := ""
	if left := o.TimeLeft(now); left >= 0 {
		suffix = ". " + FormatTimeLeft(left) + " to claim"
	}
	if o.ClaimURL != "" {
		if suffix == "" {
			suffix = ". Claim"
		}
		suffix += ": " + o.ClaimURL
	}
	score, showScore := o.ScoreText()
	company, size, title, source := o.Company, o.CompanySize, o.ContactTitle, o.Source
	build := func() string {
		var b strings.Builder
		b.WriteString("Lead")
		if company != "" {
			b.WriteString(": " + company)
		}
		if size != "" {
			b.WriteString(" (" + size + ")")
		}
		for _, p := range []string{title, source} {
			if p != "" {
				b.WriteString(", " + p)
			}
		}
		if showScore {
			b.WriteString(", score " + score)
		}
		b.WriteString(suffix)
		return b.String()
	}
	s := build()
	for _, drop := range []*string{&source, &size, &title} {
		if utf8.RuneCountInString(s) <= SMSLimit {
			return s
		}
		*drop = ""
		s = build()
	}
	if over := utf8.RuneCountInString(s) - SMSLimit; over > 0 {
		if r := []rune(company); len(r) > over+3 {
			company = string(r[:len(r)-over-3]) + "..."
		} else if len(r) > 0 {
			company = string(r[:min(len(r), 1)]) + "..."
		}
		s = build()
	}
	return s
}

// SlackPayload renders the offer as a Slack incoming webhook message: a fallback "text" and
// Block Kit "blocks" (a headline, a fields section, the time left and a Claim button). Text
// from the lead is escaped for Slack (&, <, >), so it cannot form links or mentions such as
// <!channel>.
func (o Offer) SlackPayload(now time.Time) ([]byte, error) {
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type element struct {
		Type  string `json:"type"`
		Text  *text  `json:"text,omitempty"`
		URL   string `json:"url,omitempty"`
		Style string `json:"style,omitempty"`
	}
	type block struct {
		Type     string    `json:"type"`
		Text     *text     `json:"text,omitempty"`
		Fields   []text    `json:"fields,omitempty"`
		Elements []element `json:"elements,omitempty"`
	}
	esc := slackEscape
	fallback := esc(o.Title())
	if sum := o.Summary(now); sum != "" {
		fallback += " — " + esc(sum)
	}
	if o.ClaimURL != "" {
		fallback += " <" + esc(o.ClaimURL) + "|Claim>"
	}
	blocks := []block{{Type: "section", Text: &text{"mrkdwn", "*" + esc(o.Title()) + "*"}}}
	var fields []text
	for _, f := range o.Facts(now) {
		if f.Label == "Company" {
			continue // in the headline
		}
		fields = append(fields, text{"mrkdwn", "*" + f.Label + "*\n" + esc(f.Value)})
	}
	if len(fields) > 0 {
		blocks = append(blocks, block{Type: "section", Fields: fields[:min(len(fields), 10)]})
	}
	if o.ClaimURL != "" {
		blocks = append(blocks, block{Type: "actions", Elements: []element{{
			Type: "button", Text: &text{"plain_text", "Claim"}, URL: o.ClaimURL, Style: "primary",
		}}})
	}
	return json.Marshal(struct {
		Text   string  `json:"text"`
		Blocks []block `json:"blocks"`
	}{fallback, blocks})
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }

// TeamsPayload renders the offer for a Microsoft Teams incoming webhook as an Adaptive Card
// (version 1.4) in a "message" envelope, the format accepted both by Teams Workflows webhooks
// ("post to a channel when a webhook request is received") and by the older Office 365
// connector webhooks, which are being retired along with their MessageCard format. The card
// has a bold headline, a FactSet of the details and an Action.OpenUrl "Claim" button. Lead
// text is neutralised so it cannot form markdown links.
func (o Offer) TeamsPayload(now time.Time) ([]byte, error) {
	type fact struct {
		Title string `json:"title"`
		Value string `json:"value"`
	}
	type item struct {
		Type   string `json:"type"`
		Text   string `json:"text,omitempty"`
		Weight string `json:"weight,omitempty"`
		Size   string `json:"size,omitempty"`
		Wrap   bool   `json:"wrap,omitempty"`
		Facts  []fact `json:"facts,omitempty"`
	}
	type action struct {
		Type  string `json:"type"`
		Title string `json:"title"`
		URL   string `json:"url"`
	}
	type card struct {
		Schema  string   `json:"$schema"`
		Type    string   `json:"type"`
		Version string   `json:"version"`
		Body    []item   `json:"body"`
		Actions []action `json:"actions,omitempty"`
	}
	type attachment struct {
		ContentType string `json:"contentType"`
		ContentURL  any    `json:"contentUrl"`
		Content     card   `json:"content"`
	}
	c := card{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: "1.4",
		Body:    []item{{Type: "TextBlock", Text: teamsEscape(o.Title()), Weight: "Bolder", Size: "Medium", Wrap: true}},
	}
	var facts []fact
	for _, f := range o.Facts(now) {
		if f.Label != "Company" {
			facts = append(facts, fact{f.Label, teamsEscape(f.Value)})
		}
	}
	if len(facts) > 0 {
		c.Body = append(c.Body, item{Type: "FactSet", Facts: facts})
	}
	if o.ClaimURL != "" {
		c.Actions = []action{{Type: "Action.OpenUrl", Title: "Claim", URL: o.ClaimURL}}
	}
	return json.Marshal(struct {
		Type        string       `json:"type"`
		Attachments []attachment `json:"attachments"`
	}{"message", []attachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: c}}})
}

// teamsEscape breaks markdown link syntax "[text](url)" in lead-supplied text, which Teams
// would otherwise render as a link.
func teamsEscape(s string) string { return strings.ReplaceAll(s, "](", "] (") }

// PushMessage is the JSON payload of an offer's web push message, read by the web UI's
// service worker to show a notification.
type PushMessage struct {
	// Title is the notification title, [Offer.Title].
	Title string `json:"title"`
	// Body is the notification text, [Offer.Summary].
	Body string `json:"body"`
	// URL is opened when the notification is clicked: the claim URL.
	URL string `json:"url,omitempty"`
	// Tag lets a newer notification for the same lead replace an older one.
	Tag string `json:"tag,omitempty"`
	// LeadID identifies the lead.
	LeadID int64 `json:"lead_id,omitempty"`
	// ExpiresAt is the end of the claim window (RFC 3339, UTC), so the service worker can
	// skip showing an expired offer.
	ExpiresAt string `json:"expires_at,omitempty"`
}

// PushPayload renders the offer as the JSON of a [PushMessage]; Tag is "offer-<lead id>" so a
// newer notification for the same lead replaces the older one.
func (o Offer) PushPayload(now time.Time) ([]byte, error) {
	m := PushMessage{Title: o.Title(), Body: o.Summary(now), URL: o.ClaimURL, LeadID: o.LeadID}
	if o.LeadID != 0 {
		m.Tag = "offer-" + strconv.FormatInt(o.LeadID, 10)
	}
	if !o.ExpiresAt.IsZero() {
		m.ExpiresAt = o.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return json.Marshal(m)
}
