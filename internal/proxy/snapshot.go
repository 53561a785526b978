package proxy

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
	MaxConn int // configured limit, 0 = none
}

// BackendStat is one backend's line of `show stat` with its servers.
type BackendStat struct {
	Name string
	Counters
	Status  string // "UP" when a server can take connections, else "DOWN"
	Servers []ServerStat
}

// ServerStat is one server's line of `show stat`.
type ServerStat struct {
	Name string
	Counters
	Status  string // UP, DOWN, MAINT, DRAIN or "no check"
	Up      bool   // last health verdict
	Admin   AdminState
	Weight  int // effective weight, ramped during slowstart (rounded up)
	Backup  bool
	MaxConn int
}

// Snapshot returns the current statistics.
func (p *Proxy) Snapshot() Snapshot {
	var s Snapshot
	g := p.current()
	for _, fe := range g.frontends {
		s.Frontends = append(s.Frontends, FrontendStat{Name: fe.cfg.Name, Counters: fe.stats.snapshot(), MaxConn: fe.cfg.MaxConn})
	}
	for _, b := range g.backends {
		bs := BackendStat{Name: b.conf().Name, Counters: b.stats.snapshot(), Status: "DOWN"}
		b.mu.Lock()
		bs.Qcur, bs.Qmax = int64(len(b.queue)), b.qmax
		if len(b.setSrv) > 0 {
			bs.Status = "UP"
		}
		for _, sv := range b.servers {
			ss := ServerStat{
				Name: sv.conf().Name, Counters: sv.stats.snapshot(), Up: sv.up, Admin: sv.admin,
				Weight: sv.userWeight(), Backup: sv.conf().Backup, MaxConn: sv.conf().MaxConn,
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
