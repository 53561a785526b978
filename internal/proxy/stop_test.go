package proxy

import (
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/testutil"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// waitFor polls cond every 5ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStopEndsConnectionsNotYetRelaying: a stop does not wait for
// connections that have not reached a server; they could hold the drain
// for timeout queue, or for every retry's timeout connect.
func TestStopEndsConnectionsNotYetRelaying(t *testing.T) {
	cases := []struct {
		name    string
		servers func(t *testing.T) []*haproxy.Server
		reached func(p *running) bool // the client is in the phase under test
	}{
		{
			name:    "a connection waiting to retry a refusing server",
			servers: func(t *testing.T) []*haproxy.Server { return []*haproxy.Server{deadServer(t, "a")} },
			reached: func(p *running) bool { return p.Snapshot().Backends[0].Econ >= 1 },
		},
		{
			name: "a connection whose connect gets no answer",
			servers: func(t *testing.T) []*haproxy.Server {
				return []*haproxy.Server{{Name: "a", Host: "127.0.0.1", Port: blackhole(t), Weight: 1}}
			},
			reached: func(p *running) bool { return p.Snapshot().Backends[0].Servers[0].Scur == 1 },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is closed at once", func(t *testing.T) {
			cfg := config(tc.servers(t)...)
			cfg.Backends[0].Timeouts.Connect = 2 * time.Second // 1s turn-around
			p := startProxy(t, cfg)
			c := dial(t, p.addr)
			waitFor(t, 2*time.Second, "reaching the phase", func() bool { return tc.reached(p) })
			p.stop(t, 300*time.Millisecond)
			expectClosed(t, c, 300*time.Millisecond)
		})
	}

	t.Run("a queued connection is closed at once while a relaying one drains", func(t *testing.T) {
		a := startServer(t, "a")
		s := a.server()
		s.MaxConn = 1
		p := startProxy(t, config(s))
		holder := dial(t, p.addr)
		holder.mustLine(t)
		waiting := dial(t, p.addr)
		waitFor(t, 2*time.Second, "queueing", func() bool { return p.Snapshot().Backends[0].Qcur == 1 })
		p.cancel()
		expectClosed(t, waiting, 300*time.Millisecond)
		holder.Write([]byte("still here\n"))
		if got := holder.mustLine(t); got != "still here" {
			t.Fatalf("the relaying connection got %q", got)
		}
		holder.Close()
		p.stop(t, time.Second)
		if got := a.accepted.Load(); got != 1 {
			t.Errorf("the server accepted %d connections, want 1: the queued one must not reach it", got)
		}
	})
}

// TestIdleTimeoutsApplyWhileDraining: a connection whose peer went silent
// ends at its inactivity timeout during a drain, as it would before.
func TestIdleTimeoutsApplyWhileDraining(t *testing.T) {
	const short, long = 200 * time.Millisecond, 30 * time.Second
	cases := []struct {
		name           string
		client, server time.Duration
		server1Line    bool // the server answers one line and closes
	}{
		{"timeout client ends a connection whose client is silent", short, long, false},
		{"timeout server ends a connection whose server is silent", long, short, false},
		{"timeout client ends a half-closed connection whose client stays", short, long, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s *haproxy.Server
			if tc.server1Line {
				s = startResponder(t, "a")
			} else {
				s = startServer(t, "a").server()
			}
			cfg := config(s)
			cfg.Frontends[0].TimeoutClient = tc.client
			cfg.Backends[0].Timeouts.Server = tc.server
			p := startProxy(t, cfg)
			c := dial(t, p.addr)
			c.mustLine(t)
			start := time.Now()
			p.stop(t, time.Second)
			if el := time.Since(start); el > short+300*time.Millisecond {
				t.Errorf("Serve returned %v after the stop, want about %v", el, short)
			}
			expectClosed(t, c, time.Second)
		})
	}
}

// TestStopResetsConnectionsOfAReleasedAddress: when the frontend address
// leaves the host during a drain (VRRP releasing the VIP in the same stop),
// a client that was cut off can never send its FIN; its connection is reset
// instead of holding the drain for timeout client.
func TestStopResetsConnectionsOfAReleasedAddress(t *testing.T) {
	var gone atomic.Bool
	cfg := config(startResponder(t, "a"))
	cfg.Frontends[0].TimeoutClient = 30 * time.Second
	p := startProxyWith(t, cfg, func(p *Proxy) {
		p.addrIsLocal = func(netip.Addr) bool { return !gone.Load() }
	})
	c := dial(t, p.addr) // reads the answer, never closes: as if cut off
	c.mustLine(t)
	p.cancel()
	select {
	case <-p.done:
		t.Fatal("Serve returned while the connection's address was still on the host")
	case <-time.After(3 * drainCheckEvery / 2):
	}
	gone.Store(true)
	start := time.Now()
	p.stop(t, 2*drainCheckEvery+200*time.Millisecond)
	t.Logf("drained %v after the address left", time.Since(start))
	expectClosed(t, c, time.Second)
}

// TestAddrIsLocal adds and removes a documentation address inside a
// private network namespace.
func TestAddrIsLocal(t *testing.T) {
	testutil.RequireRoot(t)
	inPrivateNetns(t, func() { checkAddrIsLocal(t) })
}

func checkAddrIsLocal(t *testing.T) {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	for _, pfx := range []string{"192.0.2.10/32", "2001:db8::10/128"} {
		ap := netip.MustParsePrefix(pfx)
		addr, err := netlink.ParseAddr(pfx)
		if err != nil {
			t.Fatal(err)
		}
		addr.Flags = unix.IFA_F_NODAD
		if err := netlink.AddrAdd(lo, addr); err != nil {
			t.Fatalf("adding %s: %v", pfx, err)
		}
		if !addrIsLocal(ap.Addr()) {
			t.Errorf("%s: not local after it was added", pfx)
		}
		if err := netlink.AddrDel(lo, addr); err != nil {
			t.Fatalf("removing %s: %v", pfx, err)
		}
		if addrIsLocal(ap.Addr()) {
			t.Errorf("%s: still local after it was removed", pfx)
		}
	}
	if !addrIsLocal(netip.MustParseAddr("127.0.0.1")) {
		t.Error("127.0.0.1 is not local")
	}
}
