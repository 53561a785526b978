package daemon

import (
	"context"
	"errors"
	"fmt"
	"github.com/halo-lb/halo/internal/bootpages"
	"github.com/halo-lb/halo/internal/ctl"
	"github.com/halo-lb/halo/internal/logs"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/priv"
	"github.com/halo-lb/halo/internal/track"
	"github.com/halo-lb/halo/internal/vrrpd"
)

// DefaultSocket is where `halo run` serves its control socket and where
// `halo status` looks for it.
const DefaultSocket = ctl.DefaultSocket

// Options say what one halo process runs. Either file may be empty.
type Options struct {
	HAProxyFile    string
	KeepalivedFile string
	Socket         string // halo's own control socket; "" = none
	// ApplyFDLimit sets the process's RLIMIT_NOFILE to the plan (ulimit-n,
	// or what maxconn needs) before opening sockets: `halo run` does; tests
	// running a daemon in their own process leave their limit alone.
	ApplyFDLimit bool
	Metrics      string // --metrics ADDR: a /metrics listener of its own; "" = none
	Version      string
	Log          *slog.Logger // nil = discard
	// VRRP is the world the VRRP instances act on; the zero value is this
	// host (raw sockets, netlink). Tests pass fakes (vrrpdtest). A nil
	// VRRP.Exec is Exec below.
	VRRP vrrpd.Env
	// Files reads the configuration files, once per load (start and every
	// reload); nil reads the file system. The serving child of `halo run`
	// reads through its privileged helper (priv.Client.Files).
	Files func() (priv.Files, error)
	// Exec runs notify and vrrp_script scripts; nil runs them from this
	// process as the plan says (priv.LocalExec: script_user, the default
	// account, enable_script_security). The serving child passes its
	// helper's (priv.Client.Exec).
	Exec track.Exec
	// Drop makes Run drop to haproxy.cfg's user/group (priv.Drop: only
	// CAP_NET_ADMIN, NET_RAW and NET_BIND_SERVICE kept) once every socket
	// is open, before any part runs and before Ready; false stays as
	// started. `halo run` sets it in its serving child.
	Drop bool
}

// Daemon is one running halo: proxy, health checks, VRRP instances,
// statistics listeners and control sockets, each a part the supervisor
// runs (Run) and a reload updates in place (Reload).
type Daemon struct {
	opts  Options
	log   *slog.Logger
	start time.Time
	rate  rateMeter

	reloadMu sync.Mutex // one reload at a time
	mu       sync.Mutex // guards the fields below
	ha       *haproxy.Config
	ka       *keepalived.Config
	plan     *priv.Plan    // accounts of the running configuration
	proxy    *proxyPart    // nil without haproxy.cfg
	router   *vrrpd.Router // nil without keepalived.conf
	bgp      *bgpPart      // nil without bgp_speaker
	web      *webPart
	ctl      *ctlPart
	logs     *logs.Router
	running  bool
	ready    chan struct{} // closed once every socket is open

	handover handoverState

	stopping     atomic.Bool
	reloads      atomic.Int64
	reloadErrors atomic.Int64
	lastReload   atomic.Pointer[time.Time]
}

// New loads and validates the configuration files and builds every part;
// it opens no socket. Warnings are logged; any error is returned with every
// diagnostic, as `halo check` prints them.
func New(opts Options) (*Daemon, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{opts: opts, log: log, start: time.Now(), ready: make(chan struct{})}
	ha, ka, plan, err := d.load()
	if err != nil {
		return nil, err
	}
	d.ha, d.ka, d.plan = ha, ka, plan
	// Every part logs through the router: stderr, and the `log` targets.
	d.logs = logs.New(log)
	d.logs.Apply(ha)
	log = slog.New(d.logs.Handler(log.Handler()))
	d.log = log
	fail := func(err error) (*Daemon, error) {
		d.logs.Apply(nil)
		return nil, err
	}
	if ha != nil {
		if d.proxy, err = newProxyPart(ha, log); err != nil {
			return fail(err)
		}
		d.proxy.proxy.SetConnLogger(d.logs.LogConn)
		if err := d.loadServerState(ha); err != nil {
			log.Warn("server state file not applied", "err", err)
		}
	}
	if ka != nil {
		env := opts.VRRP
		if env.Exec == nil {
			env.Exec = opts.Exec
		}
		if env.Exec == nil {
			env.Exec = priv.LocalExec(d.currentPlan)
		}
		if d.router, err = vrrpd.New(ka, env, log); err != nil {
			return fail(err)
		}
		if ha != nil {
			d.router.SetDrainer(d.waitIdle, stopDrain(ha.Global.HardStopAfter))
		}
		if ka.BGP != nil {
			d.bgp = newBGPPart(ka, d.router, env.Addresses, log)
		}
	}
	d.web = newWebPart(d.Snapshot, d.nbsrv, log)
	d.ctl = newCtlPart(d, log)
	if d.proxy != nil && d.router != nil {
		d.proxy.onBackend = d.router.SetBackend
		for _, b := range ha.Backends {
			d.router.SetBackend(b.Name, d.proxy.BackendUp(b.Name))
		}
	}
	return d, nil
}

// nbsrv counts a backend's usable servers, for `monitor fail if { nbsrv(B) lt N }`.
func (d *Daemon) nbsrv(backend string) int {
	d.mu.Lock()
	pp := d.proxy
	d.mu.Unlock()
	if pp == nil {
		return 0
	}
	n := 0
	for _, b := range pp.proxy.Snapshot().Backends {
		if b.Name != backend {
			continue
		}
		for _, s := range b.Servers {
			if s.Status == "UP" || s.Status == "no check" {
				n++
			}
		}
	}
	return n
}

// Run opens every listener, then serves until ctx is done, then stops
// gracefully: VRRP masters send priority 0 and keep their VIPs until a
// backup took over, then the proxy stops accepting and drains. A part that
// fails stops the others; its error is returned.
func (d *Daemon) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return errors.New("daemon already running")
	}
	d.running = true
	d.mu.Unlock()

	// Readiness: every socket is open before anything serves, so a port
	// that cannot be bound fails the start and nothing half runs.
	if err := d.listen(); err != nil {
		d.logs.Apply(nil)
		return err
	}
	if err := d.dropPrivileges(); err != nil {
		d.closeListeners()
		d.logs.Apply(nil)
		return err
	}
	close(d.ready)
	sup := newSupervisor(ctx, d.log)
	// The proxy stops only after the VRRP part has handed its VIPs over,
	// so clients keep being served until the backup answers for the VIP.
	proxyCtx, stopProxy := context.WithCancel(context.WithoutCancel(ctx))
	defer stopProxy()
	vrrpDone := make(chan struct{})
	if d.router != nil {
		sup.Go("vrrp", func(ctx context.Context) error {
			defer close(vrrpDone)
			return d.router.Run(ctx)
		})
	} else {
		close(vrrpDone)
	}
	// The BGP speaker's stop is graceful too (GRACEFUL_SHUTDOWN, then the
	// withdraw after graceful_shutdown_delay): the proxy serves until then.
	bgpDone := make(chan struct{})
	if d.bgp != nil {
		sup.Go("bgp", func(ctx context.Context) error {
			defer close(bgpDone)
			return d.bgp.Run(ctx)
		})
	} else {
		close(bgpDone)
	}
	sup.Go("stop order", func(ctx context.Context) error {
		<-ctx.Done()
		d.stopping.Store(true)
		<-vrrpDone
		<-bgpDone
		stopProxy()
		return nil
	})
	if d.proxy != nil {
		sup.Go("proxy", func(context.Context) error { return d.proxy.Run(proxyCtx) })
		sup.Go("rate sampler", d.sampleRates)
	}
	sup.Go("http listeners", d.web.Run)
	sup.Go("control sockets", d.ctl.Run)
	sup.Go("logs", d.logs.Run)
	d.log.Info("halo running", "haproxy", d.opts.HAProxyFile, "keepalived", d.opts.KeepalivedFile, "socket", d.opts.Socket)
	// Loading and building left garbage in proportion to the configuration
	// (the parse tree, the checkers' construction): collect it and hand the
	// pages back now, once, rather than keep them resident until the
	// steady state, which allocates little, grows back into them.
	debug.FreeOSMemory()
	// Likewise the binary's pages that only starting needed (see bootpages).
	if n, err := bootpages.Release(); err != nil {
		d.log.Debug("startup pages not released", "err", err)
	} else {
		d.log.Debug("startup pages released", "mapped_mb", n>>20)
	}
	err := sup.Wait()
	if d.ha != nil {
		if serr := d.saveServerState(); serr != nil {
			d.log.Warn("server state file not written", "err", serr)
		}
	}
	if err != nil {
		return err
	}
	d.log.Info("halo stopped")
	return nil
}

// Ready is closed once Run has opened every socket (listeners, statistics
// and control sockets); a start that fails never closes it.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// listen opens the sockets of every part; on an error none stays open.
func (d *Daemon) listen() error {
	if d.proxy != nil {
		// The file descriptor limit the plan was made for (ulimit-n, or
		// what maxconn needs), set before any socket opens, as HAProxy does.
		if plan := d.proxy.proxy.FDPlan(); plan.UlimitN > 0 && d.opts.ApplyFDLimit {
			if err := haproxy.RaiseFDLimit(plan); err != nil {
				if d.ha.Global.StrictLimits {
					return fmt.Errorf("file descriptor limit: %w (strict-limits)", err)
				}
				d.log.Warn("file descriptor limit not set", "want", plan.UlimitN, "err", err)
			}
		}
		if err := d.proxy.Listen(); err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
	}
	closeProxy := func() {
		if d.proxy != nil {
			d.proxy.proxy.Close()
		}
	}
	if _, err := d.web.apply(webFrontends(d.ha, d.opts.Metrics)); err != nil {
		closeProxy()
		return err
	}
	if err := d.ctl.apply(d.ha); err != nil {
		closeProxy()
		d.web.apply(nil)
		return err
	}
	return nil
}

// dropPrivileges drops to the plan's account when Options.Drop asks: the
// sockets are open and no part runs yet, so no thread is caught between
// two capability sets.
func (d *Daemon) dropPrivileges() error {
	if !d.opts.Drop || d.plan == nil || d.plan.Serve == nil {
		return nil
	}
	a := *d.plan.Serve
	if err := priv.Drop(a); err != nil {
		return fmt.Errorf("dropping privileges to %s: %w", a, err)
	}
	d.log.Info("privileges dropped", "user", a.Name, "uid", a.UID, "gid", a.GID, "kept", "CAP_NET_ADMIN,CAP_NET_RAW,CAP_NET_BIND_SERVICE")
	return nil
}

// closeListeners undoes listen.
func (d *Daemon) closeListeners() {
	if d.proxy != nil {
		d.proxy.proxy.Close()
	}
	d.web.apply(nil)
	d.ctl.apply(nil)
}

// currentPlan is the plan of the running configuration.
func (d *Daemon) currentPlan() *priv.Plan {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.plan
}

// sampleRates keeps ConnRate and MaxConnRate true between scrapes.
func (d *Daemon) sampleRates(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			d.rate.observe(now, d.proxy.proxy.SessionsTotal())
		}
	}
}
