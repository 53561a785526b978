package proxy

import (
	"sync/atomic"
	"time"
)

// rateLimit is global `maxconnrate` (and `maxsessrate`): at most rate
// accepts per second, process-wide, with a burst of one second's worth, as
// HAProxy's per-second counter allows. It is the generic cell rate
// algorithm on one atomic: tat is the time at which the bucket would be
// empty again. The excess waits in the kernel's listen backlog: a listener
// that finds no room rests until the next accept is due (gate.rest).
type rateLimit struct {
	per   int64 // nanoseconds between two accepts at the sustained rate
	burst int64 // how far tat may run ahead of now: (rate-1) × per
	tat   atomic.Int64
}

func newRateLimit(rate int) *rateLimit {
	per := int64(time.Second) / int64(rate)
	return &rateLimit{per: per, burst: int64(rate-1) * per}
}

// take accounts for one accept at monotime now, or reports how long until
// the next one is allowed.
func (l *rateLimit) take(now int64) (ok bool, wait time.Duration) {
	for {
		old := l.tat.Load()
		tat := max(old, now)
		if ahead := tat - now; ahead > l.burst {
			return false, time.Duration(ahead - l.burst)
		}
		if l.tat.CompareAndSwap(old, tat+l.per) {
			return true, 0
		}
	}
}

// refund gives back an accept that did not happen (the backlog was empty).
func (l *rateLimit) refund() { l.tat.Add(-l.per) }

// admit is the accept path's hook: true when an accept on l may happen
// now. Without maxconnrate (g.rate nil) it costs one comparison.
func (g *gate) admit(l *listener) bool {
	if g.rate == nil {
		return true
	}
	ok, wait := g.rate.take(monotime())
	if !ok {
		g.rest(l, wait)
	}
	return ok
}

// rest pauses l for d: released connections do not resume it earlier
// (resumeLocked skips it until restUntil), its retry timer does.
func (g *gate) rest(l *listener, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.off.Load() || l.paused {
		return
	}
	l.paused, l.restUntil = true, monotime()+int64(d)
	g.npaused.Add(1)
	g.unwatch(l)
	if l.retry == nil {
		l.retry = time.AfterFunc(d, g.retry)
	} else {
		l.retry.Reset(d)
	}
}

// resting reports whether l must stay paused for the rate limit.
func (l *listener) resting() bool { return l.restUntil != 0 && monotime() < l.restUntil }
