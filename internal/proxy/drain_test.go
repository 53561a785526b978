package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

// serverKinds are the ways a short-lived backend server answers.
var serverKinds = []struct {
	name string
	run  func(c *net.TCPConn, name string)
}{
	{"writes a line and closes", func(c *net.TCPConn, name string) { io.WriteString(c, name+"\n"); c.Close() }},
	{"closes without writing", func(c *net.TCPConn, name string) { c.Close() }},
	{"writes a line and resets", func(c *net.TCPConn, name string) { io.WriteString(c, name+"\n"); c.SetLinger(0); c.Close() }},
}

// startResponder is a backend like the drill's: it writes one line and
// closes at once, without reading.
func startResponder(t *testing.T, name string) *haproxy.Server {
	t.Helper()
	return startResponderKind(t, name, serverKinds[0].run)
}

func startResponderKind(t *testing.T, name string, answer func(*net.TCPConn, string)) *haproxy.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			answer(c.(*net.TCPConn), name)
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return &haproxy.Server{Name: name, Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Weight: 1}
}

// clientKinds are the ways a short-lived client leaves.
var clientKinds = []struct {
	name string
	run  func(c *net.TCPConn)
}{
	{"reads the line and closes", func(c *net.TCPConn) {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		bufio.NewReader(c).ReadString('\n')
		c.Close()
	}},
	{"closes before reading", func(c *net.TCPConn) { time.Sleep(time.Millisecond); c.Close() }},
	{"closes at once", func(c *net.TCPConn) { c.Close() }},
	{"resets at once", func(c *net.TCPConn) { c.SetLinger(0); c.Close() }},
	{"reads and resets", func(c *net.TCPConn) {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		bufio.NewReader(c).ReadString('\n')
		c.SetLinger(0)
		c.Close()
	}},
	{"sends, half-closes and reads", func(c *net.TCPConn) {
		c.Write([]byte("hello\n"))
		c.CloseWrite()
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		io.Copy(io.Discard, c)
		c.Close()
	}},
}

// liveConns is the number of connections the proxy holds.
func (r *running) liveConns() int64 { return r.Snapshot().Frontends[0].Scur }

// waitIdle waits up to d for the proxy to hold no connection.
func (r *running) waitIdle(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for r.liveConns() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still live %v after the last client left", r.liveConns(), d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestShortConnectionsAllEnd runs the drill's traffic (a new connection
// every few milliseconds to a server that answers one line and closes)
// with every way a client can leave, and checks that no connection is left
// behind: the live count returns to zero, and Serve returns at once.
func TestShortConnectionsAllEnd(t *testing.T) {
	for _, sk := range serverKinds {
		for _, splice := range []bool{true, false} {
			name := "when the server " + sk.name
			if !splice {
				name += " in copy mode"
			}
			t.Run(name+" every connection ends", func(t *testing.T) {
				cfg := config(startResponderKind(t, "web1", sk.run), startResponderKind(t, "web2", sk.run))
				cfg.Backends[0].Balance.Algorithm = haproxy.Source
				// A short connect timeout keeps the retries after a server's
				// reset (a failed connect) short: 50ms turn-around.
				cfg.Backends[0].Timeouts = haproxy.BackendTimeouts{Connect: 50 * time.Millisecond, Server: 30 * time.Second}
				cfg.Frontends[0].TimeoutClient = 30 * time.Second
				cfg.Frontends[0].Binds[0].Addr = ":0" // dual-stack, as *:80
				p := startProxyWith(t, cfg, func(p *Proxy) { p.splice = splice })
				shortConnections(t, p, 40)
			})
		}
	}
}

// shortConnections runs n connections of every client kind, two clients
// at a time per kind, then checks that none is left.
func shortConnections(t *testing.T, p *running, n int) {
	t.Helper()
	_, port, _ := net.SplitHostPort(p.addr)
	addr := "127.0.0.1:" + port

	var wg sync.WaitGroup
	for k, kind := range clientKinds {
		for w := 0; w < 2; w++ {
			wg.Go(func() {
				for i := 0; i < n; i++ {
					nc, err := net.DialTimeout("tcp", addr, time.Second)
					if errors.Is(err, unix.ECONNRESET) {
						continue // the server's reset was relayed before connect(2) returned
					}
					if err != nil {
						t.Errorf("%s: dial: %v", kind.name, err)
						return
					}
					kind.run(nc.(*net.TCPConn))
					if (i+k)%8 == 0 {
						time.Sleep(time.Millisecond)
					}
				}
			})
		}
	}
	wg.Wait()
	p.waitIdle(t, 2*time.Second)
	p.stop(t, 2*time.Second)
}

// TestShutdownDuringTraffic cancels Serve while clients keep connecting:
// connections accepted around the moment the listeners close must end too.
func TestShutdownDuringTraffic(t *testing.T) {
	cfg := config(startResponder(t, "web1"), startResponder(t, "web2"))
	cfg.Backends[0].Balance.Algorithm = haproxy.Source
	p := startProxy(t, cfg)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, kind := range clientKinds {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				nc, err := net.DialTimeout("tcp", p.addr, time.Second)
				if err != nil {
					continue // refused once the listener is closed
				}
				kind.run(nc.(*net.TCPConn))
			}
		})
	}
	time.Sleep(150 * time.Millisecond)
	p.stop(t, 2*time.Second)
	close(stop)
	wg.Wait()
}
