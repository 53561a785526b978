package haproxy

import (
	"fmt"

	"github.com/halo-lb/halo/internal/config/diag"
)

// The file descriptors halo's proxy uses (internal/proxy):
//
//   - per connection: the client socket and the server socket (FDsPerConn);
//   - per direction that moves bulk data: a splice pipe, two descriptors,
//     held only while bytes are in flight and kept in a small per-reactor
//     pool otherwise. Pipes are optional: when the pipe budget (MaxPipes) or
//     the descriptors run out, a flow copies through a buffer instead;
//   - per listener one socket, per reactor an epoll and an eventfd;
//   - per health or agent check one socket while it runs;
//   - the process itself: stdio, Go's poller, the control socket and its
//     clients, name lookups, VRRP and netlink sockets, notify scripts.
const (
	FDsPerConn = 2 // client + server socket
	FDsPerPipe = 2 // a pipe's two ends

	maxReactors     = 8  // internal/proxy starts at most this many
	fdsPerReactor   = 2  // epoll + eventfd
	fdsPerStatsSock = 4  // the listener and a few clients at once
	fdsProcess      = 32 // stdio, runtime, control socket, DNS, VRRP, netlink, scripts
)

// FDLimits is the process's RLIMIT_NOFILE and how far it may raise it.
type FDLimits struct {
	Soft, Hard uint64
	// Ceiling is the highest hard limit the process may set: Hard, or
	// fs.nr_open when it has CAP_SYS_RESOURCE.
	Ceiling uint64
}

// FDPlan is how one configuration spends file descriptors on one host,
// after HAProxy 2.6's rules: with `maxconn` and no `ulimit-n`, the limit is
// raised to what maxconn needs; without `maxconn`, maxconn is derived from
// the limit; under `strict-limits` (the default) a limit that cannot be had
// is an error.
type FDPlan struct {
	UlimitN  int  // the RLIMIT_NOFILE soft limit to run with (RaiseFDLimit sets it)
	MaxConn  int  // global maxconn in force: configured, or derived from UlimitN
	Derived  bool // MaxConn was derived (no global maxconn)
	MaxPipes int  // splice pipes at most
	Reserve  int  // descriptors kept for everything but connections and pipes
	Need     int  // what MaxConn needs at least: FDsPerConn*MaxConn + Reserve (+ pipes of an explicit maxpipes)
}

// reserve counts the descriptors of cfg that are not connections or pipes.
func reserve(cfg *Config) int {
	n := fdsProcess + maxReactors*fdsPerReactor + fdsPerStatsSock*len(cfg.Global.StatsSockets)
	for _, fe := range cfg.Frontends {
		n += len(fe.Binds)
	}
	for _, be := range cfg.Backends {
		for _, s := range be.Servers {
			if s.Check {
				n++
			}
			if s.Agent != nil {
				n++
			}
		}
	}
	return n
}

// PlanFDs computes cfg's plan for a process with limits lim. Its
// diagnostics (at the global line concerned) are errors under
// strict-limits and warnings without it, as HAProxy's are.
func PlanFDs(cfg *Config, lim FDLimits) (FDPlan, diag.List) {
	var diags diag.List
	g := &cfg.Global
	report := func(kw string, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if g.StrictLimits {
			diags.Errorf(cfg.File, g.lines[kw], "global: %s (HAProxy 2.6 refuses to start too; 'no strict-limits' makes it a warning)", msg)
		} else {
			diags.Warnf(cfg.File, g.lines[kw], "global: %s; running anyway ('no strict-limits')", msg)
		}
	}
	ceiling := int(min(max(lim.Ceiling, lim.Hard), 1<<30))
	if g.FDHardLimit > 0 {
		ceiling = min(ceiling, g.FDHardLimit)
	}
	p := FDPlan{Reserve: reserve(cfg), MaxConn: g.MaxConn}
	pipes := FDsPerPipe * g.MaxPipes // an explicit maxpipes counts in the need, as in HAProxy
	switch {
	case g.UlimitN > 0:
		p.UlimitN = g.UlimitN
	case g.MaxConn > 0:
		// Ask for the pipes of maxconn/4 too, but need only the sockets.
		want := g.MaxPipes
		if want == 0 {
			want = g.MaxConn / 4
		}
		p.UlimitN = FDsPerConn*g.MaxConn + FDsPerPipe*want + p.Reserve
		p.UlimitN = max(min(p.UlimitN, ceiling), FDsPerConn*g.MaxConn+pipes+p.Reserve)
	default:
		p.UlimitN = ceiling
	}
	if p.UlimitN > ceiling {
		if g.UlimitN > 0 {
			report("ulimit-n", "cannot raise the file descriptor limit to ulimit-n %d: the hard limit is %d (raise LimitNOFILE= in the systemd unit)", p.UlimitN, ceiling)
		} else {
			report("maxconn", "maxconn %d needs %d file descriptors (%d per connection plus %d for listeners, checks and the process), but the hard limit is %d (raise LimitNOFILE= in the systemd unit, or lower maxconn)",
				g.MaxConn, p.UlimitN, FDsPerConn, p.Reserve, ceiling)
		}
		p.UlimitN = ceiling
	}
	if p.MaxConn == 0 {
		p.Derived = true
		// Leave a quarter of maxconn in pipes, since halo splices bulk data.
		room := max(p.UlimitN-p.Reserve-pipes, 0)
		if g.MaxPipes > 0 {
			p.MaxConn = room / FDsPerConn
		} else {
			p.MaxConn = room * 4 / (4*FDsPerConn + FDsPerPipe)
		}
		p.MaxConn = max(p.MaxConn, 1)
	}
	p.Need = FDsPerConn*p.MaxConn + pipes + p.Reserve
	if !p.Derived && p.UlimitN < p.Need && (g.UlimitN > 0 || len(diags) == 0) {
		report("ulimit-n", "a file descriptor limit of %d is too low for maxconn %d, which needs %d (%d per connection plus %d for listeners, checks and the process)",
			p.UlimitN, p.MaxConn, p.Need, FDsPerConn, p.Reserve)
	}
	p.MaxPipes = g.MaxPipes
	if p.MaxPipes == 0 {
		p.MaxPipes = min(p.MaxConn/4, max(p.UlimitN-FDsPerConn*p.MaxConn-p.Reserve, 0)/FDsPerPipe)
	}
	return p, diags
}
