// Package leadflow holds the domain of the leadflow lead scoring and routing engine: leads,
// activity events, lifecycle stages, history, tokens and the error codes every layer shares.
// Sub-packages implement one concern each: score (rule model, pure), lifecycle (stage machine,
// pure), sqlite (the embedded store), service (one transaction per write), httpapi (the JSON API),
// webhook (signed outbound delivery), config (YAML), demo (generated data) and bench.
package leadflow

import "time"

// Version is the leadflow release; the build may override it with -ldflags.
var Version = "0.1.0-dev"

// Clock tells the time. Logic never calls time.Now directly so that decay, expiry and windows are
// testable with an injected clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// ClockFunc adapts a function to a Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }
