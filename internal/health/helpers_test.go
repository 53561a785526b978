package health

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// testServer is a loopback TCP server whose handler runs once per
// connection. Close stops it and every connection; it can then Restart
// on the same port.
type testServer struct {
	t       *testing.T
	handler func(net.Conn)
	ip      netip.Addr
	port    int

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func serve(t *testing.T, handler func(net.Conn)) *testServer {
	t.Helper()
	return serveAt(t, netip.MustParseAddr("127.0.0.1"), handler)
}

// serveAt is serve on another loopback address.
func serveAt(t *testing.T, ip netip.Addr, handler func(net.Conn)) *testServer {
	t.Helper()
	s := &testServer{t: t, handler: handler, ip: ip, conns: map[net.Conn]bool{}}
	s.start(netip.AddrPortFrom(ip, 0).String())
	s.port = s.ln.Addr().(*net.TCPAddr).Port
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) start(addr string) {
	s.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("listen: %v", err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.handler(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
		}
	}()
}

// Restart listens again on the same port after Close.
func (s *testServer) Restart() {
	s.t.Helper()
	s.start(netip.AddrPortFrom(s.ip, uint16(s.port)).String())
}

// Close stops listening, closes every connection and waits for handlers.
func (s *testServer) Close() {
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// accept closes the connection at once: enough for a connect check.
func accept(net.Conn) {}

// silent reads and never answers.
func silent(c net.Conn) { io.Copy(io.Discard, c) }

// reply answers every connection with text, then closes it.
func reply(text string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(text))
	}
}

// replyOpen answers with text and keeps the connection open until the
// client closes it.
func replyOpen(text string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(text))
		io.Copy(io.Discard, c)
	}
}

// closedPort returns a loopback port on which nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// blackholePort returns a loopback port whose listen queue is full, so
// that a new connect gets no answer and times out.
func blackholePort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 16 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return port
		}
		if err != nil {
			t.Fatalf("filling the listen queue: %v", err)
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatal("the listen queue never filled")
	return 0
}

// newBackend returns a backend checked as kind, with one server on port.
func newBackend(kind haproxy.CheckKind, port int) (*haproxy.Backend, *haproxy.Server) {
	s := &haproxy.Server{
		Name:  "s1",
		Host:  "127.0.0.1",
		Port:  port,
		Check: true,
		Inter: time.Second, // tests that expect a timeout shorten it
		Rise:  2,
		Fall:  3,
	}
	b := &haproxy.Backend{
		Name:    "be",
		Check:   haproxy.Check{Kind: kind},
		Servers: []*haproxy.Server{s},
	}
	return b, s
}

// shortTimeout is the check interval, and so the probe timeout, of tests
// that expect a timeout.
const shortTimeout = 50 * time.Millisecond

// expectsTimeout reports whether a test expecting code should run with
// shortTimeout, to stay fast.
func expectsTimeout(code Code) bool {
	return code == CodeL4Timeout || code == CodeL6Timeout || code == CodeL7Timeout
}
