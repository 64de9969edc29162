// Package notify delivers leadflow's notifications (S-NOTIFY): the live event stream of the
// web UI over Server-Sent Events, and offer notifications over Slack, Microsoft Teams, SMS
// and Web Push.
//
// # Live stream
//
// A [Hub] receives events from the service after each commit ([Hub.Publish]) and hands them to
// subscribers according to each event's [Audience]: everyone, managers (and admins), given
// reps (e.g. the reps eligible for an offer right now) or given teams. [Hub.ServeStream] serves
// one subscriber as an SSE stream with heartbeats and Last-Event-ID resumption from a bounded
// buffer of recent events; a client whose id is older than the buffer gets an [EventReset]
// event and refetches. Publishing never waits for a subscriber: one whose queue is full is
// disconnected (it reconnects and resumes), so a slow client cannot delay the others
// (S-NOTIFY-4).
//
// The stream's wire format, per event:
//
//	id: 1732300000000042
//	event: offer
//	data: {"lead_id":42,...}
//
// with ": keep-alive" comment lines every 15 s by default. [Decoder] and [ReadEvents] parse it;
// [MeasureFanout] measures delivery latency and first-to-last spread over many connections
// (S-PERF-5).
//
// # Offer channels
//
// [Offer] is the channel-neutral content of an offer (S-NOTIFY-2); it renders itself for each
// channel and never shows the score of a blind lead. [Slack], [Teams], [SMS] and [WebPush]
// are [Channel]s; a [Dispatcher] delivers to them with a queue and workers per channel, so a
// hung or failing channel never delays another one or the caller, and reports every outcome
// with its sent time (S-NOTIFY-3). [DueForFallback] decides when an unseen push should be
// backed up by SMS. Web Push itself (RFC 8291, RFC 8292) is in package
// [github.com/leadflow/leadflow/notify/webpush].
package notify
