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

	"github.com/halo-lb/halo/internal/balance"
	"github.com/halo-lb/halo/internal/config/haproxy"
)

// Proxy runs the frontends and backends of one haproxy.cfg.
//
// Listener sockets (listener) are kept apart from the configuration they
// serve (frontend, backend) so that a reload (Apply) hands live listeners
// to a new configuration: see reload.go.
type Proxy struct {
	cfg    atomic.Pointer[haproxy.Config]
	log    *slog.Logger
	gate   gate // global maxconn; which listeners the reactors watch
	gen    atomic.Pointer[generation]
	splice bool // false: copy through buffers (splice(2) unavailable)

	plan       atomic.Pointer[haproxy.FDPlan] // fdplan.go; a reload replaces it
	pipeBudget pipeBudget                     // pipes.go

	mu        sync.Mutex // guards the fields below and serializes Apply
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

	connLog atomic.Pointer[func(*ConnLog)] // connlog.go; nil = no connection log
}

// generation is the configuration the proxy runs now: a reload builds a
// new one beside it and swaps it in. Frontends are new objects in every
// generation (connections keep the one they were accepted by); backends
// and servers are carried over and updated in place.
type generation struct {
	frontends []*frontend
	backends  []*backend
	beByName  map[string]*backend
}

func (p *Proxy) current() *generation { return p.gen.Load() }

// frontend is the runtime state of a configured frontend in one
// generation. Its limiter and counters are shared with the frontends of
// the same name in later generations.
type frontend struct {
	cfg   *haproxy.Frontend
	be    *backend // nil: connections are closed at once
	lim   *limiter // maxconn
	stats *counters
}

// New validates cfg and prepares the runtime state; it opens no socket.
// Frontends that serve HAProxy's statistics page (Stats != nil) are left to
// the stats component. A nil log discards.
func New(cfg *haproxy.Config, log *slog.Logger) (*Proxy, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{
		log:    log,
		splice: spliceWorks(),

		addrIsLocal: addrIsLocal,
	}
	g, err := p.build(cfg, nil)
	if err != nil {
		return nil, err
	}
	p.cfg.Store(cfg)
	p.gen.Store(g)
	p.applyFDPlan(cfg) // global maxconn (maybe derived), maxpipes, maxconnrate
	return p, nil
}

// build makes the generation of cfg. Backends of prev with the same name
// are reused (not yet changed: see Apply); new ones are created. It checks
// everything the proxy could refuse, so that Apply can commit without
// failing.
func (p *Proxy) build(cfg *haproxy.Config, prev *generation) (*generation, error) {
	g := &generation{beByName: make(map[string]*backend)}
	for _, bc := range cfg.Backends {
		if _, dup := g.beByName[bc.Name]; dup {
			return nil, fmt.Errorf("duplicate backend %q", bc.Name)
		}
		if err := checkBackend(bc); err != nil {
			return nil, err
		}
		if _, err := balance.New(string(bc.Balance.Algorithm), string(bc.Balance.HashType)); err != nil {
			return nil, fmt.Errorf("backend %q: %w", bc.Name, err)
		}
		var b *backend
		if prev != nil {
			b = prev.beByName[bc.Name]
		}
		if b == nil {
			nb, err := newBackend(bc)
			if err != nil {
				return nil, err
			}
			b = nb
		}
		g.backends = append(g.backends, b)
		g.beByName[bc.Name] = b
	}
	var prevFe map[string]*frontend
	if prev != nil {
		prevFe = make(map[string]*frontend, len(prev.frontends))
		for _, fe := range prev.frontends {
			prevFe[fe.cfg.Name] = fe
		}
	}
	for _, fc := range cfg.Frontends {
		if !fc.Relays() { // stats page, monitor-uri, prometheus-exporter: served over HTTP
			continue
		}
		fe := &frontend{cfg: fc}
		if old := prevFe[fc.Name]; old != nil {
			fe.lim, fe.stats = old.lim, old.stats // setMax at commit
		} else {
			fe.lim, fe.stats = newLimiter(fc.MaxConn), &counters{}
		}
		if fc.DefaultBackend != nil {
			fe.be = g.beByName[fc.DefaultBackend.Name]
			if fe.be == nil {
				return nil, fmt.Errorf("frontend %q: unknown backend %q", fc.Name, fc.DefaultBackend.Name)
			}
		}
		for _, b := range fc.Binds {
			if _, err := parseBind(b); err != nil {
				return nil, fmt.Errorf("frontend %q bind %q: %w", fc.Name, b.Addr, err)
			}
		}
		g.frontends = append(g.frontends, fe)
	}
	return g, nil
}

// Listen opens every bind of every frontend. On failure it closes what it
// opened and names the frontend and address.
func (p *Proxy) Listen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listeners != nil {
		return errors.New("proxy is already listening")
	}
	ls, err := p.openListeners(p.current(), nil)
	if err != nil {
		return err
	}
	p.listeners = ls
	if p.listeners == nil {
		p.listeners = []*listener{}
	}
	return nil
}

// openListeners returns a listener for every bind of g: one of reuse when
// its key matches (pointed at its new frontend only at commit), else a new
// socket. On failure it closes the sockets it opened.
func (p *Proxy) openListeners(g *generation, reuse []*listener) ([]*listener, error) {
	// A listener is found by its bind as configured, or (for a port 0 bind)
	// by the address it got.
	free := map[string][]*listener{}
	for _, l := range reuse {
		free[l.key()] = append(free[l.key()], l)
		if b := l.bind; l.addr != nil && b.Addr != l.addr.String() {
			b.Addr = l.addr.String()
			free[bindKey(b)] = append(free[bindKey(b)], l)
		}
	}
	used := map[*listener]bool{}
	take := func(k string) *listener {
		for len(free[k]) > 0 {
			l := free[k][0]
			free[k] = free[k][1:]
			if !used[l] {
				used[l] = true
				return l
			}
		}
		return nil
	}
	var out, opened []*listener
	for _, fe := range g.frontends {
		for _, b := range fe.cfg.Binds {
			if l := take(bindKey(b)); l != nil {
				l.next = fe
				out = append(out, l)
				continue
			}
			l, err := listen(b)
			if err != nil {
				for _, l := range opened {
					l.close()
				}
				return nil, fmt.Errorf("frontend %q bind %q: %w", fe.cfg.Name, b.Addr, err)
			}
			l.fe.Store(fe)
			l.next = fe
			opened = append(opened, l)
			out = append(out, l)
		}
	}
	return out, nil
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
	listeners := p.listeners
	if err := p.startReactors(listeners); err != nil {
		p.mu.Unlock()
		return err
	}
	p.serving = true
	p.mu.Unlock()
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
	p.mu.Lock()
	for _, l := range p.listeners { // Apply may have changed them
		l.close()
	}
	p.mu.Unlock()
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
	if d := p.cfg.Load().Global.HardStopAfter; d > 0 {
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
	p.draining.Store(false)
	p.mu.Lock()
	p.reactors = nil
	p.listeners, p.serving = nil, false
	p.mu.Unlock()
	return nil
}

// connClosed is the last step of conn.close.
func (p *Proxy) connClosed(c *conn, reason string) {
	c.fe.stats.close()
	c.r.load.Add(-1)
	p.gate.release(c.fe)
	if reason != reasonDone && reason != reasonIdle && p.log.Enabled(context.Background(), slog.LevelDebug) {
		var be string
		if c.be != nil {
			be = c.be.conf().Name
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
	lns := append([]*listener(nil), listeners...)
	g.lns.Store(&lns)
	g.epfds, g.exclusive = nil, true
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
	for _, r := range p.reactors {
		r.peers = p.reactors
	}
	p.acks.Add(n)
	rs := p.reactors
	p.active.Store(&rs)
	for _, r := range p.reactors {
		p.running.Go(r.run)
	}
	return nil
}
