package proxy

import (
	"net/netip"
	"time"
)

// Snapshot is the statistics of every frontend, backend and server, read
// at one moment (each counter atomically, the whole not).
type Snapshot struct {
	Frontends []FrontendStat
	Backends  []BackendStat
}

// FrontendStat is one frontend's line of `show stat`.
type FrontendStat struct {
	Name string
	Counters
	MaxConn   int      // configured limit, 0 = none
	Listeners []string // bound addresses of its binds, in order
}

// BackendStat is one backend's line of `show stat` with its servers.
type BackendStat struct {
	Name string
	Counters
	Status     string // "UP" when a server can take connections, else "DOWN"
	Algo       string // balance algorithm
	LastChange time.Time
	Downtime   time.Duration // total time DOWN, the current stretch included
	Servers    []ServerStat
}

// ServerStat is one server's line of `show stat`.
type ServerStat struct {
	Name string
	Counters
	Status  string // UP, DOWN, MAINT, DRAIN or "no check"
	Up      bool   // last health verdict
	Admin   AdminState
	Weight  int // effective weight, ramped during slowstart (rounded up)
	UWeight int // user weight: configured, or as `set weight` left it
	IWeight int // configured weight
	Backup  bool
	MaxConn int // in force: configured or `set maxconn server`
	// Addr is where connections go; invalid while a name does not resolve.
	Addr       netip.Addr
	Port       int // 0 = the port the client connected to
	LastChange time.Time
	Downtime   time.Duration // total time not usable, the current stretch included
}

// Snapshot returns the current statistics.
func (p *Proxy) Snapshot() Snapshot {
	var s Snapshot
	g := p.current()
	now := time.Now()
	bound := p.boundAddrs()
	for _, fe := range g.frontends {
		s.Frontends = append(s.Frontends, FrontendStat{Name: fe.cfg.Name, Counters: fe.stats.snapshot(), MaxConn: fe.cfg.MaxConn, Listeners: bound[fe.cfg.Name]})
	}
	for _, b := range g.backends {
		bs := BackendStat{Name: b.conf().Name, Counters: b.stats.snapshot(), Status: "DOWN", Algo: string(b.conf().Balance.Algorithm)}
		b.mu.Lock()
		bs.LastChange, bs.Downtime = b.lastChange, b.downtime
		if b.down {
			bs.Downtime += now.Sub(b.downSince)
		}
		bs.Qcur, bs.Qmax = int64(len(b.queue)), b.qmax
		if len(b.setSrv) > 0 {
			bs.Status = "UP"
		}
		for _, sv := range b.servers {
			ss := ServerStat{
				Name: sv.conf().Name, Counters: sv.stats.snapshot(), Up: sv.up, Admin: sv.admin,
				Weight: sv.userWeight(), UWeight: sv.weight, IWeight: sv.conf().Weight,
				Backup: sv.conf().Backup, MaxConn: sv.maxconn,
				Port: sv.effectivePort(), LastChange: sv.lastChange, Downtime: sv.downtime,
			}
			if a := sv.addr.Load(); a != nil {
				ss.Addr = *a
			}
			if !sv.downSince.IsZero() {
				ss.Downtime += now.Sub(sv.downSince)
			}
			ss.Qcur, ss.Qmax = int64(sv.nwait), sv.qmax
			switch {
			case sv.admin == Maint:
				ss.Status = "MAINT"
			case sv.admin == Drain:
				ss.Status = "DRAIN"
			case !sv.up:
				ss.Status = "DOWN"
			case !sv.conf().Check:
				ss.Status = "no check"
			default:
				ss.Status = "UP"
			}
			bs.Servers = append(bs.Servers, ss)
		}
		b.mu.Unlock()
		s.Backends = append(s.Backends, bs)
	}
	return s
}

// SessionsTotal is the sum of every frontend's Stot: what Snapshot would
// add up, without building one (the daemon samples it every second).
func (p *Proxy) SessionsTotal() int64 {
	var n int64
	for _, fe := range p.current().frontends {
		n += fe.stats.total.Load()
	}
	return n
}

// BackendUsable reports whether the backend has a server to send
// connections to (Snapshot's Status "UP"), without building a snapshot;
// ok is false when there is no such backend.
func (p *Proxy) BackendUsable(name string) (up, ok bool) {
	b := p.current().beByName[name]
	if b == nil {
		return false, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.setSrv) > 0, true
}

// boundAddrs returns the addresses each frontend listens on now.
func (p *Proxy) boundAddrs() map[string][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string][]string{}
	for _, l := range p.listeners {
		if fe := l.fe.Load(); fe != nil && l.addr != nil {
			out[fe.cfg.Name] = append(out[fe.cfg.Name], l.addr.String())
		}
	}
	return out
}

// OpenSessions counts the client connections open now, over every
// frontend: what a node must wait for before it is idle.
func (p *Proxy) OpenSessions() int64 {
	var n int64
	for _, fe := range p.current().frontends {
		n += fe.stats.cur.Load()
	}
	return n
}
