package proxy

import "github.com/halo-lb/halo/internal/config/haproxy"

// applyFDPlan sizes the proxy for this host's file descriptors, the way
// `halo check` predicted (haproxy.PlanFDs): the global maxconn in force
// (configured, or derived from the limit when the file sets none, as
// HAProxy derives it) and the splice pipe budget. New calls it; an
// unreadable limit leaves maxconn as configured and pipes unlimited.
func (p *Proxy) applyFDPlan(cfg *haproxy.Config) {
	plan, pipes := planFDs(cfg)
	p.plan.Store(&plan)
	p.pipeBudget.max = pipes
	p.gate.global = newLimiter(plan.MaxConn)
	if r := cfg.Global.AcceptRate(); r > 0 {
		p.gate.rate = newRateLimit(r)
	}
}

// planFDs is the plan for cfg on this host; without a readable limit,
// maxconn as configured and pipes unlimited (-1).
func planFDs(cfg *haproxy.Config) (haproxy.FDPlan, int64) {
	if lim, err := haproxy.SystemFDLimits(); err == nil {
		plan, _ := haproxy.PlanFDs(cfg, lim)
		return plan, int64(plan.MaxPipes)
	}
	return haproxy.FDPlan{MaxConn: cfg.Global.MaxConn}, -1
}

// FDPlan is the file descriptor plan the proxy runs with (for `show info`:
// Ulimit-n, Maxsock, Maxconn, Hard_maxconn, Maxpipes). Its zero value
// means the limit could not be read.
func (p *Proxy) FDPlan() haproxy.FDPlan { return *p.plan.Load() }
