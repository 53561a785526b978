package proxy

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/testutil"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestGracefulStopDrainsLiveConnections(t *testing.T) {
	a := startServer(t, "a")
	p := startProxy(t, config(a.server()))
	c := dial(t, p.addr)
	c.mustLine(t)
	p.cancel()
	// New connections are refused once the listener is closed.
	deadline := time.Now().Add(2 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting 2s after cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The live connection still works and Serve waits for it.
	c.Write([]byte("still here\n"))
	if got := c.mustLine(t); got != "still here" {
		t.Fatalf("got %q", got)
	}
	select {
	case <-p.done:
		t.Fatal("Serve returned with a live connection")
	case <-time.After(100 * time.Millisecond):
	}
	c.Close()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatal(err)
		}
		p.done <- nil
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after the last connection closed")
	}
}

func TestHardStopAfterBoundsTheDrain(t *testing.T) {
	a := startServer(t, "a")
	cfg := config(a.server())
	cfg.Global.HardStopAfter = 200 * time.Millisecond
	p := startProxy(t, cfg)
	c := dial(t, p.addr)
	c.mustLine(t)
	start := time.Now()
	p.stop(t, 2*time.Second)
	if el := time.Since(start); el < 150*time.Millisecond || el > time.Second {
		t.Errorf("Serve returned after %v, want about 200ms", el)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("connection survived the hard stop")
	}
}

func TestIPv6Bind(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
	a := startServer(t, "a")
	s := a.server()
	cfg := config(s)
	cfg.Frontends[0].Binds[0] = haproxy.Bind{Addr: "[::1]:0"}
	p := startProxy(t, cfg)
	if !strings.HasPrefix(p.addr, "[::1]:") {
		t.Fatalf("bound %s", p.addr)
	}
	if got := greeting(t, p.addr); got != "a" {
		t.Fatalf("got %q", got)
	}
}

func TestWildcardBindServesIPv4AndIPv6(t *testing.T) {
	a := startServer(t, "a")
	cfg := config(a.server())
	cfg.Frontends[0].Binds[0] = haproxy.Bind{Addr: ":0"}
	p := startProxy(t, cfg)
	_, port, _ := net.SplitHostPort(p.addr)
	if got := greeting(t, "127.0.0.1:"+port); got != "a" {
		t.Fatalf("IPv4 got %q", got)
	}
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln.Close()
		if got := greeting(t, "[::1]:"+port); got != "a" {
			t.Fatalf("IPv6 got %q", got)
		}
	}
}

func TestListenErrorNamesFrontendAndAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	a := startServer(t, "a")
	cfg := config(a.server())
	cfg.Frontends[0].Binds = append(cfg.Frontends[0].Binds, haproxy.Bind{Addr: busy.Addr().String()})
	p, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Listen()
	if err == nil {
		p.Close()
		t.Fatal("Listen on a busy address succeeded")
	}
	want := `frontend "fe" bind "` + busy.Addr().String() + `": bind: address already in use`
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if err := p.Serve(context.Background()); err == nil {
		t.Error("Serve without listeners succeeded")
	}
}

func TestNewRejectsUnknownAlgorithm(t *testing.T) {
	cfg := config()
	cfg.Backends[0].Balance.Algorithm = "uri"
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), `backend "be"`) {
		t.Errorf("got %v", err)
	}
}

// TestVIPBindsWithoutTheAddress binds a documentation address that is not
// on any interface, as a backup node does for its VIP, inside a private
// network namespace.
func TestVIPBindsWithoutTheAddress(t *testing.T) {
	testutil.RequireRoot(t)
	cfg := config()
	cfg.Frontends[0].Binds = []haproxy.Bind{{Addr: "192.0.2.10:8443"}, {Addr: "[2001:db8::10]:8443"}}
	p, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	inPrivateNetns(t, func() {
		if err := p.Listen(); err != nil {
			t.Errorf("Listen: %v", err)
		}
	})
	p.Close()
}

// inPrivateNetns runs fn on a locked thread inside a fresh network
// namespace and restores the test's namespace afterwards. Sockets fn makes
// stay in the private namespace.
func inPrivateNetns(t *testing.T, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		t.Fatalf("unshare: %v", err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			t.Fatalf("restoring the namespace: %v", err)
		}
	}()
	fn()
}
