package vrrpd

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/track"
)

// scriptRunner is one vrrp_script and the goroutine running it.
type scriptRunner struct {
	def  *keepalived.Script
	s    *track.Script
	stop context.CancelFunc // nil until started
	done chan struct{}
}

// newScript prepares def of cfg (whose script_user applies to it).
func (r *Router) newScript(cfg *keepalived.Config, def *keepalived.Script) (*scriptRunner, error) {
	argv, err := keepalived.SplitCommand(def.Command)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: vrrp_script %s: %w", def.File, def.Line, def.Name, err)
	}
	user, group := cfg.ScriptAccount(def)
	s := &track.Script{Name: def.Name, Argv: argv, User: user, Group: group, Interval: def.Interval,
		Timeout: def.Timeout, Rise: def.Rise, Fall: def.Fall, Exec: r.env.Exec}
	return &scriptRunner{def: def, s: s, done: make(chan struct{})}, nil
}

// sameScript reports whether a reload leaves running script s as it
// runs: the same command, timers and account (cfg's script_user included).
func sameScript(s *track.Script, cfg *keepalived.Config, b *keepalived.Script) bool {
	user, group := cfg.ScriptAccount(b)
	return s.Argv != nil && slices.Equal(s.Argv, b.Argv()) && s.Interval == b.Interval && s.Timeout == b.Timeout &&
		s.Rise == b.Rise && s.Fall == b.Fall && s.User == user && s.Group == group
}

// verdict is the last known state of a tracked object; unknown objects
// are down (an interface not seen, a backend not reported, a script not
// run).
func (r *Router) verdict(k track.Key) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.verdicts[k]
}

// setVerdict records a tracker's verdict in the router and in every
// instance that tracks it.
func (r *Router) setVerdict(k track.Key, up bool) {
	r.mu.Lock()
	r.verdicts[k] = up
	ins := append([]*instance(nil), r.instances...)
	r.mu.Unlock()
	for _, in := range ins {
		in.setVerdict(k, up)
	}
	r.groupsChanged()
	r.mu.RLock()
	watchers := r.verdictWatchers
	r.mu.RUnlock()
	for _, fn := range watchers {
		fn()
	}
}

// Verdict reports a tracker's last verdict, and whether there is one yet.
func (r *Router) Verdict(k track.Key) (up, known bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	up, known = r.verdicts[k]
	return up, known
}

// WatchVerdicts calls fn after every verdict of a tracker (script,
// interface, backend) is recorded; fn must be quick.
func (r *Router) WatchVerdicts(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verdictWatchers = append(r.verdictWatchers, fn)
}

// primeScripts runs every script once, in parallel, so instances start
// with a known priority instead of electing on a guess.
func (r *Router) primeScripts(ctx context.Context) {
	r.mu.RLock()
	runners := make(map[string]*scriptRunner, len(r.scripts))
	for n, s := range r.scripts {
		runners[n] = s
	}
	r.mu.RUnlock()
	r.prime(ctx, runners)
}

func (r *Router) prime(ctx context.Context, runners map[string]*scriptRunner) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := map[string]bool{}
	for name, sr := range runners {
		wg.Go(func() {
			err := sr.s.RunOnce(ctx)
			mu.Lock()
			results[name] = err == nil
			mu.Unlock()
		})
	}
	wg.Wait()
	for name, ok := range results {
		r.setVerdict(track.Key{Kind: track.KindScript, Name: name}, ok)
	}
}

// primeLinks reads the state of every tracked interface.
func (r *Router) primeLinks() {
	for _, name := range r.trackedLinks() {
		up, err := r.env.Links.LinkUp(name)
		if err != nil {
			r.log.Warn("tracked interface", "iface", name, "err", err)
		}
		r.setVerdict(track.Key{Kind: track.KindInterface, Name: name}, up)
	}
}

// trackedLinks are the interfaces any instance tracks, sorted.
func (r *Router) trackedLinks() []string {
	seen := map[string]bool{}
	for _, in := range r.instanceList() {
		in.mu.Lock()
		s := in.tracks
		in.mu.Unlock()
		for _, k := range s.Keys() {
			if k.Kind == track.KindInterface {
				seen[k.Name] = true
			}
		}
	}
	r.mu.RLock()
	for _, a := range r.cfg.Announces { // bgp_announce blocks track through the router too
		for _, t := range a.TrackInterfaces {
			seen[t.Name] = true
		}
	}
	r.mu.RUnlock()
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// startTrackers starts the script loops and the link watcher.
func (r *Router) startTrackers(ctx context.Context) {
	r.mu.Lock()
	for _, sr := range r.scripts {
		r.startScriptLocked(ctx, sr)
	}
	r.trackerCtx = ctx
	r.mu.Unlock()
	r.wg.Go(func() {
		err := r.env.Links.Watch(ctx, r.linkChanged)
		if err != nil && ctx.Err() == nil {
			r.log.Error("interface tracking stopped", "err", err)
		}
	})
}

func (r *Router) startScriptLocked(ctx context.Context, sr *scriptRunner) {
	sctx, cancel := context.WithCancel(ctx)
	sr.stop = cancel
	initial := r.verdicts[track.Key{Kind: track.KindScript, Name: sr.def.Name}]
	name := sr.def.Name
	r.wg.Go(func() {
		defer close(sr.done)
		sr.s.Run(sctx, initial, func(good bool, err error) {
			r.log.Info("vrrp_script changed", "script", name, "state", goodWord(good), "err", err)
			r.setVerdict(track.Key{Kind: track.KindScript, Name: name}, good)
		})
	})
}

func (sr *scriptRunner) halt() {
	if sr.stop != nil {
		sr.stop()
		<-sr.done
	}
}

// linkChanged handles a link event: an interface that appears gets the
// sockets its instances wait for, then the verdict reaches them.
func (r *Router) linkChanged(name string, up bool) {
	k := track.Key{Kind: track.KindInterface, Name: name}
	r.mu.Lock()
	_, known := r.verdicts[k]
	tracked := known || slices.Contains(r.ifacesLocked(), name)
	if up {
		for ck := range r.byConn {
			if ck.iface == name {
				if err := r.ensureConnLocked(ck); err != nil {
					r.log.Error("opening the vrrp socket of an interface that appeared", "iface", name, "err", err)
				}
			}
		}
	}
	r.mu.Unlock()
	if !tracked {
		return
	}
	if r.verdict(k) != up {
		r.log.Info("tracked interface changed", "iface", name, "state", goodWord(up))
	}
	r.setVerdict(k, up)
}

// ifacesLocked are the interfaces the instances run on.
func (r *Router) ifacesLocked() []string {
	var out []string
	for k := range r.byConn {
		out = append(out, k.iface)
	}
	return out
}

func goodWord(good bool) string {
	if good {
		return "UP"
	}
	return "DOWN"
}
