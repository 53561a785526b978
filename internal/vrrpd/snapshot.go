package vrrpd

import (
	"slices"

	"github.com/halo-lb/halo/internal/stats"
	"github.com/halo-lb/halo/internal/track"
)

// Snapshot returns the state of every instance, script and sync group for
// status views.
func (r *Router) Snapshot() (instances []stats.Instance, scripts []stats.Script, groups []stats.SyncGroup) {
	for _, in := range r.instanceList() {
		instances = append(instances, r.instanceStat(in))
	}
	r.mu.RLock()
	names := make([]string, 0, len(r.scripts))
	for n := range r.scripts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		good, known := r.verdicts[track.Key{Kind: track.KindScript, Name: n}]
		st := "BAD"
		switch {
		case !known:
			st = "INIT"
		case good:
			st = "GOOD"
		}
		scripts = append(scripts, stats.Script{Name: n, Good: good, Status: st})
	}
	gs := r.groups
	r.mu.RUnlock()
	for _, g := range gs {
		sg := stats.SyncGroup{Name: g.cfg.Name, State: g.state()}
		for _, m := range g.members {
			sg.Members = append(sg.Members, m.name)
		}
		groups = append(groups, sg)
	}
	return instances, scripts, groups
}

func (r *Router) instanceStat(in *instance) stats.Instance {
	st := in.router.Status()
	in.mu.Lock()
	ic, n, tracks := in.cfg, in.n, in.tracks
	s := stats.Instance{
		Name: ic.Name, VRID: ic.VRID, Interface: ic.Interface, Version: ic.Version, Family: ic.Family(),
		State: in.shown.String(), Reason: in.reason, Since: in.since,
		BasePriority: int(ic.Priority), EffectivePriority: int(st.Priority),
		Master: st.Master, MasterPriority: int(st.MasterPriority),
		LastAdvert: in.lastAdvert, AdvertInterval: ic.AdvertInt, Maintenance: st.Maintenance,
	}
	in.mu.Unlock()
	if st.Fault && st.FaultReason != "" {
		s.Reason = st.FaultReason
	}
	for _, e := range tracks.Entries() {
		s.Trackers = append(s.Trackers, stats.Tracker{
			Kind: string(e.Kind), Name: e.Name, Up: e.Up, Weight: e.Rule.Weight,
			Reverse: e.Rule.Reverse, Delta: e.Delta, Fault: e.Fault,
		})
	}
	for i, a := range vipAddresses(ic) {
		present, _ := r.env.Addresses.Has(a)
		s.VIPs = append(s.VIPs, stats.VIP{Prefix: a.Prefix, Dev: a.Dev, Excluded: i >= len(ic.VIPs), Present: present})
	}
	s.SyncGroup = r.groupOf(in)
	sc := r.socketCounters(keyOf(ic))
	s.Counters = stats.VRRPCounters{
		AdvertsReceived:      int64(st.AdvertsReceived),
		AdvertsSent:          int64(st.AdvertsSent),
		BecomeMaster:         n.becomeMaster,
		ReleaseMaster:        n.release,
		PacketLengthErrors:   int64(sc.BadLength),
		AdvertIntervalErrors: n.interval,
		IPTTLErrors:          int64(sc.BadTTL) + n.ttl,
		InvalidTypeReceived:  int64(sc.BadType),
		AddressListErrors:    n.addrList,
		AuthTypeMismatch:     n.authType,
		AuthFailure:          n.authFail,
		PriorityZeroReceived: n.prioZeroRcvd,
		PriorityZeroSent:     n.prioZeroSent,
		VersionErrors:        n.version + int64(sc.BadVersion),
		ChecksumErrors:       int64(sc.BadChecksum),
		OtherInterface:       int64(sc.OtherInterface),
		SendErrors:           int64(st.SendErrors),
	}
	return s
}
