package proxy

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/halo-lb/halo/internal/balance"
	"github.com/halo-lb/halo/internal/config/haproxy"
)

// Apply makes cfg the running configuration in place, as a reload does,
// and returns one line per frontend or backend it changed. It first builds
// everything that could fail — the new generation and the sockets of new
// binds — and on an error changes nothing. Then:
//   - a listener whose bind is unchanged keeps its socket (no connect is
//     refused), new binds start accepting, removed ones close;
//   - established connections are never touched: they keep the frontend
//     they were accepted by and the server they reached;
//   - a backend of the same name is updated in place: its servers keep
//     their health, admin state, counters and live connections; a removed
//     server takes no new connection and its live ones finish; a new one
//     starts UP (its health check, if any, is the caller's); a changed
//     algorithm applies to new connections.
//
// Apply may be called before Listen, between Listen and Serve, or while
// serving; not while Serve is stopping.
func (p *Proxy) Apply(cfg *haproxy.Config) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.draining.Load() || p.gate.off.Load() {
		return nil, errors.New("proxy is stopping")
	}
	prev := p.current()
	g, err := p.build(cfg, prev)
	if err != nil {
		return nil, err
	}
	var ls []*listener
	listening := p.listeners != nil
	if listening {
		if ls, err = p.openListeners(g, p.listeners); err != nil {
			return nil, err
		}
	}

	// Commit: nothing below fails.
	changes := describeGeneration(prev, g)
	for _, b := range g.backends {
		if prev.beByName[b.conf().Name] == b {
			if d := b.reconfigure(cfg.Backend(b.conf().Name)); d != "" {
				changes = append(changes, d)
			}
		}
	}
	for _, fe := range g.frontends {
		fe.lim.setMax(fe.cfg.MaxConn)
	}
	plan, _ := planFDs(cfg) // the pipe budget stays as started
	p.plan.Store(&plan)
	p.gate.global.setMax(plan.MaxConn)
	if old, now := p.cfg.Load().Global.AcceptRate(), cfg.Global.AcceptRate(); old != now {
		changes = append(changes, fmt.Sprintf("global maxconnrate %d -> %d: takes effect at the next restart", old, now))
	}
	p.cfg.Store(cfg)
	p.gen.Store(g)
	if listening {
		kept := map[*listener]bool{}
		var added []*listener
		for _, l := range ls {
			if slices.Contains(p.listeners, l) {
				kept[l] = true
			} else {
				added = append(added, l)
			}
			l.fe.Store(l.next)
		}
		var removed []*listener
		for _, l := range p.listeners {
			if !kept[l] {
				removed = append(removed, l)
			}
		}
		if p.serving {
			p.gate.add(added)
			p.gate.remove(removed)
			p.quiesce() // no reactor still holds an event of a removed listener
		}
		for _, l := range removed {
			l.close()
		}
		p.listeners = ls
		if p.listeners == nil {
			p.listeners = []*listener{}
		}
	}
	// Backends left out of the new configuration keep serving the
	// connections they have; nothing new reaches them.
	return changes, nil
}

// quiesce waits until every reactor has begun a new loop turn, so that
// events it collected before a change of the gate are handled. Called with
// p.mu held while serving.
func (p *Proxy) quiesce() {
	marks := make([]uint64, len(p.reactors))
	for i, r := range p.reactors {
		marks[i] = r.turns.Load()
		r.wake()
	}
	deadline := time.Now().Add(2 * time.Second)
	for i, r := range p.reactors {
		for r.turns.Load() == marks[i] && !r.quit.Load() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// add starts watching new listeners.
func (g *gate) add(ls []*listener) {
	if len(ls) == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	all := append([]*listener(nil), g.listeners()...)
	for _, l := range ls {
		l.idx = len(all)
		all = append(all, l)
	}
	g.lns.Store(&all)
	if g.off.Load() {
		return
	}
	for _, l := range ls {
		if err := g.watch(l); err != nil {
			// Out of epoll memory: rest like a failed accept, retried.
			l.paused = true
			g.npaused.Add(1)
		}
	}
}

// remove stops watching listeners that a reload removed. Their slots in
// lns stay (the index is in queued epoll events) but are never watched
// again.
func (g *gate) remove(ls []*listener) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, l := range ls {
		l.gone.Store(true)
		if l.removed {
			continue
		}
		l.removed = true
		if l.retry != nil {
			l.retry.Stop()
		}
		if l.paused {
			g.npaused.Add(-1)
		} else if !g.off.Load() {
			g.unwatch(l)
		}
	}
}

// reconfigure applies bc, the new configuration of b's backend, in place
// and says what changed ("" = nothing worth a line).
func (b *backend) reconfigure(bc *haproxy.Backend) string {
	old := b.conf()
	var sel balance.Selector
	algo := old.Balance != bc.Balance
	if algo {
		sel, _ = balance.New(string(bc.Balance.Algorithm), string(bc.Balance.HashType)) // build checked it
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg.Store(bc)
	if algo {
		b.sel = sel
		b.wscale = balance.WeightScale(string(bc.Balance.Algorithm), string(bc.Balance.HashType))
	}
	servers := make([]*server, 0, len(bc.Servers))
	byName := make(map[string]*server, len(bc.Servers))
	var added, changed []string
	for _, sc := range bc.Servers {
		s := b.byName[sc.Name]
		if s == nil {
			s = newServer(b, sc)
			added = append(added, sc.Name)
		} else if s.update(sc) {
			changed = append(changed, sc.Name)
		}
		servers = append(servers, s)
		byName[sc.Name] = s
	}
	var removed []string
	for _, s := range b.servers {
		if byName[s.conf().Name] != s {
			s.removed = true
			s.setIdx = -1
			removed = append(removed, s.conf().Name)
		}
	}
	// Connections waiting for a removed server may take any other.
	for _, w := range b.queue {
		if w.qsrv != nil && w.qsrv.removed {
			w.qsrv.nwait--
			w.qsrv = nil
			b.anyWait++
		}
	}
	b.servers, b.byName = servers, byName
	b.refresh(b.now())
	b.rebuild()
	b.dispatchLocked()

	var parts []string
	if algo {
		parts = append(parts, fmt.Sprintf("balance %s -> %s", balanceWord(old.Balance), balanceWord(bc.Balance)))
	}
	if len(added) > 0 {
		parts = append(parts, fmt.Sprintf("servers added %v", added))
	}
	if len(removed) > 0 {
		parts = append(parts, fmt.Sprintf("servers removed (draining) %v", removed))
	}
	if len(changed) > 0 {
		parts = append(parts, fmt.Sprintf("servers changed %v", changed))
	}
	if len(parts) == 0 {
		return ""
	}
	out := "backend " + bc.Name + ":"
	for i, p := range parts {
		if i > 0 {
			out += ";"
		}
		out += " " + p
	}
	return out
}

// update takes sc, the new configuration of s, keeping its health, admin
// state and counters; a weight, maxconn or `disabled` the file changed
// replaces what the runtime API set. It reports whether anything that
// matters to traffic changed. Called with be.mu held.
func (s *server) update(sc *haproxy.Server) bool {
	old := s.conf()
	s.cfg.Store(sc)
	changed := false
	if old.Host != sc.Host {
		s.setHost(sc.Host)
		changed = true
	}
	if old.Port != sc.Port {
		s.port.Store(0) // the configured port wins over `set server addr ... port`
		changed = true
	}
	if old.Weight != sc.Weight {
		s.weight, changed = sc.Weight, true
	}
	if old.MaxConn != sc.MaxConn {
		s.maxconn, changed = sc.MaxConn, true
	}
	if old.Disabled != sc.Disabled {
		changed = true
		switch {
		case sc.Disabled:
			s.admin = Maint
		case s.admin == Maint:
			s.admin = Ready
		}
	}
	if old.Backup != sc.Backup || old.SendProxy != sc.SendProxy || old.MaxQueue != sc.MaxQueue || old.SlowStart != sc.SlowStart {
		changed = true
	}
	return changed
}

func balanceWord(b haproxy.Balance) string {
	if b.HashType != "" && balance.IsHash(string(b.Algorithm)) {
		return string(b.Algorithm) + "/" + string(b.HashType)
	}
	return string(b.Algorithm)
}

// describeGeneration names the frontends and backends a reload adds or
// removes, and the frontends whose settings changed.
func describeGeneration(prev, g *generation) []string {
	var out []string
	fe := func(gen *generation) map[string]*frontend {
		m := map[string]*frontend{}
		for _, f := range gen.frontends {
			m[f.cfg.Name] = f
		}
		return m
	}
	pf, nf := fe(prev), fe(g)
	for _, f := range g.frontends {
		o := pf[f.cfg.Name]
		switch {
		case o == nil:
			out = append(out, "frontend "+f.cfg.Name+": added")
		case fmt.Sprint(o.cfg.Binds) != fmt.Sprint(f.cfg.Binds):
			out = append(out, "frontend "+f.cfg.Name+": binds changed")
		case o.be != f.be || o.cfg.MaxConn != f.cfg.MaxConn || o.cfg.TimeoutClient != f.cfg.TimeoutClient:
			out = append(out, "frontend "+f.cfg.Name+": settings changed")
		}
	}
	for _, f := range prev.frontends {
		if nf[f.cfg.Name] == nil {
			out = append(out, "frontend "+f.cfg.Name+": removed")
		}
	}
	for _, b := range g.backends {
		if prev.beByName[b.conf().Name] == nil {
			out = append(out, "backend "+b.conf().Name+": added")
		}
	}
	for _, b := range prev.backends {
		if g.beByName[b.conf().Name] == nil {
			out = append(out, "backend "+b.conf().Name+": removed")
		}
	}
	return out
}
