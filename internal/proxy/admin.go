package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Errors of the methods that name a backend or a server.
var (
	ErrNoBackend = errors.New("no such backend")
	ErrNoServer  = errors.New("no such server")
)

func (p *Proxy) lookup(backend, name string) (*server, error) {
	b := p.current().beByName[backend]
	if b == nil {
		return nil, fmt.Errorf("%w %q", ErrNoBackend, backend)
	}
	b.mu.Lock()
	s := b.byName[name]
	b.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("backend %q: %w %q", backend, ErrNoServer, name)
	}
	return s, nil
}

// update applies f to a server under its backend's lock, recomputes the
// selection set and hands freed capacity to queued connections.
func (p *Proxy) update(backend, name string, f func(s *server) error) error {
	s, err := p.lookup(backend, name)
	if err != nil {
		return err
	}
	b := s.be
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := f(s); err != nil {
		return err
	}
	b.refresh(b.now())
	b.rebuild()
	b.dispatchLocked()
	return nil
}

// SetServerHealth records a health check verdict. A DOWN server gets no new
// connections; its established ones continue. A server with `slowstart`
// that comes back UP ramps its weight and maxconn (see slowstart.go).
func (p *Proxy) SetServerHealth(backend, srv string, up bool) error {
	var changed *server
	err := p.update(backend, srv, func(s *server) error {
		if s.up != up {
			changed = s
		}
		s.setUp(up, s.be.now())
		return nil
	})
	if changed != nil {
		p.markedHooks(changed, up) // on-marked-down, on-marked-up (shutdown.go)
	}
	return err
}

// SetServerAdmin sets a server's administrative state (runtime API `set
// server B/S state`). Drain and Maint servers get no new connections.
func (p *Proxy) SetServerAdmin(backend, srv string, st AdminState) error {
	return p.update(backend, srv, func(s *server) error { s.admin = st; return nil })
}

// SetServerWeight sets a server's effective weight, 0..256 (runtime API
// `set weight B/S N`). Weight 0 takes no new connections.
func (p *Proxy) SetServerWeight(backend, srv string, w int) error {
	return p.update(backend, srv, func(s *server) error {
		if w < 0 || w > 256 {
			return fmt.Errorf("backend %q server %q: weight %d out of range 0..256", backend, srv, w)
		}
		s.weight = w
		return nil
	})
}

// resolveLoop resolves servers written as names: at once, then every 30
// seconds; until a name resolves its server fails every connect attempt.
func (p *Proxy) resolveLoop(stop <-chan struct{}) {
	failing := map[*server]bool{}
	for {
		for _, b := range p.current().backends {
			b.mu.Lock()
			servers := append([]*server(nil), b.servers...)
			b.mu.Unlock()
			for _, s := range servers {
				if _, err := netip.ParseAddr(s.conf().Host); err == nil {
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				as, err := net.DefaultResolver.LookupNetIP(ctx, "ip", s.conf().Host)
				cancel()
				// A name that does not resolve is reported when it starts
				// and when it ends, not at every attempt.
				if err != nil || len(as) == 0 {
					if !failing[s] {
						failing[s] = true
						p.log.Warn("server address does not resolve; retrying every 30s", "backend", b.conf().Name, "server", s.conf().Name, "host", s.conf().Host, "err", err)
					}
					continue
				}
				a := as[0].Unmap()
				if failing[s] {
					delete(failing, s)
					p.log.Info("server address resolves again", "backend", b.conf().Name, "server", s.conf().Name, "host", s.conf().Host, "addr", a)
				}
				s.addr.Store(&a)
			}
		}
		select {
		case <-stop:
			return
		case <-time.After(30 * time.Second):
		}
	}
}
