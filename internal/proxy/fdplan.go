package proxy

import "github.com/halo-lb/halo/internal/config/haproxy"

// applyFDPlan sizes the proxy for this host's file descriptors, the way
// `halo check` predicted (haproxy.PlanFDs): the global maxconn in force
// (configured, or derived from the limit when the file sets none, as
// HAProxy derives it) and the splice pipe budget. New calls it; an
// unreadable limit leaves maxconn as configured and pipes unlimited.
func (p *Proxy) applyFDPlan() {
	max := p.cfg.Global.MaxConn
	p.pipeBudget.max = -1
	if lim, err := haproxy.SystemFDLimits(); err == nil {
		p.plan, _ = haproxy.PlanFDs(p.cfg, lim)
		max, p.pipeBudget.max = p.plan.MaxConn, int64(p.plan.MaxPipes)
	}
	p.gate.global = newLimiter(max)
	if r := p.cfg.Global.AcceptRate(); r > 0 {
		p.gate.rate = newRateLimit(r)
	}
}

// FDPlan is the file descriptor plan the proxy runs with (for `show info`:
// Ulimit-n, Maxsock, Maxconn, Hard_maxconn, Maxpipes). Its zero value
// means the limit could not be read.
func (p *Proxy) FDPlan() haproxy.FDPlan { return p.plan }
