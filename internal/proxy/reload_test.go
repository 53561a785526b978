package proxy

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// withBind gives the configuration's only frontend a fixed address, so a
// reloaded copy names the same bind.
func withBind(cfg *haproxy.Config, addr string) *haproxy.Config {
	cfg.Frontends[0].Binds = []haproxy.Bind{{Addr: addr}}
	return cfg
}

func TestApplyKeepsTheListenerAndItsConnections(t *testing.T) {
	a, b := startServer(t, "a"), startServer(t, "b")
	r := startProxy(t, config(a.server()))
	addr := r.addr
	held := dial(t, addr)
	if got := held.mustLine(t); got != "a" {
		t.Fatalf("first connection reached %q, want a", got)
	}

	// A client connects in a loop through every Apply: not one refusal.
	var refused, made atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				refused.Add(1)
				continue
			}
			made.Add(1)
			c.Close()
		}
	})

	// Add b, drop a: a's open connection keeps working, new ones reach b.
	changes, err := r.Apply(withBind(config(b.server()), addr))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(changes) == 0 {
		t.Error("Apply reported no change for a server replaced")
	}
	for range 5 {
		if got := greeting(t, addr); got != "b" {
			t.Fatalf("after the reload a new connection reached %q, want b", got)
		}
	}
	if _, err := held.Write([]byte("still here\n")); err != nil {
		t.Fatal(err)
	}
	if got := held.mustLine(t); got != "still here" {
		t.Fatalf("the connection to the removed server answered %q", got)
	}
	// Three more reloads, changing the algorithm on the way.
	// The last is roundrobin: with leastconn, which server a lone client
	// reaches depends on when the previous connection closed.
	for i, algo := range []haproxy.Algorithm{haproxy.LeastConn, haproxy.LeastConn, haproxy.RoundRobin} {
		cfg := withBind(config(a.server(), b.server()), addr)
		cfg.Backends[0].Balance.Algorithm = algo
		if _, err := r.Apply(cfg); err != nil {
			t.Fatalf("Apply %d: %v", i, err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	stop()
	wg.Wait()
	if n := refused.Load(); n != 0 {
		t.Errorf("%d of %d connects refused across four reloads", n, made.Load()+n)
	}
	if made.Load() == 0 {
		t.Error("the connect loop made no connection")
	}
	seen := map[string]bool{}
	for range 6 {
		seen[greeting(t, addr)] = true
	}
	if !seen["a"] || !seen["b"] {
		t.Errorf("after the last reload connections reached %v, want a and b", seen)
	}
}

func TestApplyKeepsServerStateAndRefusesABadConfig(t *testing.T) {
	a, b := startServer(t, "a"), startServer(t, "b")
	r := startProxy(t, config(a.server(), b.server()))
	if err := r.SetServerAdmin("be", "a", Maint); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Apply(withBind(config(a.server(), b.server()), r.addr)); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if got := greeting(t, r.addr); got != "b" {
			t.Fatalf("a server in maintenance before the reload took a connection after it (%q)", got)
		}
	}

	bad := withBind(config(a.server()), r.addr)
	bad.Backends[0].Balance.Algorithm = "no-such-algorithm"
	if _, err := r.Apply(bad); err == nil {
		t.Fatal("Apply accepted an unknown algorithm")
	}
	if got := greeting(t, r.addr); got != "b" {
		t.Fatalf("after a refused reload a connection reached %q: the old configuration must keep serving", got)
	}
	st := r.Snapshot()
	if len(st.Backends[0].Servers) != 2 {
		t.Fatalf("after a refused reload the backend has %d servers, want 2", len(st.Backends[0].Servers))
	}
}

func TestApplyOpensNewBindsAndClosesRemovedOnes(t *testing.T) {
	a := startServer(t, "a")
	r := startProxy(t, config(a.server()))
	old := r.addr
	cfg := config(a.server())
	cfg.Frontends[0].Binds = []haproxy.Bind{{Addr: old}, {Addr: "127.0.0.1:0"}}
	if _, err := r.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	addrs := r.Addrs()
	if len(addrs) != 2 || addrs[0].String() != old {
		t.Fatalf("listeners %v after adding a bind, want %s first", addrs, old)
	}
	added := addrs[1].String()
	if got := greeting(t, added); got != "a" {
		t.Fatalf("the new bind answered %q", got)
	}
	cfg = config(a.server())
	cfg.Frontends[0].Binds = []haproxy.Bind{{Addr: added}}
	if _, err := r.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", old, time.Second); err == nil {
		c.Close()
		t.Fatalf("the removed bind %s still accepts", old)
	}
	if got := greeting(t, added); got != "a" {
		t.Fatalf("the remaining bind answered %q", got)
	}

	// A bind that cannot be opened fails the whole Apply.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg = config(a.server())
	cfg.Frontends[0].Binds = []haproxy.Bind{{Addr: added}, {Addr: busy.Addr().String()}}
	if _, err := r.Apply(cfg); err == nil {
		t.Fatal("Apply accepted a bind already in use")
	}
	if got := greeting(t, added); got != "a" {
		t.Fatalf("after a failed Apply the bind answered %q", got)
	}
}
