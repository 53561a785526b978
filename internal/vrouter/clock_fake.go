package vrouter

import (
	"sync"
	"time"
)

// FakeClock is a Clock for tests: time moves only when Advance is called.
// Timers fire (a non-blocking send on their channel, as a *time.Timer since
// Go 1.23 behaves) when Advance reaches their deadline. Combine it with
// testing/synctest.Wait to know that a loop has consumed what fired.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires once the fake time reaches Now()+d.
func (c *FakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	t.armLocked(d)
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the fake time forward by d, firing every armed timer whose
// deadline is reached, earliest first, each at its own deadline's time.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.now.Add(d)
	for {
		var next *fakeTimer
		for _, t := range c.timers {
			if t.armed && !t.when.After(end) && (next == nil || t.when.Before(next.when)) {
				next = t
			}
		}
		if next == nil {
			break
		}
		if next.when.After(c.now) {
			c.now = next.when
		}
		next.armed = false
		select {
		case next.ch <- c.now:
		default:
		}
	}
	c.now = end
}

// Armed returns how many timers are waiting to fire.
func (c *FakeClock) Armed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if t.armed {
			n++
		}
	}
	return n
}

type fakeTimer struct {
	c     *FakeClock
	ch    chan time.Time
	when  time.Time
	armed bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.armed = false
	t.drainLocked()
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.drainLocked()
	t.armLocked(d)
	return was
}

// armLocked arms the timer; like a *time.Timer, d <= 0 fires at once.
func (t *fakeTimer) armLocked(d time.Duration) {
	t.when = t.c.now.Add(d)
	t.armed = d > 0
	if !t.armed {
		t.ch <- t.c.now // the channel is empty: just drained or new
	}
}

// drainLocked empties the channel, as Stop and Reset do for *time.Timer
// since Go 1.23: no stale value is received after them.
func (t *fakeTimer) drainLocked() {
	select {
	case <-t.ch:
	default:
	}
}
