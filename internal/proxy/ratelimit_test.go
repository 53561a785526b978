package proxy

import (
	"sync"
	"testing"
	"time"
)

func TestRateLimitAllowsABurstThenTheRate(t *testing.T) {
	l := newRateLimit(10) // 10/s: a burst of 10, then one per 100 ms
	now := int64(time.Hour)
	for i := range 10 {
		if ok, _ := l.take(now); !ok {
			t.Fatalf("accept %d of the burst refused", i+1)
		}
	}
	ok, wait := l.take(now)
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("11th accept: ok=%t wait=%v, want a refusal for 100ms", ok, wait)
	}
	if ok, _ := l.take(now + int64(100*time.Millisecond)); !ok {
		t.Fatal("the accept due after 100ms was refused")
	}
	l.refund()
	if ok, _ := l.take(now + int64(100*time.Millisecond)); !ok {
		t.Fatal("a refunded accept was not given back")
	}
	if ok, _ := l.take(now + int64(10*time.Second)); !ok {
		t.Fatal("after a quiet while the bucket is not full again")
	}
}

// TestMaxconnRateLetsTheExcessWaitInTheBacklog: with maxconnrate 20, 45
// clients that connect at once are all served, the first 20 at once and
// the others at 20 per second, none refused.
func TestMaxconnRateLetsTheExcessWaitInTheBacklog(t *testing.T) {
	a := startServer(t, "a")
	cfg := config(a.server())
	cfg.Global.MaxConnRate = 20
	p := startProxy(t, cfg)
	start := time.Now()
	var wg sync.WaitGroup
	served := make(chan time.Duration, 45)
	for range 45 {
		c := dial(t, p.addr)
		wg.Go(func() {
			if _, err := c.line(5 * time.Second); err == nil {
				served <- time.Since(start)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	if n := a.accepted.Load(); n < 15 || n > 27 {
		t.Errorf("%d connections reached the server in the first 300ms, want the burst of about 20", n)
	}
	wg.Wait()
	close(served)
	var last time.Duration
	n := 0
	for d := range served {
		n++
		last = max(last, d)
	}
	if n != 45 {
		t.Fatalf("%d of 45 clients served", n)
	}
	// 25 beyond the burst at 20/s: about 1.25 s.
	if last < 900*time.Millisecond || last > 3*time.Second {
		t.Errorf("the last client was served after %v, want about 1.25s", last)
	}
}

// BenchmarkAdmitWithoutRate is the accept hook's cost when maxconnrate is
// not set: a nil comparison. Compare BenchmarkConnection/proxied with and
// without the hook for the whole path (no difference within noise).
func BenchmarkAdmitWithoutRate(b *testing.B) {
	var g gate
	l := &listener{}
	for b.Loop() {
		if !g.admit(l) {
			b.Fatal("refused")
		}
	}
}
