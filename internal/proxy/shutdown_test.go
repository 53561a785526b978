package proxy

import (
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// twoServers is a proxy with servers a and b behind roundrobin.
func twoServers(t *testing.T, tweak func(a, b *haproxy.Server)) (*running, *echoServer, *echoServer) {
	t.Helper()
	sa, sb := startServer(t, "a"), startServer(t, "b")
	ca, cb := sa.server(), sb.server()
	if tweak != nil {
		tweak(ca, cb)
	}
	return startProxy(t, config(ca, cb)), sa, sb
}

func TestShutdownSessionsResetsTheServersConnectionsOnly(t *testing.T) {
	p, _, _ := twoServers(t, nil)
	var onA, onB []*client
	for range 6 {
		c := dial(t, p.addr)
		if c.mustLine(t) == "a" {
			onA = append(onA, c)
		} else {
			onB = append(onB, c)
		}
	}
	n, err := p.ShutdownSessions("be", "a")
	if err != nil || n != len(onA) {
		t.Fatalf("ShutdownSessions = %d, %v; want %d", n, err, len(onA))
	}
	for _, c := range onA {
		expectClosed(t, c, time.Second)
	}
	for _, c := range onB {
		c.Write([]byte("still\n"))
		if got := c.mustLine(t); got != "still" {
			t.Errorf("a connection to b got %q after a's sessions were shut", got)
		}
	}
	if _, err := p.ShutdownSessions("be", "nope"); err == nil {
		t.Error("an unknown server is not an error")
	}
}

func TestOnMarkedDownShutsTheSessions(t *testing.T) {
	p, _, _ := twoServers(t, func(a, b *haproxy.Server) {
		a.OnMarkedDown = haproxy.ShutdownSessions
		b.Weight = 0 // everything goes to a
	})
	c := dial(t, p.addr)
	if got := c.mustLine(t); got != "a" {
		t.Fatalf("served by %q", got)
	}
	if err := p.SetServerHealth("be", "a", false); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, c, time.Second)
}

func TestWithoutOnMarkedDownConnectionsOutliveTheServersHealth(t *testing.T) {
	p, _, _ := twoServers(t, func(a, b *haproxy.Server) { b.Weight = 0 })
	c := dial(t, p.addr)
	c.mustLine(t)
	p.SetServerHealth("be", "a", false)
	c.Write([]byte("x\n"))
	if got := c.mustLine(t); got != "x" {
		t.Fatalf("got %q", got)
	}
}

func TestOnMarkedUpShutsTheBackupSessions(t *testing.T) {
	p, _, _ := twoServers(t, func(a, b *haproxy.Server) {
		a.OnMarkedUp = haproxy.ShutdownBackupSessions
		b.Backup = true
	})
	p.SetServerHealth("be", "a", false)
	c := dial(t, p.addr)
	if got := c.mustLine(t); got != "b" {
		t.Fatalf("with a DOWN, served by %q, want the backup", got)
	}
	p.SetServerHealth("be", "a", true)
	expectClosed(t, c, time.Second)
	if got := greeting(t, p.addr); got != "a" {
		t.Errorf("new connections go to %q, want a", got)
	}
}
