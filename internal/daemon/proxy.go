package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"sync"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/health"
	"github.com/halo-lb/halo/internal/proxy"
)

// proxyPart is the haproxy.cfg half: the proxy and one health checker per
// server with `check`, all run by one health.Scheduler. Verdicts reach the proxy and, through onBackend,
// every VRRP instance that tracks a backend.
type proxyPart struct {
	log   *slog.Logger
	proxy *proxy.Proxy

	mu        sync.Mutex
	cfg       *haproxy.Config
	checks    map[serverKey]*check
	sched     *health.Scheduler // runs every checker's probes
	runCtx    context.Context   // where checks run once Run started; nil before
	wg        sync.WaitGroup
	onBackend func(backend string, up bool) // track_backend; set before Run
	backendUp map[string]bool
	agents    map[serverKey]*agentRun // agents.go
	agentDown map[serverKey]bool      // the agent said down: DOWN whatever the check says
}

type serverKey struct{ backend, server string }

// check is one running checker and what it was built from, so that a
// reload keeps it when nothing about the check changed.
type check struct {
	c *health.Checker
	// what c was built from (confOf tells what matters); pointers rather
	// than a copy, which would cost every checker a Server
	backend *haproxy.Backend
	server  *haproxy.Server
	started bool // added to the scheduler
}

// checkConf is everything a checker is built from.
type checkConf struct {
	backendCheck haproxy.Check
	timeouts     haproxy.BackendTimeouts
	server       haproxy.Server
}

func confOf(b *haproxy.Backend, s *haproxy.Server) checkConf {
	sc := *s
	sc.Line, sc.Weight, sc.MaxConn, sc.MaxQueue, sc.Backup = 0, 0, 0, 0, false
	return checkConf{backendCheck: b.Check, timeouts: b.Timeouts, server: sc}
}

func newProxyPart(cfg *haproxy.Config, log *slog.Logger) (*proxyPart, error) {
	p, err := proxy.New(cfg, log)
	if err != nil {
		return nil, err
	}
	pp := &proxyPart{log: log, proxy: p, cfg: cfg, checks: map[serverKey]*check{}, sched: health.NewScheduler(log), backendUp: map[string]bool{}}
	pp.reconcileChecks(cfg)
	pp.reconcileAgents(cfg)
	return pp, nil
}

// reconcileChecks makes the checkers match cfg: unchanged ones keep
// running with their state, changed and new ones are created (and started
// when the part runs), removed ones stop. It returns one line per change.
func (pp *proxyPart) reconcileChecks(cfg *haproxy.Config) []string {
	want := map[serverKey]checkConf{}
	for _, b := range cfg.Backends {
		for _, s := range b.Servers {
			if s.Check {
				want[serverKey{b.Name, s.Name}] = confOf(b, s)
			}
		}
	}
	pp.mu.Lock()
	var changes []string
	var stale []*check
	var unchecked []serverKey
	for k, ch := range pp.checks {
		if c, ok := want[k]; !ok || !reflect.DeepEqual(c, confOf(ch.backend, ch.server)) {
			stale = append(stale, ch)
			delete(pp.checks, k)
			if !ok {
				unchecked = append(unchecked, k)
				changes = append(changes, fmt.Sprintf("backend %s server %s: health check removed", k.backend, k.server))
			} else {
				changes = append(changes, fmt.Sprintf("backend %s server %s: health check changed, restarted", k.backend, k.server))
			}
		}
	}
	// In the order of the file, so that the first checks are staggered
	// in that order.
	var added []serverKey
	for _, b := range cfg.Backends {
		for _, s := range b.Servers {
			k := serverKey{b.Name, s.Name}
			if _, ok := want[k]; ok && pp.checks[k] == nil {
				added = append(added, k)
				delete(want, k) // a name given twice is checked once
			}
		}
	}
	pp.mu.Unlock()
	for _, ch := range stale {
		if ch.started {
			pp.sched.Remove(ch.c)
		}
	}
	// NewChecker may spend up to a second resolving a name that does not
	// resolve (the seed's servers): create those checkers in parallel, and
	// the ones with addresses (which need no lookup) at once.
	made := make([]*check, len(added))
	var wg sync.WaitGroup
	for i, k := range added {
		b := cfg.Backend(k.backend)
		var s *haproxy.Server
		for _, x := range b.Servers {
			if x.Name == k.server {
				s = x
			}
		}
		create := func() {
			made[i] = &check{backend: b, server: s, c: health.NewChecker(b, s, func(up bool, _ string) {
				pp.serverHealth(k.backend, k.server, up)
			}, pp.log)}
		}
		if isAddr(s.Host) && (s.CheckAddr == "" || isAddr(s.CheckAddr)) {
			create()
		} else {
			wg.Go(create)
		}
	}
	wg.Wait()
	pp.mu.Lock()
	pp.cfg = cfg
	for i, k := range added {
		pp.checks[k] = made[i]
	}
	if pp.runCtx != nil {
		pp.startLocked(made)
	}
	pp.mu.Unlock()
	for _, k := range unchecked {
		pp.setHealth(k.backend, k.server, true) // without a check a server is UP
	}
	// A checker may start a server DOWN (its name does not resolve).
	for i, k := range added {
		pp.setHealth(k.backend, k.server, made[i].c.Up())
	}
	if len(unchecked)+len(added) > 0 {
		pp.noteBackends() // once: it takes a snapshot of every server
	}
	return changes
}

// startLocked adds checks to the scheduler in one batch: their first
// probes are spread over the interval.
// isAddr reports whether host is an IP address, which needs no lookup.
func isAddr(host string) bool {
	_, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil
}

func (pp *proxyPart) startLocked(checks []*check) {
	cs := make([]*health.Checker, 0, len(checks))
	for _, ch := range checks {
		if !ch.started {
			ch.started = true
			cs = append(cs, ch.c)
		}
	}
	pp.sched.Add(cs...)
}

func (pp *proxyPart) serverHealth(backend, server string, up bool) {
	pp.setHealth(backend, server, up)
	pp.noteBackend(backend)
}

// noteBackend is noteBackends for one backend, without a snapshot: when
// every server of a shared host goes DOWN at once, each verdict costs
// one backend, not all of them.
func (pp *proxyPart) noteBackend(name string) {
	up, ok := pp.proxy.BackendUsable(name)
	if !ok {
		return
	}
	pp.mu.Lock()
	if old, seen := pp.backendUp[name]; seen && old == up {
		pp.mu.Unlock()
		return
	}
	pp.backendUp[name] = up
	f := pp.onBackend
	pp.mu.Unlock()
	if f != nil {
		f(name, up)
	}
}

// setHealth gives the proxy a server's verdict; the caller tells
// onBackend with noteBackends.
func (pp *proxyPart) setHealth(backend, server string, up bool) {
	pp.mu.Lock()
	if pp.agentDown[serverKey{backend, server}] {
		up = false // its agent said down
	}
	pp.mu.Unlock()
	// The checker has logged the transition with its reason.
	if err := pp.proxy.SetServerHealth(backend, server, up); err != nil {
		pp.log.Debug("health for a server no longer configured", "backend", backend, "server", server, "err", err)
	}
}

// noteBackends tells onBackend about every backend whose usability
// changed (track_backend). A backend is usable while the proxy has a
// server for it.
func (pp *proxyPart) noteBackends() {
	snap := pp.proxy.Snapshot()
	type change struct {
		name string
		up   bool
	}
	var changes []change
	pp.mu.Lock()
	for _, b := range snap.Backends {
		up := b.Status == "UP"
		if old, ok := pp.backendUp[b.Name]; !ok || old != up {
			pp.backendUp[b.Name] = up
			changes = append(changes, change{b.Name, up})
		}
	}
	f := pp.onBackend
	pp.mu.Unlock()
	if f != nil {
		for _, c := range changes {
			f(c.name, c.up)
		}
	}
}

// BackendUp reports whether a backend has a usable server: the meaning of
// track_backend.
func (pp *proxyPart) BackendUp(backend string) bool {
	pp.noteBackends()
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return pp.backendUp[backend]
}

func (pp *proxyPart) checker(backend, server string) *health.Checker {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if ch := pp.checks[serverKey{backend, server}]; ch != nil {
		return ch.c
	}
	return nil
}

// apply reloads the proxy in place, then the checkers.
func (pp *proxyPart) apply(cfg *haproxy.Config) ([]string, error) {
	changes, err := pp.proxy.Apply(cfg)
	if err != nil {
		return nil, err
	}
	changes = append(changes, pp.reconcileChecks(cfg)...)
	pp.reconcileAgents(cfg)
	pp.noteBackends()
	return changes, nil
}

// Listen opens the proxy's listeners.
func (pp *proxyPart) Listen() error { return pp.proxy.Listen() }

// Run serves until ctx is done, then drains the connections. The checks
// run until the proxy has stopped, so a draining server's state stays true.
func (pp *proxyPart) Run(ctx context.Context) error {
	checkCtx, stopChecks := context.WithCancel(context.WithoutCancel(ctx))
	pp.mu.Lock()
	pp.runCtx = checkCtx
	pp.wg.Go(func() {
		if err := pp.sched.Run(checkCtx); err != nil {
			pp.log.Error("health checks stopped", "err", err)
		}
	})
	var all []*check
	for _, b := range pp.cfg.Backends {
		for _, s := range b.Servers {
			if ch := pp.checks[serverKey{b.Name, s.Name}]; ch != nil {
				all = append(all, ch)
			}
		}
	}
	pp.startLocked(all)
	for _, ar := range pp.agents {
		pp.startAgentLocked(ar)
	}
	pp.mu.Unlock()
	err := pp.proxy.Serve(ctx)
	stopChecks()
	pp.wg.Wait()
	return err
}
