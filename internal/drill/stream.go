package drill

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/netlab"
)

// EchoServer is a TCP server inside a host that echoes every line back,
// for long-lived connections that must survive a master change.
type EchoServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// Echo listens on every address of h at port.
func Echo(h *netlab.Host, port int) (*EchoServer, error) { return echo(h, port, "") }

// GreetEcho is Echo that first writes the host's name and a newline, as a
// Responder does: short probes read the name and close, long-lived
// connections go on echoing.
func GreetEcho(h *netlab.Host, port int) (*EchoServer, error) { return echo(h, port, h.Name+"\n") }

func echo(h *netlab.Host, port int, greeting string) (*EchoServer, error) {
	e := &EchoServer{conns: map[net.Conn]bool{}}
	err := h.Do(func() error {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		e.ln = ln
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("echo server on %s:%d: %w", h.Name, port, err)
	}
	e.wg.Go(func() {
		for {
			c, err := e.ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.conns[c] = true
			e.mu.Unlock()
			e.wg.Go(func() {
				if greeting != "" {
					io.WriteString(c, greeting)
				}
				io.Copy(c, c)
				c.Close()
				e.mu.Lock()
				delete(e.conns, c)
				e.mu.Unlock()
			})
		}
	})
	return e, nil
}

// Close stops the server and ends its connections.
func (e *EchoServer) Close() {
	e.ln.Close()
	e.mu.Lock()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
}

// Adopt stops an EchoServer with the site.
func (s *Site) AdoptEcho(e *EchoServer) { s.closers = append(s.closers, e.Close) }

// StartEchoServers runs an echo server on port on each web host.
func (s *Site) StartEchoServers(port int) error {
	for _, h := range []*netlab.Host{s.Web1, s.Web2} {
		e, err := Echo(h, port)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, e.Close)
	}
	return nil
}

// Streams are long-lived client connections, each exchanging a line now
// and then: a master change must cut none of them.
type Streams struct {
	conns []*stream
}

type stream struct {
	c net.Conn
	r *bufio.Reader
	n int
}

// OpenStreams opens n connections to target from h.
func OpenStreams(h *netlab.Host, target netip.AddrPort, n int) (*Streams, error) {
	return openStreams(h, target, n, false, 0)
}

// OpenStreamFrom opens one connection to target from h's source port
// port, which may still be in TIME_WAIT (SO_REUSEADDR; the host needs
// net.ipv4.tcp_tw_reuse=1 to connect from it again).
func OpenStreamFrom(h *netlab.Host, target netip.AddrPort, port int) (*Streams, error) {
	return openStreams(h, target, 1, false, port)
}

// OpenGreetedStreams opens n connections to GreetEcho servers behind target.
func OpenGreetedStreams(h *netlab.Host, target netip.AddrPort, n int) (*Streams, error) {
	return openStreams(h, target, n, true, 0)
}

func openStreams(h *netlab.Host, target netip.AddrPort, n int, greeted bool, port int) (*Streams, error) {
	s := &Streams{}
	for i := range n {
		var c net.Conn
		err := h.Do(func() error {
			var d net.Dialer
			if port > 0 {
				d.LocalAddr = &net.TCPAddr{Port: port}
				d.Control = func(_, _ string, rc syscall.RawConn) error {
					var serr error
					if err := rc.Control(func(fd uintptr) {
						serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
					}); err != nil {
						return err
					}
					return serr
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var err error
			c, err = d.DialContext(ctx, "tcp", target.String())
			return err
		})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("stream %d to %s: %w", i, target, err)
		}
		st := &stream{c: c, r: bufio.NewReader(c)}
		if greeted {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			if _, err := st.r.ReadString('\n'); err != nil {
				c.Close()
				s.Close()
				return nil, fmt.Errorf("stream %d to %s: no greeting: %w", i, target, err)
			}
		}
		s.conns = append(s.conns, st)
	}
	if cut := s.Exchange(); cut > 0 {
		s.Close()
		return nil, fmt.Errorf("%d of %d new streams to %s did not echo", cut, n, target)
	}
	return s, nil
}

// Exchange sends a line on every stream and reads it back; it returns how
// many streams failed (were cut, reset or silent for 2 s).
func (s *Streams) Exchange() int {
	cut := 0
	for _, st := range s.conns {
		if st.c == nil {
			cut++
			continue
		}
		st.n++
		line := fmt.Sprintf("line %d\n", st.n)
		st.c.SetDeadline(time.Now().Add(2 * time.Second))
		_, err := io.WriteString(st.c, line)
		var got string
		if err == nil {
			got, err = st.r.ReadString('\n')
		}
		if err == nil && got != line {
			err = errors.New("echo mismatch")
		}
		if err != nil {
			st.c.Close()
			st.c = nil
			cut++
		}
	}
	return cut
}

// Close ends every stream.
func (s *Streams) Close() {
	for _, st := range s.conns {
		if st.c != nil {
			st.c.Close()
		}
	}
}
