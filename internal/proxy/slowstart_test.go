package proxy

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

func TestRampWeight(t *testing.T) {
	const period = 400 * time.Millisecond
	tests := []struct {
		name    string
		w       int
		elapsed time.Duration
		want    int
	}{
		{"a ramp starts at 1, not 0", 160, 0, 1},
		{"a ramp is linear", 160, period / 4, 40},
		{"a ramp rounds up", 10, period / 3, 4},
		{"a finished ramp gives the full weight", 160, period, 160},
		{"a weight of 0 stays 0", 0, period / 2, 0},
		{"a clock that steps back counts as the start", 16, -time.Second, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rampWeight(tt.w, tt.elapsed, period); got != tt.want {
				t.Errorf("rampWeight(%d, %v, %v) = %d, want %d", tt.w, tt.elapsed, period, got, tt.want)
			}
		})
	}
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	base time.Time
	off  atomic.Int64
}

func (c *fakeClock) now() time.Time          { return c.base.Add(time.Duration(c.off.Load())) }
func (c *fakeClock) advance(d time.Duration) { c.off.Add(int64(d)) }

// withClock starts p's backends on a fake clock.
func withClock(c *fakeClock) func(*Proxy) {
	return func(p *Proxy) {
		for _, b := range p.current().backends {
			b.now = c.now
		}
	}
}

func serverWeight(p *running, name string) int {
	for _, s := range p.Snapshot().Backends[0].Servers {
		if s.Name == name {
			return s.Weight
		}
	}
	return -1
}

// waitWeight waits for the ramp timer to bring name to weight w.
func waitWeight(t *testing.T, p *running, name string, w int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for serverWeight(p, name) != w {
		if time.Now().After(deadline) {
			t.Fatalf("server %s has weight %d, want %d", name, serverWeight(p, name), w)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func shares(t *testing.T, p *running, n int) map[string]int {
	t.Helper()
	var got []string
	for i := 0; i < n; i++ {
		got = append(got, greeting(t, p.addr))
	}
	return count(got)
}

func TestSlowStartRampsAServerThatComesBackUp(t *testing.T) {
	a, b := startServer(t, "a"), startServer(t, "b")
	sa, sb := a.server(), b.server()
	sa.Weight, sb.Weight = 10, 10
	sb.SlowStart = 400 * time.Millisecond
	clk := &fakeClock{base: time.Now()}
	p := startProxyWith(t, config(sa, sb), withClock(clk))

	p.SetServerHealth("be", "b", false)
	p.SetServerHealth("be", "b", true)
	if w := serverWeight(p, "b"); w != 1 {
		t.Errorf("right after coming up b has weight %d, want 1", w)
	}
	if got := shares(t, p, 20); got["b"] > 1 {
		t.Errorf("right after coming up b took %d of 20 connections, want at most 1", got["b"])
	}
	clk.advance(200 * time.Millisecond)
	waitWeight(t, p, "b", 5)
	if got := shares(t, p, 30); got["b"] < 5 || got["b"] > 15 {
		t.Errorf("half way through the ramp b took %d of 30 connections, want about 10", got["b"])
	}
	clk.advance(200 * time.Millisecond)
	waitWeight(t, p, "b", 10)
	if got := shares(t, p, 20); got["b"] < 9 || got["b"] > 11 {
		t.Errorf("after the ramp b took %d of 20 connections, want about 10", got["b"])
	}
}

func TestSlowStartEndsOnItsOwn(t *testing.T) {
	a, b := startServer(t, "a"), startServer(t, "b")
	sa, sb := a.server(), b.server()
	sa.Weight, sb.Weight = 8, 8
	sb.SlowStart = 400 * time.Millisecond
	p := startProxy(t, config(sa, sb))

	p.SetServerHealth("be", "b", false)
	p.SetServerHealth("be", "b", true)
	if w := serverWeight(p, "b"); w >= 8 {
		t.Errorf("right after coming up b has weight %d, want less than 8", w)
	}
	waitWeight(t, p, "b", 8)
	if got := shares(t, p, 20); got["b"] < 9 || got["b"] > 11 {
		t.Errorf("after the ramp b took %d of 20 connections, want about 10", got["b"])
	}
}

func TestSlowStartDoesNotApply(t *testing.T) {
	tests := []struct {
		name   string
		alg    haproxy.Algorithm
		bounce bool // take b DOWN and UP before counting
	}{
		{"at process start", haproxy.RoundRobin, false},
		{"to the weight of static-rr", haproxy.StaticRR, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := startServer(t, "a"), startServer(t, "b")
			sa, sb := a.server(), b.server()
			sa.Weight, sb.Weight = 10, 10
			sb.SlowStart = time.Hour
			cfg := config(sa, sb)
			cfg.Backends[0].Balance.Algorithm = tt.alg
			p := startProxyWith(t, cfg, withClock(&fakeClock{base: time.Now()}))
			if tt.bounce {
				p.SetServerHealth("be", "b", false)
				p.SetServerHealth("be", "b", true)
			}
			p.be().mu.Lock()
			armed := p.be().rampTimer != nil
			p.be().mu.Unlock()
			if armed {
				t.Error("a ramp timer is armed for a ramp that changes nothing")
			}
			if w := serverWeight(p, "b"); w != 10 {
				t.Errorf("b has weight %d, want 10", w)
			}
			if got := shares(t, p, 20); got["b"] != 10 {
				t.Errorf("b took %d of 20 connections, want 10", got["b"])
			}
		})
	}
}

func TestSlowStartRampsMaxconn(t *testing.T) {
	a, b := startServer(t, "a"), startServer(t, "b")
	sa, sb := a.server(), b.server()
	sa.MaxConn, sa.SlowStart = 4, 400*time.Millisecond
	cfg := config(sa, sb)
	cfg.Backends[0].Balance.Algorithm = haproxy.First
	clk := &fakeClock{base: time.Now()}
	p := startProxyWith(t, cfg, withClock(clk))

	p.SetServerHealth("be", "a", false)
	p.SetServerHealth("be", "a", true)
	hold := func(n int) []string {
		var got []string
		for i := 0; i < n; i++ {
			c := dial(t, p.addr)
			got = append(got, c.mustLine(t))
		}
		return got
	}
	if got := count(hold(2)); got["a"] != 1 {
		t.Errorf("right after coming up a holds %d of 2 connections, want 1 (maxconn ramps from 1)", got["a"])
	}
	clk.advance(400 * time.Millisecond)
	deadline := time.Now().Add(3 * time.Second)
	for {
		p.be().mu.Lock()
		mc := p.be().servers[0].emaxconn
		p.be().mu.Unlock()
		if mc == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a has maxconn %d after the ramp, want 4", mc)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := count(hold(4)); got["a"] != 3 {
		t.Errorf("after the ramp a took %d of 4 more connections, want 3 (up to maxconn 4)", got["a"])
	}
}

func (r *running) be() *backend { return r.current().backends[0] }
