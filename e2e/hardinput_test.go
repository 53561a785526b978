package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/drill"
)

// echoServer runs an echo server inside h on port: it greets with "hi" and
// echoes, so connections stay open as long as the client wants.
func echoServer(t *testing.T, h *drillHost, port int) {
	t.Helper()
	var ln net.Listener
	if err := h.Do(func() (err error) {
		ln, err = net.Listen("tcp", fmt.Sprintf(":%d", port))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				io.WriteString(c, "hi\n")
				io.Copy(c, c)
			})
		}
	})
}

// cpuTime is the user+system CPU a process has used.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// dialFrom opens n connections from the client host to addr and reads
// each greeting; it returns those that were greeted.
func dialFrom(t *testing.T, h *drillHost, addr string, n int, greet bool) []net.Conn {
	t.Helper()
	var out []net.Conn
	h.Do(func() error {
		for i := 0; i < n; i++ {
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				continue
			}
			out = append(out, c)
		}
		return nil
	})
	if greet {
		ok := out[:0]
		for _, c := range out {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if l, err := bufio.NewReader(c).ReadString('\n'); err == nil && l == "hi\n" {
				ok = append(ok, c)
			} else {
				c.Close()
			}
		}
		out = ok
	}
	t.Cleanup(func() {
		for _, c := range out {
			c.Close()
		}
	})
	return out
}

func hardInputNode(t *testing.T, s *drill.Site, global, timeoutClient string) (*drill.Node, string) {
	t.Helper()
	echoServer(t, s.Web1, webPort)
	cfg := fmt.Sprintf(`global
%s
defaults
    mode tcp
    timeout connect 2s
    timeout client %s
    timeout server 30s

frontend main
    bind :%d
    default_backend web

backend web
    server web1 192.0.2.21:%d
`, global, timeoutClient, frontPort, webPort)
	n := startNode(t, s, 0, drill.NodeSpec{Kind: drill.Halo, HAProxy: cfg})
	addr := fmt.Sprintf("%s:%d", drill.Primary(s.LB1), frontPort)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if len(dialFrom(t, s.Client, addr, 1, true)) == 1 {
			return n, addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("halo does not serve %s", addr)
	return nil, ""
}

// Two thousand clients that connect and then say nothing are closed at
// `timeout client`, while halo keeps serving others and stays cheap.
func TestIdleClientsAreClosedAtTimeoutClient(t *testing.T) {
	s := newSite(t)
	n, addr := hardInputNode(t, s, "    maxconn 5000", "1s")
	cpu0 := cpuTime(t, n.Pid())
	idle := dialFrom(t, s.Client, addr, 2000, true)
	if len(idle) < 1900 {
		t.Fatalf("only %d of 2000 clients were served", len(idle))
	}
	// A client that talks is served meanwhile.
	if len(dialFrom(t, s.Client, addr, 1, true)) != 1 {
		t.Fatal("a new client was not served beside the idle ones")
	}
	time.Sleep(1500 * time.Millisecond)
	closed := 0
	for _, c := range idle {
		c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
			closed++
		}
	}
	if closed != len(idle) {
		t.Fatalf("%d of %d idle clients closed 1.5 s after a 1 s timeout client", closed, len(idle))
	}
	if used := cpuTime(t, n.Pid()) - cpu0; used > 2*time.Second {
		t.Errorf("halo used %v of CPU for 2000 idle clients", used)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// At its file-descriptor limit halo stops accepting without spinning:
// connections it holds keep flowing, CPU stays low, and it serves again by
// itself once descriptors are free.
func TestFDExhaustionBacksOffAndRecovers(t *testing.T) {
	s := newSite(t)
	n, addr := hardInputNode(t, s, "    maxconn 2000\n    ulimit-n 256\n    no strict-limits", "30s")
	held := dialFrom(t, s.Client, addr, 400, false) // more than 256 fds allow
	time.Sleep(500 * time.Millisecond)
	cpu0 := cpuTime(t, n.Pid())
	time.Sleep(2 * time.Second) // saturated: the rest wait in the backlog
	if used := cpuTime(t, n.Pid()) - cpu0; used > 500*time.Millisecond {
		t.Errorf("halo used %v of CPU in 2 s at its fd limit: a busy accept loop", used)
	}
	// The connections halo took still relay.
	relaying := 0
	until := time.Now().Add(2 * time.Second) // one deadline for all: the unserved fail together
	for _, c := range held {
		c.SetDeadline(until)
		r := bufio.NewReader(c)
		if l, err := r.ReadString('\n'); err != nil || l != "hi\n" {
			continue
		}
		io.WriteString(c, "ping\n")
		if l, err := r.ReadString('\n'); err == nil && l == "ping\n" {
			relaying++
		}
	}
	if relaying < 50 || relaying >= len(held) {
		t.Fatalf("%d of %d held connections relay: want most of those within the fd limit, not all (halo log:\n%s)", relaying, len(held), tail(n.Logs(), 10))
	}
	t.Logf("%d of %d connections relayed at ulimit-n 256", relaying, len(held))
	for _, c := range held {
		c.Close()
	}
	// Descriptors free up: a new client is served without any restart.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if len(dialFrom(t, s.Client, addr, 1, true)) == 1 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("halo did not serve again after the fds were freed:\n%s", tail(n.Logs(), 20))
}
