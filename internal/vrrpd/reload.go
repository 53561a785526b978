package vrrpd

import (
	"fmt"
	"slices"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/track"
	"github.com/halo-lb/halo/internal/vrrp"
)

// Reload applies a new configuration as keepalived does on SIGHUP, without
// an election: an instance with the same name, VRID, interface and version
// keeps its state and VIPs, and takes the new priority, VIP list,
// trackers, timers and scripts in place (VIPs added or removed while
// master, a new priority advertised). A changed VRID, interface or version
// restarts the instance; removed instances resign and release. It returns
// one line per object it changed. On error (two instances sharing a VRID,
// a script that cannot be split, a socket that cannot be opened) nothing
// has changed.
func (r *Router) Reload(cfg *keepalived.Config) ([]string, error) {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	if err := checkVRIDs(cfg); err != nil {
		return nil, err
	}
	if err := r.checkVMACReload(cfg); err != nil {
		return nil, err
	}
	newScripts := map[string]*scriptRunner{}
	r.mu.RLock()
	for name, def := range cfg.Scripts {
		if old := r.scripts[name]; old != nil && sameScript(old.s, cfg, def) {
			continue
		}
		sr, err := r.newScript(cfg, def)
		if err != nil {
			r.mu.RUnlock()
			return nil, err
		}
		newScripts[name] = sr
	}
	r.mu.RUnlock()
	// New and changed scripts run once first, so instances that track
	// them do not start on a guess.
	r.prime(r.ctx, newScripts)

	var changes []string
	var starts, stops, restarts []*instance
	var restartCfg []*keepalived.Instance

	r.mu.Lock()
	old := r.cfg
	r.cfg = cfg
	// Scripts: the replaced ones stop after the lock is released (their
	// last verdict may be on its way to setVerdict).
	var halted []*scriptRunner
	for name, sr := range r.scripts {
		if _, ok := cfg.Scripts[name]; !ok || newScripts[name] != nil {
			halted = append(halted, sr)
			delete(r.scripts, name)
			if !ok {
				changes = append(changes, fmt.Sprintf("vrrp_script %s: removed", name))
			} else {
				changes = append(changes, fmt.Sprintf("vrrp_script %s: changed, restarted", name))
			}
		}
	}
	for name, sr := range newScripts {
		if _, had := old.Scripts[name]; !had {
			changes = append(changes, fmt.Sprintf("vrrp_script %s: added", name))
		}
		r.scripts[name] = sr
		if r.running && r.trackerCtx != nil {
			r.startScriptLocked(r.trackerCtx, sr)
		}
	}
	// Instances.
	keep := map[string]bool{}
	for _, ic := range cfg.Instances {
		keep[ic.Name] = true
		in := r.byName[ic.Name]
		switch {
		case in == nil:
			if err := r.addInstance(ic); err != nil { // checked above: cannot happen
				r.mu.Unlock()
				return changes, err
			}
			starts = append(starts, r.byName[ic.Name])
			changes = append(changes, fmt.Sprintf("vrrp_instance %s: added", ic.Name))
		case !sameRouter(in.cfg, ic):
			r.removeInstanceLocked(in)
			restarts = append(restarts, in)
			restartCfg = append(restartCfg, ic)
			changes = append(changes, fmt.Sprintf("vrrp_instance %s: virtual_router_id, interface or version changed: restarted", ic.Name))
		default:
			if d := describeChange(in.cfg, ic); d != "" {
				changes = append(changes, fmt.Sprintf("vrrp_instance %s: %s", ic.Name, d))
			}
			r.updateInstanceLocked(in, ic)
		}
	}
	for _, in := range append([]*instance(nil), r.instances...) {
		if !keep[in.name] {
			r.removeInstanceLocked(in)
			stops = append(stops, in)
			changes = append(changes, fmt.Sprintf("vrrp_instance %s: removed", in.name))
		}
	}
	r.groups = r.newGroups(cfg)
	running := r.running
	for k := range r.byConn {
		if err := r.ensureConnLocked(k); err != nil {
			r.log.Error("reload: vrrp socket", "err", err)
		}
	}
	r.mu.Unlock()
	for _, sr := range halted {
		sr.halt()
	}

	for _, in := range r.instanceList() {
		in.apply()
	}
	if running {
		next := staticRouting(cfg)
		r.mu.Lock()
		held := r.static
		r.static = next
		r.mu.Unlock()
		r.applyRouting(held, next, "static")
		for _, in := range starts {
			r.startInstance(in)
		}
		for _, in := range stops {
			r.wg.Go(func() { r.stopInstance(in, true) })
		}
		// A restarted router changes identity on the wire: stop the old
		// one at once (no handover: its VRID or link is going away) and
		// start the new one in its place.
		for i, in := range restarts {
			ic := restartCfg[i]
			r.stopInstance(in, false)
			r.mu.Lock()
			err := r.addInstance(ic)
			if err == nil {
				r.groups = r.newGroups(r.cfg)
				err = r.ensureConnLocked(keyOf(ic))
			}
			nin := r.byName[ic.Name]
			r.mu.Unlock()
			if err != nil {
				r.log.Error("reload: restarting instance", "instance", ic.Name, "err", err)
			}
			if nin != nil {
				nin.apply()
				r.startInstance(nin)
			}
		}
	}
	r.groupsChanged()
	return changes, nil
}

// sameRouter reports whether a reload can apply ic to the running instance
// of old in place.
func sameRouter(old, ic *keepalived.Instance) bool {
	return old.VRID == ic.VRID && old.Interface == ic.Interface && old.Version == ic.Version && old.Family() == ic.Family()
}

// updateInstanceLocked applies ic to a running instance in place.
func (r *Router) updateInstanceLocked(in *instance, ic *keepalived.Instance) {
	in.mu.Lock()
	in.cfg = ic
	in.pass = vrrp.PassKey(ic.AuthPass)
	primary := ic.UnicastSrcIP
	if !primary.IsValid() && in.conn != nil {
		primary = in.conn.PrimaryAddr()
	}
	in.primary = primary
	in.mu.Unlock()
	in.setTracks(ic)
	in.router.Reconfigure(machineConfig(ic, primary))
	in.vips.update(ic, r.cfg.Global)
	for _, k := range in.trackedKeys() {
		if _, ok := r.verdicts[k]; !ok && k.Kind == track.KindInterface {
			up, _ := r.env.Links.LinkUp(k.Name)
			r.verdicts[k] = up
			in.setVerdict(k, up)
		}
	}
}

func (r *Router) removeInstanceLocked(in *instance) {
	ic := in.cfg
	k := keyOf(ic)
	delete(r.byConn[k], ic.VRID)
	if len(r.byConn[k]) == 0 {
		delete(r.byConn, k)
	}
	delete(r.byName, in.name)
	r.instances = slices.DeleteFunc(r.instances, func(x *instance) bool { return x == in })
}

func (in *instance) trackedKeys() []track.Key {
	in.mu.Lock()
	s := in.tracks
	in.mu.Unlock()
	return s.Keys()
}

// checkVRIDs refuses two instances on one interface and family with the
// same VRID.
func checkVRIDs(cfg *keepalived.Config) error {
	seen := map[connKey]map[uint8]string{}
	for _, ic := range cfg.Instances {
		k := keyOf(ic)
		if seen[k] == nil {
			seen[k] = map[uint8]string{}
		}
		if other, dup := seen[k][ic.VRID]; dup {
			return fmt.Errorf("vrrp_instance %s and %s share virtual_router_id %d on %s", other, ic.Name, ic.VRID, ic.Interface)
		}
		seen[k][ic.VRID] = ic.Name
	}
	return nil
}

// describeChange says in a few words what a reload changes in an
// instance, "" when nothing.
func describeChange(a, b *keepalived.Instance) string {
	var parts []string
	if a.Priority != b.Priority {
		parts = append(parts, fmt.Sprintf("priority %d -> %d", a.Priority, b.Priority))
	}
	if a.AdvertInt != b.AdvertInt {
		parts = append(parts, fmt.Sprintf("advert_int %v -> %v", a.AdvertInt, b.AdvertInt))
	}
	if fmt.Sprint(a.VIPs, a.ExcludedVIPs) != fmt.Sprint(b.VIPs, b.ExcludedVIPs) {
		parts = append(parts, "virtual addresses changed")
	}
	if fmt.Sprint(trackNames(a)) != fmt.Sprint(trackNames(b)) {
		parts = append(parts, "trackers changed")
	}
	if a.NoPreempt != b.NoPreempt || a.PreemptDelay != b.PreemptDelay {
		parts = append(parts, "preemption changed")
	}
	if a.AuthType != b.AuthType || a.AuthPass != b.AuthPass {
		parts = append(parts, "authentication changed")
	}
	if fmt.Sprint(a.UnicastPeers, a.UnicastSrcIP) != fmt.Sprint(b.UnicastPeers, b.UnicastSrcIP) {
		parts = append(parts, "unicast peers changed")
	}
	if a.Notify != b.Notify {
		parts = append(parts, "notify scripts changed")
	}
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += ", "
		}
		out += p
	}
	return out
}

func trackNames(ic *keepalived.Instance) []string {
	var out []string
	for _, t := range ic.TrackScripts {
		out = append(out, fmt.Sprintf("script %s %d %v", t.Name, t.Weight, t.Reverse))
	}
	for _, t := range ic.TrackInterfaces {
		out = append(out, fmt.Sprintf("interface %s %d %v", t.Name, t.Weight, t.Reverse))
	}
	for _, t := range ic.TrackBackends {
		out = append(out, fmt.Sprintf("backend %s %d %v", t.Name, t.Weight, t.Reverse))
	}
	return out
}
