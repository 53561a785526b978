package proxy

import (
	"math"
	"time"
)

// Slowstart (configuration.txt, server option `slowstart <start_time_in_ms>`):
// a server that comes back UP after a failed health check runs at full speed
// only after the slowstart period; meanwhile its maxconn grows linearly from
// 1 to 100%, and so does its weight when the backend's algorithm is dynamic
// (see balance.WeightScale). It never applies when halo starts, only after a
// server was seen DOWN.
//
// The ramp costs nothing per connection: a per-backend timer recomputes the
// effective values in coarse steps (rampStep) while some server ramps, and
// the selection set carries them like any other weight change.

// rampStep is how often effective values are recomputed while a server with
// slowstart period d ramps: 20 steps per period, at most 1 s apart (at least
// 1 ms).
func rampStep(d time.Duration) time.Duration {
	return min(max(d/20, time.Millisecond), time.Second)
}

// rampWeight is the effective weight of a server of weight w (already scaled)
// after elapsed of a slowstart period: linear, rounded up, at least 1 while w
// is positive.
func rampWeight(w int, elapsed, period time.Duration) int {
	if w <= 0 || elapsed >= period {
		return w
	}
	if elapsed < 0 {
		elapsed = 0
	}
	return max(1, int(math.Ceil(float64(w)*float64(elapsed)/float64(period))))
}

// ramping reports whether s is in its slowstart period at now. Guarded by
// be.mu.
func (s *server) ramping(now time.Time) bool {
	return !s.upSince.IsZero() && now.Sub(s.upSince) < s.conf().SlowStart
}

// setUp records a health transition to UP at now (the start of a
// slowstart ramp) or to DOWN. Guarded by be.mu.
func (s *server) setUp(up bool, now time.Time) {
	switch {
	case up && !s.up && s.conf().SlowStart > 0:
		s.upSince = now
	case !up:
		s.upSince = time.Time{}
	}
	s.up = up
}

// refresh recomputes every server's effective weight and maxconn at now,
// ends finished ramps and arms the ramp timer while one goes on. It reports
// whether an effective value changed (the caller then rebuilds the set).
// Called with b.mu held (or before the backend is shared).
func (b *backend) refresh(now time.Time) bool {
	changed := false
	var step time.Duration
	for _, s := range b.servers {
		w, mc := s.weight, s.maxconn
		if b.wscale > 0 {
			w *= b.wscale
		}
		// A ramp that changes nothing (a static algorithm and no maxconn)
		// ends at once rather than keep a timer for nothing.
		if s.ramping(now) && (b.wscale > 0 || mc > 0) {
			elapsed := now.Sub(s.upSince)
			if b.wscale > 0 {
				w = rampWeight(w, elapsed, s.conf().SlowStart)
			}
			mc = rampWeight(mc, elapsed, s.conf().SlowStart)
			if st := rampStep(s.conf().SlowStart); step == 0 || st < step {
				step = st
			}
		} else {
			s.upSince = time.Time{}
		}
		if w != s.eweight || mc != s.emaxconn {
			s.eweight, s.emaxconn, changed = w, mc, true
		}
	}
	b.armRamp(step)
	return changed
}

// armRamp (re)starts the ramp timer to fire after step, or stops it when
// step is 0. A timer is owned by the backend and ends with the last ramp; a
// stale one that fires anyway sees a newer rampSeq and does nothing.
// Called with b.mu held.
func (b *backend) armRamp(step time.Duration) {
	if b.rampTimer != nil {
		b.rampTimer.Stop()
		b.rampTimer = nil
	}
	b.rampSeq++
	if step == 0 {
		return
	}
	seq := b.rampSeq
	b.rampTimer = time.AfterFunc(step, func() { b.rampTick(seq) })
}

// rampTick is one step of the ramp: it applies the new effective values and
// hands slots that a larger maxconn opened to queued connections.
func (b *backend) rampTick(seq uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if seq != b.rampSeq {
		return
	}
	b.rampTimer = nil
	if b.refresh(b.now()) {
		b.rebuild()
		b.dispatchLocked()
	}
}

// userWeight is s's effective weight in configured units (rounded up), as
// `show stat` reports it. Guarded by be.mu.
func (s *server) userWeight() int {
	if k := s.be.wscale; k > 1 {
		return (s.eweight + k - 1) / k
	}
	return s.eweight
}
