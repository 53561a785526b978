package vrrpd

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/track"
)

// Router runs every vrrp_instance of one keepalived.conf: one raw socket
// per interface and family shared by the instances there, one state
// machine per instance, the trackers, the sync groups and the notify
// scripts. Create it with New, then Run it; Reload applies a new
// configuration while it runs.
type Router struct {
	env    Env
	log    *slog.Logger
	notify *notifier

	// life outlives Run's context: announcements and handovers after the
	// stop use it; it ends when Run returns.
	ctx     context.Context
	endLife context.CancelFunc
	wg      sync.WaitGroup // instance loops, receivers, trackers, background stops

	reloadMu sync.Mutex // one Reload at a time

	mu        sync.RWMutex
	cfg       *keepalived.Config
	running   bool
	instances []*instance // in configuration order
	byName    map[string]*instance
	byConn    map[connKey]map[uint8]*instance
	conns     map[connKey]*connEntry
	scripts   map[string]*scriptRunner
	verdicts  map[track.Key]bool
	// verdictWatchers hear of every verdict (WatchVerdicts): the BGP part.
	verdictWatchers []func()
	groups          []*syncGroup
	listeners       []Listener
	trackerCtx      context.Context // where scripts started by a reload run
	static          routing         // static_ipaddress, static_routes, static_rules on the host
	maint           bool            // in maintenance after a handover (handoff.go)
	drainer         Drainer         // waits for the node's connections to end
	stopDrain       time.Duration   // bound of that wait at stop

	handoffFailed atomic.Bool // the first hand-off failure was logged
}

// New prepares a Router for cfg; it opens nothing. A nil log discards.
func New(cfg *keepalived.Config, env Env, log *slog.Logger) (*Router, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Router{
		env:      env.withDefaults(),
		log:      log,
		cfg:      cfg,
		byName:   map[string]*instance{},
		byConn:   map[connKey]map[uint8]*instance{},
		conns:    map[connKey]*connEntry{},
		scripts:  map[string]*scriptRunner{},
		verdicts: map[track.Key]bool{},
	}
	r.ctx, r.endLife = context.WithCancel(context.Background())
	r.notify = newNotifier(log, r.env.Exec, r.scriptUser)
	for _, ic := range cfg.Instances {
		if err := r.addInstance(ic); err != nil {
			return nil, err
		}
	}
	for name, s := range cfg.Scripts {
		sr, err := r.newScript(cfg, s)
		if err != nil {
			return nil, err
		}
		r.scripts[name] = sr
	}
	r.groups = r.newGroups(cfg)
	r.listeners = []Listener{r.notifyListener, r.syncListener}
	return r, nil
}

// addInstance registers a new instance. Called with r.mu held or before
// the router is shared.
func (r *Router) addInstance(ic *keepalived.Instance) error {
	k := keyOf(ic)
	if other := r.byConn[k][ic.VRID]; other != nil {
		return fmt.Errorf("vrrp_instance %s and %s share virtual_router_id %d on %s", other.name, ic.Name, ic.VRID, ic.Interface)
	}
	in := r.newInstance(ic)
	if r.byConn[k] == nil {
		r.byConn[k] = map[uint8]*instance{}
	}
	r.byConn[k][ic.VRID] = in
	r.byName[ic.Name] = in
	r.instances = append(r.instances, in)
	return nil
}

// Subscribe adds a listener for every later transition.
func (r *Router) Subscribe(l Listener) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listeners = append(r.listeners, l)
}

func (r *Router) publish(e Event) {
	r.mu.RLock()
	ls := r.listeners
	r.mu.RUnlock()
	for _, l := range ls {
		l(e)
	}
}

func (r *Router) global() keepalived.GlobalDefs {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cfg.Global
}

func (r *Router) instanceList() []*instance {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]*instance(nil), r.instances...)
}

// SetBackend records whether a backend of the haproxy configuration has a
// server UP (halo's track_backend). Call it before Run with every
// backend's state, then on every change.
func (r *Router) SetBackend(name string, up bool) {
	r.setVerdict(track.Key{Kind: track.KindBackend, Name: name}, up)
}

// Run opens the sockets, primes the trackers, starts every instance and
// serves until ctx is done. Then it stops gracefully: masters send a
// priority-0 advert and keep their VIPs until a backup has taken over (at
// most 3 × advert_int + 1 s), then release them. An instance whose
// interface does not exist waits in FAULT until it appears. Run returns an
// error only when it cannot start (a socket that cannot be opened for
// another reason than a missing interface).
func (r *Router) Run(ctx context.Context) error {
	defer r.endLife()
	go r.notify.run()
	defer r.notify.close()
	if err := r.createVMACs(); err != nil {
		r.removeVMACs()
		return err
	}
	defer r.removeVMACs() // last: after the VIPs on them are released

	for _, in := range r.instanceList() {
		ic, _, _ := in.config()
		in.vips.cleanup(ic)
	}
	r.mu.Lock()
	cfg := r.cfg
	r.mu.Unlock()
	next := staticRouting(cfg)
	r.applyRouting(routing{}, next, "static")
	r.mu.Lock()
	r.static = next
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		held := r.static
		r.static = routing{}
		r.mu.Unlock()
		r.applyRouting(held, routing{}, "static")
	}()
	r.primeLinks()
	r.primeScripts(ctx)
	if err := r.openConns(); err != nil {
		r.closeConns()
		return err
	}
	auxCtx, stopAux := context.WithCancel(r.ctx)
	r.startTrackers(auxCtx)

	r.mu.Lock()
	r.running = true
	r.mu.Unlock()
	for _, in := range r.instanceList() {
		in.apply() // the primed verdicts count from the first election
		r.startInstance(in)
	}
	r.log.Info("vrrp running", "instances", len(r.instanceList()))
	<-ctx.Done()

	r.mu.Lock()
	r.running = false
	r.mu.Unlock()
	var stops sync.WaitGroup
	for _, in := range r.instanceList() {
		stops.Go(func() { r.stopInstance(in, true) })
	}
	stops.Wait()
	r.logCounters()
	stopAux()
	r.closeConns()
	r.wg.Wait()
	return nil
}

// startInstance runs in's loop until stopInstance.
func (r *Router) startInstance(in *instance) {
	ctx, cancel := context.WithCancel(r.ctx)
	in.stop = cancel
	loopDone := make(chan struct{})
	r.wg.Go(func() {
		defer close(loopDone)
		in.router.Run(ctx)
	})
	in.loopDone = loopDone
}

// stopInstance shuts in down: its loop resigns (priority 0) and, with
// handover, a master keeps its VIPs until a backup takes over; without, it
// releases them at once.
func (r *Router) stopInstance(in *instance, handover bool) {
	if in.stop == nil {
		return
	}
	in.stop()
	<-in.loopDone
	if handover {
		in.handOver()
	}
	in.vips.release("stopped")
	close(in.done)
}
