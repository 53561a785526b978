package daemon

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/health"
	"github.com/halo-lb/halo/internal/proxy"
)

// agentRun is one server's agent-check poller.
type agentRun struct {
	conf haproxy.AgentCheck
	host string
	a    *health.Agent
	stop context.CancelFunc
}

// reconcileAgents makes the agent pollers match cfg, like the checkers:
// unchanged ones keep running, changed ones restart, removed ones stop.
// Called with pp.mu not held.
func (pp *proxyPart) reconcileAgents(cfg *haproxy.Config) {
	want := map[serverKey]*haproxy.Server{}
	for _, b := range cfg.Backends {
		for _, s := range b.Servers {
			if s.Agent != nil {
				want[serverKey{b.Name, s.Name}] = s
			}
		}
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.agents == nil {
		pp.agents = map[serverKey]*agentRun{}
	}
	for k, ar := range pp.agents {
		if s, ok := want[k]; !ok || *s.Agent != ar.conf || agentHost(s) != ar.host {
			if ar.stop != nil {
				ar.stop()
			}
			delete(pp.agents, k)
			delete(pp.agentDown, k)
		}
	}
	for k, s := range want {
		if pp.agents[k] != nil {
			continue
		}
		ar := &agentRun{conf: *s.Agent, host: agentHost(s)}
		ar.a = &health.Agent{
			Addr: net.JoinHostPort(ar.host, strconv.Itoa(s.Agent.Port)), Send: s.Agent.Send,
			Interval: s.Agent.Inter, Timeout: s.Agent.Inter,
			Report: func(r health.AgentReport) { pp.agentReport(k, s, r) },
			Log:    pp.log.With("backend", k.backend, "server", k.server),
		}
		pp.agents[k] = ar
		if pp.runCtx != nil {
			pp.startAgentLocked(ar)
		}
	}
}

func agentHost(s *haproxy.Server) string {
	if s.Agent.Addr != "" {
		return s.Agent.Addr
	}
	return s.Host
}

func (pp *proxyPart) startAgentLocked(ar *agentRun) {
	ctx, cancel := context.WithCancel(pp.runCtx)
	ar.stop = cancel
	pp.wg.Go(func() { ar.a.Run(ctx) })
}

// agentReport applies what an agent said: a weight relative to the
// configured one, an admin state, and up/down, which holds the server
// DOWN whatever its health check says until the agent says up.
func (pp *proxyPart) agentReport(k serverKey, s *haproxy.Server, r health.AgentReport) {
	p := pp.proxy
	var changed []string
	if r.WeightPct >= 0 {
		w := min(s.Weight*r.WeightPct/100, 256)
		if err := p.SetServerWeight(k.backend, k.server, w); err == nil {
			changed = append(changed, fmt.Sprintf("weight %d", w))
		}
	}
	if r.Maxconn >= 0 {
		if err := p.SetServerMaxConn(k.backend, k.server, r.Maxconn); err == nil {
			changed = append(changed, fmt.Sprintf("maxconn %d", r.Maxconn))
		}
	}
	switch r.Admin {
	case "ready", "drain", "maint":
		st := map[string]proxy.AdminState{"ready": proxy.Ready, "drain": proxy.Drain, "maint": proxy.Maint}[r.Admin]
		if err := p.SetServerAdmin(k.backend, k.server, st); err == nil {
			changed = append(changed, r.Admin)
		}
	}
	if r.Oper != "" {
		down := r.Oper == "down"
		pp.mu.Lock()
		was := pp.agentDown[k]
		if pp.agentDown == nil {
			pp.agentDown = map[serverKey]bool{}
		}
		pp.agentDown[k] = down
		pp.mu.Unlock()
		if down != was {
			up := !down
			if c := pp.checker(k.backend, k.server); c != nil && up {
				up = c.Up()
			}
			pp.serverHealth(k.backend, k.server, up)
			changed = append(changed, r.Oper)
			if down {
				pp.log.Warn("server is DOWN: its agent says so", "backend", k.backend, "server", k.server, "agent", r.Text)
			}
		}
	}
	if len(changed) > 0 {
		pp.log.Debug("agent check applied", "backend", k.backend, "server", k.server, "agent", r.Text, "changed", changed)
	}
	pp.noteBackends()
}
