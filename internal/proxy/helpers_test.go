package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	proxyproto "github.com/pires/go-proxyproto"
)

// echoServer is a backend server for tests: it reads an optional PROXY
// header, greets with its name and a newline, echoes what it reads, and on
// the client's end of stream answers "EOF\n" and closes.
type echoServer struct {
	name     string
	ln       net.Listener
	accepted atomic.Int64
	proxy    bool
	headers  chan *proxyproto.Header
}

func startServer(t *testing.T, name string) *echoServer {
	t.Helper()
	return startServerOpts(t, name, false)
}

func startServerOpts(t *testing.T, name string, proxy bool) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{name: name, ln: ln, proxy: proxy, headers: make(chan *proxyproto.Header, 16)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { s.handle(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

func (s *echoServer) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	if s.proxy {
		h, err := proxyproto.Read(br)
		if err != nil {
			return
		}
		s.headers <- h
	}
	if _, err := io.WriteString(c, s.name+"\n"); err != nil {
		return
	}
	if _, err := io.Copy(c, br); err != nil {
		return
	}
	io.WriteString(c, "EOF\n")
}

func (s *echoServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// server returns a config server line for s.
func (s *echoServer) server() *haproxy.Server {
	return &haproxy.Server{Name: s.name, Host: "127.0.0.1", Port: s.port(), Weight: 1, Rise: 2, Fall: 3, Inter: 2 * time.Second}
}

// config is a one-frontend, one-backend configuration on 127.0.0.1:0.
func config(servers ...*haproxy.Server) *haproxy.Config {
	be := &haproxy.Backend{
		Name:    "be",
		Mode:    haproxy.ModeTCP,
		Balance: haproxy.Balance{Algorithm: haproxy.RoundRobin, HashType: haproxy.MapBased},
		Retries: 3,
		Timeouts: haproxy.BackendTimeouts{
			Connect: time.Second,
			Server:  10 * time.Second,
		},
		Servers: servers,
	}
	fe := &haproxy.Frontend{
		Name: "fe", ConfigName: "fe", Mode: haproxy.ModeTCP,
		Binds:          []haproxy.Bind{{Addr: "127.0.0.1:0"}},
		DefaultBackend: be,
		TimeoutClient:  10 * time.Second,
	}
	return &haproxy.Config{File: "test.cfg", Frontends: []*haproxy.Frontend{fe}, Backends: []*haproxy.Backend{be}}
}

// running is a Proxy serving in the background.
type running struct {
	*Proxy
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func startProxy(t testing.TB, cfg *haproxy.Config) *running {
	t.Helper()
	return startProxyWith(t, cfg, nil)
}

func startProxyWith(t testing.TB, cfg *haproxy.Config, tweak func(*Proxy)) *running {
	t.Helper()
	p, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if tweak != nil {
		tweak(p)
	}
	if err := p.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Proxy: p, addr: p.Addrs()[0].String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- p.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return within 10s of cancel")
		}
	})
	return r
}

// stop cancels Serve and waits for it.
func (r *running) stop(t *testing.T, within time.Duration) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(within):
		t.Fatalf("Serve did not return within %v", within)
	}
}

// client is a test connection through the proxy.
type client struct {
	net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{Conn: c, br: bufio.NewReader(c)}
}

// line reads one line within d; "" with an error on timeout or EOF.
func (c *client) line(d time.Duration) (string, error) {
	c.SetReadDeadline(time.Now().Add(d))
	s, err := c.br.ReadString('\n')
	return strings.TrimSuffix(s, "\n"), err
}

func (c *client) mustLine(t *testing.T) string {
	t.Helper()
	s, err := c.line(2 * time.Second)
	if err != nil {
		t.Fatalf("reading a line: %v (got %q)", err, s)
	}
	return s
}

// greeting connects and returns the name of the server that answered.
func greeting(t *testing.T, addr string) string {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	return c.mustLine(t)
}

// refusedPort returns a loopback port with nothing listening.
func refusedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// expectClosed waits up to d for the peer to close c without sending data.
func expectClosed(t *testing.T, c *client, d time.Duration) {
	t.Helper()
	s, err := c.line(d)
	if err == nil || s != "" {
		t.Fatalf("got %q, %v; want the connection closed", s, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", d)
	}
}

func count(names []string) map[string]int {
	m := map[string]int{}
	for _, n := range names {
		m[n]++
	}
	return m
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

func itoa(i int) string { return strconv.Itoa(i) }

var _ = fmt.Sprintf
