package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// Proxy runs the frontends and backends of one haproxy.cfg.
//
// Listener sockets (listener) are kept apart from the configuration they
// serve (frontend, backend) so that a later reload can hand live listeners
// to a new configuration.
type Proxy struct {
	cfg       *haproxy.Config
	log       *slog.Logger
	gate      gate // global maxconn; which listeners the reactors watch
	frontends []*frontend
	backends  []*backend
	beByName  map[string]*backend
	splice    bool // false: copy through buffers (splice(2) unavailable)

	plan       haproxy.FDPlan // fdplan.go
	pipeBudget pipeBudget     // pipes.go

	mu        sync.Mutex
	listeners []*listener
	serving   bool

	reactors []*reactor
	acks     sync.WaitGroup // one per reactor until it stopped accepting
	live     sync.WaitGroup // one per accepted connection until closed
	running  sync.WaitGroup // one per reactor goroutine
	draining atomic.Bool    // Serve's context is done: see reactor.drain

	active atomic.Pointer[[]*reactor] // the reactors while serving, for other goroutines (shutdown.go)

	// addrIsLocal reports whether an address is still on the host; a
	// test double replaces it.
	addrIsLocal func(netip.Addr) bool
}

// frontend is the runtime state of a configured frontend.
type frontend struct {
	cfg   *haproxy.Frontend
	be    *backend // nil: connections are closed at once
	lim   *limiter // maxconn
	stats counters
}

// New validates cfg and prepares the runtime state; it opens no socket.
// Frontends that serve HAProxy's statistics page (Stats != nil) are left to
// the stats component. A nil log discards.
func New(cfg *haproxy.Config, log *slog.Logger) (*Proxy, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{
		cfg:      cfg,
		log:      log,
		beByName: make(map[string]*backend),
		splice:   spliceWorks(),

		addrIsLocal: addrIsLocal,
	}
	p.applyFDPlan() // global maxconn (maybe derived), maxpipes, maxconnrate
	for _, bc := range cfg.Backends {
		if _, dup := p.beByName[bc.Name]; dup {
			return nil, fmt.Errorf("duplicate backend %q", bc.Name)
		}
		for _, sc := range bc.Servers {
			if sc.Weight < 0 || sc.Weight > 256 {
				return nil, fmt.Errorf("backend %q server %q: weight %d out of range 0..256", bc.Name, sc.Name, sc.Weight)
			}
		}
		b, err := newBackend(bc)
		if err != nil {
			return nil, err
		}
		p.backends = append(p.backends, b)
		p.beByName[bc.Name] = b
	}
	for _, fc := range cfg.Frontends {
		if !fc.Relays() { // stats page, monitor-uri, prometheus-exporter: served over HTTP
			continue
		}
		fe := &frontend{cfg: fc, lim: newLimiter(fc.MaxConn)}
		if fc.DefaultBackend != nil {
			fe.be = p.beByName[fc.DefaultBackend.Name]
			if fe.be == nil {
				return nil, fmt.Errorf("frontend %q: unknown backend %q", fc.Name, fc.DefaultBackend.Name)
			}
		}
		for _, b := range fc.Binds {
			if _, err := parseBind(b); err != nil {
				return nil, fmt.Errorf("frontend %q bind %q: %w", fc.Name, b.Addr, err)
			}
		}
		p.frontends = append(p.frontends, fe)
	}
	return p, nil
}

// Listen opens every bind of every frontend. On failure it closes what it
// opened and names the frontend and address.
func (p *Proxy) Listen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listeners != nil {
		return errors.New("proxy is already listening")
	}
	var ls []*listener
	for _, fe := range p.frontends {
		for _, b := range fe.cfg.Binds {
			l, err := listen(b)
			if err != nil {
				for _, l := range ls {
					l.close()
				}
				return fmt.Errorf("frontend %q bind %q: %w", fe.cfg.Name, b.Addr, err)
			}
			l.fe = fe
			ls = append(ls, l)
		}
	}
	p.listeners = ls
	if p.listeners == nil {
		p.listeners = []*listener{}
	}
	return nil
}

// Addrs returns the bound address of every listener in configuration order
// (useful with port 0 in tests).
func (p *Proxy) Addrs() []net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []net.Addr
	for _, l := range p.listeners {
		out = append(out, l.addr)
	}
	return out
}

// Close releases the listeners of a proxy that Listened but will not Serve.
func (p *Proxy) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.serving {
		return errors.New("proxy is serving: cancel Serve's context instead")
	}
	for _, l := range p.listeners {
		l.close()
	}
	p.listeners = nil
	return nil
}

// Serve accepts and relays until ctx is done, then stops accepting (the
// listeners close, so new connects are refused) and drains: connections
// that have not reached a server (queued, connecting, waiting to retry) are
// closed at once, those whose frontend address left the host are reset
// (see reactor.drain), and Serve waits for the others to finish or reach
// their inactivity timeouts, at most Global.HardStopAfter when set, after
// which they are reset. It returns nil after a stop, or an error when it
// could not start.
func (p *Proxy) Serve(ctx context.Context) error {
	p.mu.Lock()
	if p.listeners == nil {
		p.mu.Unlock()
		return errors.New("serve called before listen")
	}
	if p.serving {
		p.mu.Unlock()
		return errors.New("proxy is already serving")
	}
	p.serving = true
	listeners := p.listeners
	p.mu.Unlock()

	if err := p.startReactors(listeners); err != nil {
		p.mu.Lock()
		p.serving = false
		p.mu.Unlock()
		return err
	}
	stop := make(chan struct{})
	var resolver sync.WaitGroup
	resolver.Go(func() { p.resolveLoop(stop) })
	p.log.Info("proxy serving", "listeners", len(listeners), "reactors", len(p.reactors), "splice", p.splice)

	<-ctx.Done()
	close(stop)
	// Stop accepting: once every reactor has seen it, none is inside
	// accept(2) and the sockets can close (new connects are refused).
	p.gate.stop()
	for _, r := range p.reactors {
		r.wake()
	}
	p.acks.Wait()
	for _, l := range listeners {
		l.close()
	}
	resolver.Wait()

	// Every connection is now with a reactor: they end what has not
	// reached a server yet and watch for a released VIP while the rest
	// drains.
	p.draining.Store(true)
	for _, r := range p.reactors {
		r.wake()
	}
	drained := make(chan struct{})
	go func() { p.live.Wait(); close(drained) }()
	var hard <-chan time.Time
	if d := p.cfg.Global.HardStopAfter; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		hard = t.C
	}
	select {
	case <-drained:
	case <-hard:
		p.log.Warn("hard-stop-after reached, resetting live connections", "reason", "hard-stop-after")
		for _, r := range p.reactors {
			r.kill.Store(true)
			r.wake()
		}
		<-drained
	}
	for _, r := range p.reactors {
		r.quit.Store(true)
		r.wake()
	}
	p.active.Store(nil)
	p.running.Wait()
	p.reactors = nil
	p.draining.Store(false)
	p.mu.Lock()
	p.listeners, p.serving = nil, false
	p.mu.Unlock()
	return nil
}

// connClosed is the last step of conn.close.
func (p *Proxy) connClosed(c *conn, reason string) {
	c.fe.stats.close()
	p.gate.release(c.fe)
	if reason != reasonDone && reason != reasonIdle && p.log.Enabled(context.Background(), slog.LevelDebug) {
		var be string
		if c.be != nil {
			be = c.be.cfg.Name
		}
		p.log.Debug("connection closed", "frontend", c.fe.cfg.Name, "backend", be, "reason", reason)
	}
	p.live.Done()
}

// startReactors starts one reactor per GOMAXPROCS (at most 8), each
// watching every listener.
func (p *Proxy) startReactors(listeners []*listener) error {
	n := min(runtime.GOMAXPROCS(0), 8)
	g := &p.gate
	g.lns, g.epfds, g.exclusive = listeners, nil, true
	g.off.Store(false)
	g.npaused.Store(0)
	for i, l := range listeners {
		l.idx, l.paused = i, false
	}
	fail := func(err error) error {
		for _, r := range p.reactors {
			r.close()
		}
		p.reactors = nil
		return fmt.Errorf("starting reactor: %w", err)
	}
	for range n {
		r, err := newReactor(p)
		if err != nil {
			return fail(err)
		}
		p.reactors = append(p.reactors, r)
		g.epfds = append(g.epfds, r.epfd)
	}
	for _, l := range listeners {
		if err := g.watch(l); err != nil {
			return fail(err)
		}
	}
	p.acks.Add(n)
	rs := p.reactors
	p.active.Store(&rs)
	for _, r := range p.reactors {
		p.running.Go(r.run)
	}
	return nil
}
