package daemon

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/health"
	"github.com/halo-lb/halo/internal/proxy"
	"github.com/halo-lb/halo/internal/stats"
	"golang.org/x/sys/unix"
)

// Snapshot is the node's state now, for every status view (ctl.Node).
func (d *Daemon) Snapshot() stats.Snapshot {
	d.mu.Lock()
	ha, pp, router, web, bgp := d.ha, d.proxy, d.router, d.web, d.bgp
	d.mu.Unlock()
	now := time.Now()
	s := stats.Snapshot{Time: now, Process: d.process()}
	if pp != nil {
		ps := pp.proxy.Snapshot()
		s.Frontends, s.Backends = d.proxyStats(ha, pp, web, ps)
		for _, fe := range s.Frontends {
			s.Process.CurrConns += fe.Scur
			s.Process.CumConns += fe.Stot
			s.Process.BytesOut += fe.Bout
			s.Process.Listeners += len(fe.Listeners)
		}
		plan := pp.proxy.FDPlan()
		s.Process.MaxConn, s.Process.HardMaxConn = plan.MaxConn, plan.MaxConn
		s.Process.ConnRateLim = ha.Global.MaxConnRate
		s.Process.ConnRate, s.Process.MaxConnRate = d.rate.observe(now, s.Process.CumConns)
	}
	if router != nil {
		s.VRRP, s.Scripts, s.Groups = router.Snapshot()
	}
	if bgp != nil {
		s.BGP = bgp.snapshot()
	}
	return s
}

func (d *Daemon) process() stats.Process {
	host, _ := os.Hostname()
	p := stats.Process{
		Name: "halo", Version: d.opts.Version, Pid: os.Getpid(), Start: d.start,
		Nbthread: min(runtime.GOMAXPROCS(0), 8), Node: host,
		Goroutines: runtime.NumGoroutine(), Stopping: d.stopping.Load(),
		Reloads: d.reloads.Load(), ReloadErrors: d.reloadErrors.Load(), DroppedLogs: d.logs.Dropped.Load(),
	}
	if t := d.lastReload.Load(); t != nil {
		p.LastReload = *t
	}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
		p.UlimitN, p.MaxSock = int(lim.Cur), int(lim.Cur)
	}
	return p
}

// proxyStats joins the configuration, the proxy's counters and the health
// checks into the frontend and backend lists, with HAProxy's proxy ids
// (iid: sections numbered in file order, a listen's halves sharing one).
func (d *Daemon) proxyStats(ha *haproxy.Config, pp *proxyPart, web *webPart, ps proxy.Snapshot) ([]stats.Frontend, []stats.Backend) {
	ids := sectionIDs(ha)
	feStat := map[string]proxy.FrontendStat{}
	for _, f := range ps.Frontends {
		feStat[f.Name] = f
	}
	beStat := map[string]proxy.BackendStat{}
	for _, b := range ps.Backends {
		beStat[b.Name] = b
	}
	var fes []stats.Frontend
	var bes []stats.Backend
	for _, fc := range ha.Frontends {
		f := stats.Frontend{Name: fc.ConfigName, ID: ids[fc.Line], Mode: string(fc.Mode), Status: "OPEN", MaxConn: fc.MaxConn, Kind: "proxy"}
		if d.stopping.Load() {
			f.Status = "STOP"
		}
		if f.Name == "" {
			f.Name = fc.Name
		}
		switch {
		case fc.Stats != nil:
			f.Kind = "stats"
		case fc.Prometheus != "":
			f.Kind = "prometheus"
		case fc.Monitor != nil:
			f.Kind = "monitor"
		}
		if fc.Relays() {
			st := feStat[fc.Name]
			f.Counters = counters(st.Counters)
			f.Listeners = st.Listeners
		} else if web != nil {
			f.Listeners = web.addrs(fc.Name)
		}
		fes = append(fes, f)
		if fc.Stats != nil && ha.Backend(fc.Name) == nil {
			// The back half of a `listen stats`: never DOWN.
			bes = append(bes, stats.Backend{Name: f.Name, ID: f.ID, Mode: f.Mode, Status: "UP", Stats: true, Algo: "roundrobin"})
		}
	}
	for _, bc := range ha.Backends {
		st := beStat[bc.Name]
		b := stats.Backend{
			Name: bc.Name, ID: ids[bc.Line], Mode: string(bc.Mode), Algo: st.Algo, Status: st.Status,
			LastChange: st.LastChange, Downtime: st.Downtime, Counters: counters(st.Counters),
		}
		for i, ss := range st.Servers {
			sv := serverStat(bc, ss, i)
			if c := pp.checker(bc.Name, ss.Name); c != nil {
				sv.Check = checkStat(c.Status(), bc)
				b.ChkDown += sv.Check.Downs
			}
			b.Servers = append(b.Servers, sv)
		}
		bes = append(bes, b)
	}
	slices.SortStableFunc(bes, func(a, b stats.Backend) int { return a.ID - b.ID })
	return fes, bes
}

// sectionIDs numbers the proxy sections by their header line.
func sectionIDs(ha *haproxy.Config) map[int]int {
	var lines []int
	for _, f := range ha.Frontends {
		lines = append(lines, f.Line)
	}
	for _, b := range ha.Backends {
		lines = append(lines, b.Line)
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	ids := map[int]int{}
	for i, l := range lines {
		ids[l] = i + 2 // HAProxy's first user proxy is iid 2 (1 is its internal one)
	}
	return ids
}

func counters(c proxy.Counters) stats.Counters {
	return stats.Counters{Scur: c.Scur, Smax: c.Smax, Stot: c.Stot, Bin: c.Bin, Bout: c.Bout, Econ: c.Econ,
		Wretr: c.Wretr, Wredis: c.Wredis, Qcur: c.Qcur, Qmax: c.Qmax, LbTot: c.LbTot}
}

func serverStat(bc *haproxy.Backend, ss proxy.ServerStat, i int) stats.Server {
	sv := stats.Server{
		Name: ss.Name, ID: i + 1, Port: ss.Port, Status: ss.Status, Admin: ss.Admin.String(), Up: ss.Up,
		Backup: ss.Backup, Weight: ss.Weight, UWeight: ss.UWeight, IWeight: ss.IWeight, MaxConn: ss.MaxConn,
		LastChange: ss.LastChange, Downtime: ss.Downtime, Counters: counters(ss.Counters),
	}
	for _, sc := range bc.Servers {
		if sc.Name == ss.Name {
			sv.MaxQueue = sc.MaxQueue
			sv.AdminFromConfig = sc.Disabled && ss.Admin == proxy.Maint
			sv.Addr = sc.Host
		}
	}
	if ss.Addr.IsValid() {
		sv.Addr = ss.Addr.String()
	}
	return sv
}

func checkStat(st health.Status, bc *haproxy.Backend) *stats.Check {
	c := &stats.Check{
		Enabled: !st.Disabled, Status: string(st.Last.Code), Duration: st.Last.Duration,
		Desc: st.Last.Code.String(), Rise: st.Rise, Fall: st.Fall,
		Failed: int64(st.Failed), Downs: int64(st.Downs), LastCheck: st.LastCheck, Kind: string(bc.Check.Kind),
	}
	if c.Kind == "" {
		c.Kind = "tcp"
	}
	if _, detail, ok := strings.Cut(st.Last.Reason, ": "); ok {
		c.Detail = detail
	}
	if st.Last.Code == health.CodeL7Status || st.Last.Code == health.CodeL7OK {
		if n, err := strconv.Atoi(strings.Fields(c.Detail + " x")[0]); err == nil {
			c.Code = n
		}
	}
	// HAProxy's health runs 0..rise+fall-1, UP from rise on.
	c.Health = st.State.Health
	if st.Addr.IsValid() {
		c.Addr = st.Addr.String()
	}
	return c
}

// rateMeter turns the cumulative connection count into HAProxy's ConnRate
// (connections over the last second) and its maximum.
type rateMeter struct {
	mu       sync.Mutex
	at       time.Time
	count    int64
	rate     int64
	maxRate  int64
	lastSeen int64
}

func (m *rateMeter) observe(now time.Time, cum int64) (rate, maxRate int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at.IsZero() {
		m.at, m.count = now, cum
		return 0, 0
	}
	if el := now.Sub(m.at); el >= time.Second {
		m.rate = int64(float64(cum-m.count) / el.Seconds())
		m.at, m.count = now, cum
		m.maxRate = max(m.maxRate, m.rate)
	}
	return m.rate, m.maxRate
}

// clear forgets the highest rate (`clear counters`).
func (m *rateMeter) clear() {
	m.mu.Lock()
	m.maxRate = m.rate
	m.mu.Unlock()
}
