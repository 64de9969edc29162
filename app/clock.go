package app

import (
	"sync/atomic"
	"time"
)

// SettableClock is a clock that can be pinned to a time (for loading history and for tests) or
// follow the wall clock. It is safe for concurrent use.
type SettableClock struct {
	pinned atomic.Int64 // unix nanoseconds; 0 = wall clock
}

// Now returns the pinned time, or the wall clock when none is pinned.
func (c *SettableClock) Now() time.Time {
	if v := c.pinned.Load(); v != 0 {
		return time.Unix(0, v).UTC()
	}
	return time.Now().UTC()
}

// Set pins the clock to t.
func (c *SettableClock) Set(t time.Time) { c.pinned.Store(t.UnixNano()) }

// Advance moves a pinned clock forward by d.
func (c *SettableClock) Advance(d time.Duration) { c.pinned.Add(int64(d)) }

// Release returns the clock to wall time.
func (c *SettableClock) Release() { c.pinned.Store(0) }
