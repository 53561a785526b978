package daemon

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/stats"
	"github.com/halo-lb/halo/internal/vip/viptest"
	"github.com/halo-lb/halo/internal/vrrpd"
	"github.com/halo-lb/halo/internal/vrrpd/vrrpdtest"
)

// These tests run the whole daemon without root: the proxy, its checks
// and the HTTP listeners on loopback, the VRRP instances on a fake network
// (vrrpdtest) with fake addresses (viptest).

// echo is a backend server: it greets with its name, then echoes.
type echo struct {
	name string
	ln   net.Listener
	wg   sync.WaitGroup
}

func startEcho(t *testing.T, name string) *echo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{name: name, ln: ln}
	e.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Go(func() {
				defer c.Close()
				io.WriteString(c, name+"\n")
				io.Copy(c, c)
			})
		}
	})
	t.Cleanup(func() { ln.Close() })
	return e
}

func (e *echo) addr() string { return e.ln.Addr().String() }

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// testSite is a daemon's files and the node it runs as.
type testSite struct {
	t        *testing.T
	dir      string
	front    string // the proxy's address
	statsAt  string // the statistics listener
	d        *Daemon
	vips     *viptest.Fake
	cancel   context.CancelFunc
	done     chan error
	reloadMu sync.Mutex
}

func haproxyCfg(front, statsAt string, servers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 1000

defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s

frontend main
    bind %s
    default_backend web

backend web
    balance roundrobin
`, front)
	for i, s := range servers {
		fmt.Fprintf(&b, "    server s%d %s check inter 100ms fall 1 rise 1\n", i+1, s)
	}
	fmt.Fprintf(&b, `
listen stats
    mode http
    bind %s
    stats enable
    stats uri /stats
`, statsAt)
	return b.String()
}

func keepalivedConf(priority int) string {
	return fmt.Sprintf(`vrrp_instance VI_1 {
    interface eth0
    state BACKUP
    virtual_router_id 51
    priority %d
    version 3
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
    track_backend {
        web
    }
}
`, priority)
}

func newSite(t *testing.T, ha, ka string, opts ...func(dir string, o *Options)) *testSite {
	t.Helper()
	return newSiteIn(t, t.TempDir(), ha, ka, opts...)
}

func newSiteIn(t *testing.T, dir, ha, ka string, opts ...func(dir string, o *Options)) *testSite {
	t.Helper()
	s := &testSite{t: t, dir: dir, vips: &viptest.Fake{}, done: make(chan error, 1)}
	s.write(ha, ka)
	links := &vrrpdtest.Links{}
	links.Set("eth0", true)
	bus := &vrrpdtest.Bus{}
	o := Options{
		Log:            testLog(t),
		HAProxyFile:    filepath.Join(s.dir, "haproxy.cfg"),
		KeepalivedFile: filepath.Join(s.dir, "keepalived.conf"),
		VRRP:           vrrpd.Env{Network: bus.Host(netip.MustParseAddr("192.0.2.1")), Addresses: s.vips, Announcer: s.vips, Routes: s.vips, Handoff: s.vips, Links: links},
	}
	for _, f := range opts {
		f(s.dir, &o)
	}
	d, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.d = d
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- d.Run(ctx) }()
	t.Cleanup(s.stop)
	select {
	case <-d.Ready():
	case err := <-s.done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon was not ready within 10 s")
	}
	return s
}

func (s *testSite) write(ha, ka string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, "haproxy.cfg"), []byte(ha), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "keepalived.conf"), []byte(ka), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *testSite) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		s.t.Error("Run did not return within 15 s of the stop")
	}
}

func (s *testSite) instance() stats.Instance {
	for _, in := range s.d.Snapshot().VRRP {
		if in.Name == "VI_1" {
			return in
		}
	}
	s.t.Fatal("no instance VI_1 in the snapshot")
	return stats.Instance{}
}

func (s *testSite) waitState(state string, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if s.instance().State == state {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	in := s.instance()
	s.t.Fatalf("VI_1 is %s (%s), want %s within %v", in.State, in.Reason, state, within)
}

// greeting connects through the proxy and returns the server's name.
func greeting(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the greeting through %s: %v", addr, err)
	}
	return strings.TrimSpace(line)
}

func waitServing(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

func TestDaemonServesAndReportsEveryPart(t *testing.T) {
	a := startEcho(t, "a")
	front, statsAt := freePort(t), freePort(t)
	s := newSite(t, haproxyCfg(front, statsAt, a.addr()), keepalivedConf(100))
	waitServing(t, front)
	if got := greeting(t, front); got != "a" {
		t.Fatalf("a connection through the proxy reached %q, want a", got)
	}
	s.waitState("MASTER", 3*time.Second)
	if h := s.vips.Held(); len(h) != 1 {
		t.Errorf("VIPs held as master: %v, want the one VIP", h)
	}

	snap := s.d.Snapshot()
	if len(snap.Frontends) != 2 || snap.Frontends[0].Name != "main" || snap.Frontends[1].Kind != "stats" {
		t.Errorf("frontends %+v, want main then the stats listener", snap.Frontends)
	}
	if snap.Frontends[0].Stot < 1 || len(snap.Frontends[0].Listeners) != 1 {
		t.Errorf("frontend main: %d sessions, listeners %v; want the connection counted and one listener", snap.Frontends[0].Stot, snap.Frontends[0].Listeners)
	}
	var web *stats.Backend
	for i := range snap.Backends {
		if snap.Backends[i].Name == "web" {
			web = &snap.Backends[i]
		}
	}
	if web == nil || len(web.Servers) != 1 || web.Servers[0].Check == nil || web.Servers[0].Addr != "127.0.0.1" {
		t.Fatalf("backend web in the snapshot: %+v", web)
	}
	if snap.Process.Pid != os.Getpid() || snap.Process.CumConns < 1 {
		t.Errorf("process: %+v", snap.Process)
	}

	resp, err := http.Get("http://" + statsAt + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`haproxy_server_status{proxy="web",server="s1",state="UP"} 1`, `keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51"} 2`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	resp, err = http.Get("http://" + statsAt + "/stats;csv")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "# pxname,svname,") || !strings.Contains(string(body), "web,s1,") {
		t.Errorf("the stats page's CSV:\n%s", body)
	}
}

func TestTrackBackendFollowsTheHealthChecks(t *testing.T) {
	a := startEcho(t, "a")
	front, statsAt := freePort(t), freePort(t)
	s := newSite(t, haproxyCfg(front, statsAt, a.addr()), keepalivedConf(100))
	s.waitState("MASTER", 3*time.Second)
	a.ln.Close() // the only server goes DOWN at its next check
	s.waitState("FAULT", 3*time.Second)
	if h := s.vips.Held(); len(h) != 0 {
		t.Errorf("VIPs still held in FAULT: %v", h)
	}
}

func TestReloadInPlace(t *testing.T) {
	a, b, c := startEcho(t, "a"), startEcho(t, "b"), startEcho(t, "c")
	front, statsAt := freePort(t), freePort(t)
	s := newSite(t, haproxyCfg(front, statsAt, a.addr(), b.addr()), keepalivedConf(100))
	waitServing(t, front)
	s.waitState("MASTER", 3*time.Second)
	since := s.instance().Since

	// A long-lived connection through every reload.
	held, err := net.Dial("tcp", front)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	hr := bufio.NewReader(held)
	if l, err := hr.ReadString('\n'); err != nil {
		t.Fatalf("held connection greeted %q, %v", l, err)
	}
	roundTrip := func(msg string) {
		t.Helper()
		held.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.WriteString(held, msg+"\n"); err != nil {
			t.Fatalf("held connection: %v", err)
		}
		if l, err := hr.ReadString('\n'); err != nil || l != msg+"\n" {
			t.Fatalf("held connection answered %q, %v; want %q", l, err, msg)
		}
	}

	var refused, made atomic.Int64
	ctx, stopLoop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			c, err := net.DialTimeout("tcp", front, time.Second)
			if err != nil {
				refused.Add(1)
				continue
			}
			made.Add(1)
			c.Close()
			time.Sleep(time.Millisecond)
		}
	})

	// 1. A server added, a server put in maintenance before: it stays there.
	if err := s.d.SetServerAdmin("web", "s1", stats.AdminMaint); err != nil {
		t.Fatal(err)
	}
	s.write(haproxyCfg(front, statsAt, a.addr(), b.addr(), c.addr()), keepalivedConf(100))
	if err := s.d.Reload(); err != nil {
		t.Fatalf("reload 1: %v", err)
	}
	roundTrip("after reload 1")
	seen := map[string]int{}
	for range 6 {
		seen[greeting(t, front)]++
	}
	if seen["a"] != 0 || seen["c"] == 0 {
		t.Fatalf("after reload 1 connections reached %v: s1 is in maintenance, s3 was added", seen)
	}
	// 2. A broken file: refused, nothing changes.
	s.write("frontend broken\n    bind\n", keepalivedConf(100))
	if err := s.d.Reload(); err == nil {
		t.Fatal("a broken file was accepted")
	}
	roundTrip("after reload 2")
	if got := greeting(t, front); got == "a" {
		t.Fatalf("after a refused reload a connection reached the server in maintenance")
	}
	// 3. Only the VRRP priority changes: no election, the VIP stays.
	s.write(haproxyCfg(front, statsAt, a.addr(), b.addr(), c.addr()), keepalivedConf(120))
	if err := s.d.Reload(); err != nil {
		t.Fatalf("reload 3: %v", err)
	}
	roundTrip("after reload 3")
	time.Sleep(200 * time.Millisecond)
	in := s.instance()
	if in.State != "MASTER" || !in.Since.Equal(since) || in.BasePriority != 120 {
		t.Errorf("after a priority-only reload: %s since %v (was %v), priority %d; want MASTER unchanged at 120", in.State, in.Since, since, in.BasePriority)
	}
	if h := s.vips.Held(); len(h) != 1 {
		t.Errorf("VIPs after the reloads: %v", h)
	}
	stopLoop()
	wg.Wait()
	if n := refused.Load(); n != 0 {
		t.Errorf("%d of %d connects refused during the reloads", n, n+made.Load())
	}
	p := s.d.Snapshot().Process
	if p.Reloads != 2 || p.ReloadErrors != 1 {
		t.Errorf("reloads %d, refused %d; want 2 and 1", p.Reloads, p.ReloadErrors)
	}
}

// testLog writes the daemon's log to the test's, shown when it fails.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
