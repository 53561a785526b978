package proxy

import (
	"fmt"
	"net/netip"
)

// SetServerMaxConn sets a server's maxconn (runtime API `set maxconn
// server B/S N`); 0 is unlimited. Connections over a lowered limit keep
// running; a raised one hands its new slots to queued connections.
func (p *Proxy) SetServerMaxConn(backend, srv string, n int) error {
	if n < 0 {
		return fmt.Errorf("backend %q server %q: maxconn %d is negative", backend, srv, n)
	}
	return p.update(backend, srv, func(s *server) error { s.maxconn = n; return nil })
}

// SetServerAddr points new connections to a server at addr and, when port
// is not 0, at port (runtime API `set server B/S addr A [port P]`).
// Established connections are not moved. It returns the address and port
// in use before. The change lasts until a reload changes the server's
// configured address.
func (p *Proxy) SetServerAddr(backend, srv string, addr netip.Addr, port int) (oldAddr netip.Addr, oldPort int, err error) {
	if port < 0 || port > 65535 {
		return netip.Addr{}, 0, fmt.Errorf("backend %q server %q: port %d out of range", backend, srv, port)
	}
	err = p.update(backend, srv, func(s *server) error {
		if a := s.addr.Load(); a != nil {
			oldAddr = *a
		}
		oldPort = s.effectivePort()
		a := addr.Unmap()
		s.addr.Store(&a)
		if port != 0 {
			s.port.Store(int32(port))
		}
		return nil
	})
	return oldAddr, oldPort, err
}

// effectivePort is where connections to s go: the port set at runtime, or
// the configured one (0: the port the client connected to).
func (s *server) effectivePort() int {
	if p := s.port.Load(); p != 0 {
		return int(p)
	}
	return s.conf().Port
}

// ClearCounters resets the maximums of every frontend, backend and server
// (`clear counters`), or with all every counter (`clear counters all`).
// Current session counts stay true.
func (p *Proxy) ClearCounters(all bool) {
	g := p.current()
	for _, fe := range g.frontends {
		fe.stats.clear(all)
	}
	for _, b := range g.backends {
		b.stats.clear(all)
		b.mu.Lock()
		b.qmax = int64(len(b.queue))
		for _, s := range b.servers {
			s.stats.clear(all)
			s.qmax = int64(s.nwait)
		}
		b.mu.Unlock()
	}
}

// HasServer reports whether backend has a server of that name, with the
// error the other runtime methods give when it has not.
func (p *Proxy) HasServer(backend, srv string) error {
	_, err := p.lookup(backend, srv)
	return err
}
