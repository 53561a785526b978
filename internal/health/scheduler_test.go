package health

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// runScheduler runs sched until the test ends.
func runScheduler(t *testing.T, sched *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Scheduler.Run: %v", err)
		}
	})
}

func TestFirstChecksAreSpreadOverTheInterval(t *testing.T) {
	// Five servers added together at inter 1s are first probed 0, 200,
	// 400, 600 and 800 ms after the start, as HAProxy staggers them, and
	// with no jitter unless spread-checks asks for it.
	const n, inter = 5, time.Second
	var mu sync.Mutex
	first := make([]time.Time, n)
	var checkers []*Checker
	for i := range n {
		srv := serve(t, func(net.Conn) {
			mu.Lock()
			if first[i].IsZero() {
				first[i] = time.Now()
			}
			mu.Unlock()
		})
		b, s := newBackend(haproxy.CheckTCP, srv.port)
		s.Inter = inter
		checkers = append(checkers, NewChecker(b, s, nil, nil))
	}
	sched := NewScheduler(nil)
	start := time.Now()
	sched.Add(checkers...)
	runScheduler(t, sched)
	waitFor(t, "every first probe", func() bool {
		for _, c := range checkers {
			if c.Status().Checks == 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	for i, at := range first {
		want := time.Duration(i) * inter / n
		got := at.Sub(start)
		// Late by the loop's tick and a loaded machine at most; never early.
		if got < want || got > want+time.Duration(tick)+100*time.Millisecond {
			t.Errorf("server %d first probed after %v, want %v", i, got.Round(time.Millisecond), want)
		}
	}
}

func TestSpreadChecksVariesEveryInterval(t *testing.T) {
	b, s := newBackend(haproxy.CheckTCP, 1)
	s.Inter = time.Second
	st := State{Up: true, Health: s.Rise + s.Fall - 1} // fully UP: inter
	if d := NewChecker(b, s, nil, nil).interval(st); d != time.Second {
		t.Fatalf("without spread-checks the interval is %v, want exactly 1s", d)
	}
	b.Check.SpreadChecks = 25
	c := NewChecker(b, s, nil, nil)
	lo, hi := time.Hour, time.Duration(0)
	for range 1000 {
		d := c.interval(st)
		if d < 750*time.Millisecond || d > 1250*time.Millisecond {
			t.Fatalf("spread-checks 25 gave an interval of %v, want 1s ± 25%%", d)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if hi-lo < 400*time.Millisecond {
		t.Errorf("intervals between %v and %v: not spread over ± 25%%", lo, hi)
	}
}

func TestSchedulerRemoveStopsTheChecks(t *testing.T) {
	srv := serve(t, accept)
	b, s := newBackend(haproxy.CheckTCP, srv.port)
	s.Inter = 20 * time.Millisecond
	c := NewChecker(b, s, nil, nil)
	sched := NewScheduler(nil)
	sched.Add(c)
	runScheduler(t, sched)
	waitFor(t, "two probes", func() bool { return c.Status().Checks >= 2 })
	sched.Remove(c)
	time.Sleep(50 * time.Millisecond)
	before := c.Status().Checks
	time.Sleep(100 * time.Millisecond)
	if n := c.Status().Checks; n != before {
		t.Errorf("%d probes after Remove", n-before)
	}
}

func TestSchedulerRunsTLSChecksOnGoroutines(t *testing.T) {
	// A check-ssl server cannot be checked on the loop: its probe runs on a
	// goroutine and the result comes back to the loop like any other.
	srv := serve(t, silent)
	b, s := newBackend(haproxy.CheckTCP, srv.port)
	s.Inter, s.CheckSSL = shortTimeout, true
	c := NewChecker(b, s, nil, nil)
	if c.prober.onLoop {
		t.Fatal("a check-ssl check is on the loop")
	}
	sched := NewScheduler(nil)
	sched.Add(c)
	runScheduler(t, sched)
	waitFor(t, "a probe", func() bool { return c.Status().Checks >= 1 })
	if st := c.Status(); st.Last.Code != CodeL6Timeout {
		t.Errorf("last = %+v, want a Layer6 timeout", st.Last)
	}
}
