package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// reasonShutdown ends the connections of ShutdownSessions (HAProxy logs
// them with termination code 'D' after on-marked-down, 'U' after
// on-marked-up, 'K' after `shutdown sessions server`).
const reasonShutdown = "server sessions shut down"

// shutdownWait bounds how long ShutdownSessions waits for a reactor that
// is stopping and may never run the request.
const shutdownWait = time.Second

// ShutdownSessions resets every connection of a server that has reached it
// or is connecting to it (HAProxy's `shutdown sessions server B/S`, and
// what on-marked-down shutdown-sessions does), and returns how many it
// reset. Connections still waiting in the queue are left alone: they have
// not reached the server. Safe from any goroutine; each reactor resets its
// own connections.
func (p *Proxy) ShutdownSessions(backend, srv string) (int, error) {
	s, err := p.lookup(backend, srv)
	if err != nil {
		return 0, err
	}
	return p.shutdownSessions(s), nil
}

func (p *Proxy) shutdownSessions(s *server) int {
	rs := p.active.Load()
	if rs == nil {
		return 0 // not serving: no connection
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	for _, r := range *rs {
		wg.Add(1)
		r.do(func() {
			defer wg.Done()
			for _, c := range r.slots {
				// c.srv is stable in these states: only this
				// reactor changes it once a connection left the queue.
				if c != nil && (c.state == stConnecting || c.state == stRetryWait || c.state == stUp) && c.srv == s {
					c.abort(reasonShutdown)
					n.Add(1)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownWait):
	}
	return int(n.Load())
}

// markedHooks applies on-marked-down and on-marked-up after a server's
// health changed to up.
func (p *Proxy) markedHooks(s *server, up bool) {
	switch {
	case !up && s.conf().OnMarkedDown == haproxy.ShutdownSessions:
		if n := p.shutdownSessions(s); n > 0 {
			p.log.Info("on-marked-down: connections reset", "backend", s.be.conf().Name, "server", s.conf().Name, "count", n)
		}
	case up && s.conf().OnMarkedUp == haproxy.ShutdownBackupSessions && !s.conf().Backup:
		s.be.mu.Lock()
		usable := s.usable()
		s.be.mu.Unlock()
		if !usable { // configuration.txt: only if it is not disabled (effective weight > 0)
			return
		}
		for _, b := range s.be.servers {
			if b.conf().Backup {
				if n := p.shutdownSessions(b); n > 0 {
					p.log.Info("on-marked-up: backup connections reset", "backend", s.be.conf().Name, "server", b.conf().Name, "count", n)
				}
			}
		}
	}
}

// do runs f on r's loop goroutine at its next turn.
func (r *reactor) do(f func()) {
	r.mu.Lock()
	r.calls = append(r.calls, f)
	r.mu.Unlock()
	r.wake()
}

// runCalls runs what do queued; the loop calls it with its inbox.
func (r *reactor) runCalls() {
	r.mu.Lock()
	calls := r.calls
	r.calls = nil
	r.mu.Unlock()
	for _, f := range calls {
		f()
	}
}
