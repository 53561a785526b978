package proxy

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// TestTimerHeapKeepsTheEarliestOnTop runs random pushes, moves and
// removals against a sorted reference.
func TestTimerHeapKeepsTheEarliestOnTop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h timerHeap
	in := map[*conn]bool{}
	for step := range 5000 {
		switch op := rng.IntN(4); {
		case op < 2 || len(h) == 0:
			c := &conn{timerAt: 1 + rng.Int64N(1000)}
			h.push(c)
			in[c] = true
		case op == 2:
			c := h[rng.IntN(len(h))]
			c.timerAt = 1 + rng.Int64N(1000)
			h.fix(int(c.tidx))
		default:
			c := h[rng.IntN(len(h))]
			h.remove(c)
			if c.timerAt != 0 {
				t.Fatalf("step %d: remove left timerAt %d", step, c.timerAt)
			}
			delete(in, c)
		}
		if len(h) != len(in) {
			t.Fatalf("step %d: heap holds %d entries, want %d", step, len(h), len(in))
		}
		var want []int64
		for c := range in {
			want = append(want, c.timerAt)
		}
		if len(want) > 0 && h[0].timerAt != slices.Min(want) {
			t.Fatalf("step %d: top %d, want %d", step, h[0].timerAt, slices.Min(want))
		}
		for i, c := range h {
			if int(c.tidx) != i {
				t.Fatalf("step %d: entry %d says it is at %d", step, i, c.tidx)
			}
		}
	}
}

// TestClosedConnectionLeavesNoTimer: a connection that ends before its
// deadline leaves the heap at once, rather than staying there (and keeping
// its memory) until the deadline.
func TestClosedConnectionLeavesNoTimer(t *testing.T) {
	p, err := New(config(&haproxy.Server{Name: "a", Host: "127.0.0.1", Port: 1, Weight: 1}), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &reactor{p: p}
	var conns []*conn
	for range 3 {
		c := &conn{r: r, fe: p.current().frontends[0], be: p.current().backends[0], fd: [2]int{-1, -1}, state: stUp}
		r.register(c)
		c.reg = true
		r.arm(c) // timeout client and server: 10s
		p.live.Add(1)
		conns = append(conns, c)
	}
	if len(r.timers) != 3 {
		t.Fatalf("%d timers armed, want 3", len(r.timers))
	}
	conns[1].close(reasonDone)
	conns[0].close(reasonDone)
	if len(r.timers) != 1 || r.timers[0] != conns[2] {
		t.Fatalf("after two closes the heap holds %d entries, want only the live connection", len(r.timers))
	}
}
