package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/halo-lb/halo/internal/vrouter"
	"github.com/halo-lb/halo/internal/vrrp"
)

// instance wires one vrrp_instance: its state machine, its socket, its
// VIPs, and the tracked objects that set its priority.
type instance struct {
	v       *vrrpPart
	cfg     *keepalived.Instance
	log     *slog.Logger
	conn    *vrrp.Conn
	router  *vrouter.Instance
	pass    [8]byte
	primary netip.Addr // our source address, also the tie-break
	group   *syncGroup

	mu          sync.Mutex
	tracked     map[string]*tracked // by "kind/name"
	ownFault    string              // tracked object forcing FAULT, "" = none
	groupFault  string              // set by the sync group
	state       vrouter.State
	announceEnd context.CancelFunc
	handover    chan struct{} // non-nil after a Master's shutdown; closed when a new master speaks

	// drops counts adverts for this VRID refused by instance-level checks.
	drops struct{ auth, version, interval uint64 }
}

func newInstance(v *vrrpPart, ic *keepalived.Instance) (*instance, error) {
	c, k, err := v.conn(ic)
	if err != nil {
		return nil, err
	}
	if other := v.byConn[k][ic.VRID]; other != nil {
		return nil, fmt.Errorf("vrrp_instance %s and %s share virtual_router_id %d on %s", other.cfg.Name, ic.Name, ic.VRID, ic.Interface)
	}
	in := &instance{
		v: v, cfg: ic, conn: c,
		log:     v.log.With("instance", ic.Name, "vrid", ic.VRID, "iface", ic.Interface),
		pass:    vrrp.PassKey(ic.AuthPass),
		tracked: map[string]*tracked{},
		primary: primaryAddr(ic, c),
	}
	for _, ts := range ic.TrackScripts {
		t := ts.Track
		t.Reverse = t.Reverse || (ts.Script != nil && ts.Script.WeightReverse)
		in.tracked["script/"+ts.Name] = &tracked{what: "script " + ts.Name, rule: t}
	}
	// keepalived tracks the instance's own interface with weight 0: link
	// down means FAULT.
	in.tracked["iface/"+ic.Interface] = &tracked{what: "interface " + ic.Interface, rule: keepalived.Track{Name: ic.Interface}, good: true}
	for _, ti := range ic.TrackInterfaces {
		in.tracked["iface/"+ti.Name] = &tracked{what: "interface " + ti.Name, rule: ti, good: true}
	}
	for _, tb := range ic.TrackBackends {
		in.tracked["backend/"+tb.Name] = &tracked{what: "backend " + tb.Name, rule: tb}
	}
	mc := vrouter.Config{
		VRID:           ic.VRID,
		Version:        ic.Version,
		Priority:       ic.Priority,
		AdvertInterval: ic.AdvertInt,
		Preempt:        !ic.NoPreempt,
		PreemptDelay:   ic.PreemptDelay,
		InitialState:   vrouter.Backup,
		PrimaryIP:      in.primary,
	}
	if ic.InitialState == "MASTER" {
		mc.InitialState = vrouter.Master
	}
	in.router = vrouter.NewInstance(ic.Name, mc, in, nil, in.log, in.onTransition)
	v.byConn[k][ic.VRID] = in
	return in, nil
}

// SendAdvert implements vrouter.Sender: one advertisement to the group or
// to every unicast peer.
func (in *instance) SendAdvert(priority uint8) error {
	p := &vrrp.Packet{
		Version:  uint8(in.cfg.Version),
		Type:     vrrp.TypeAdvertisement,
		VRID:     in.cfg.VRID,
		Priority: priority,
	}
	for _, a := range in.cfg.VIPs {
		p.Addresses = append(p.Addresses, a.Prefix.Addr())
	}
	if in.cfg.Version == 2 {
		p.AdvertInt = uint8(in.cfg.AdvertInt / time.Second)
		if in.cfg.AuthType == "PASS" {
			p.AuthType, p.AuthData = vrrp.AuthPass, in.pass
		}
	} else {
		p.MaxAdvertInt = uint16(in.cfg.AdvertInt / (10 * time.Millisecond))
	}
	pseudo := in.cfg.V3PseudoHeader
	if len(in.cfg.UnicastPeers) == 0 {
		group := vrrp.GroupIPv4
		if in.cfg.Family() == 6 {
			group = vrrp.GroupIPv6
		}
		// vrrp_mcast_group4/6 are accepted by the parser, but the socket
		// joins the RFC groups only; a custom group is sent to the RFC one.
		return in.conn.WriteTo(p, group, pseudo)
	}
	var first error
	for _, peer := range in.cfg.UnicastPeers {
		if err := in.conn.WriteTo(p, peer, pseudo); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// receive applies the checks that belong to the instance rather than the
// socket (version, authentication, interval) and hands the advert on.
func (in *instance) receive(r vrrp.Received) {
	p := r.Packet
	switch {
	case int(p.Version) != in.cfg.Version:
		in.countDrop(&in.drops.version, "version mismatch", r)
		return
	case in.cfg.Version == 2 && !p.CheckAuth(in.authType(), in.pass):
		in.countDrop(&in.drops.auth, "authentication mismatch", r)
		return
	case in.cfg.Version == 2 && time.Duration(p.AdvertInt)*time.Second != in.cfg.AdvertInt:
		// RFC 3768 section 7.1: a v2 router must drop adverts whose interval differs.
		in.countDrop(&in.drops.interval, "advert_int mismatch", r)
		return
	}
	if r.Src == in.primary {
		return // our own advert looped back
	}
	if in.newMasterHeard(p.Priority) {
		return
	}
	interval := time.Duration(p.AdvertInt) * time.Second
	if p.Version == 3 {
		interval = time.Duration(p.MaxAdvertInt) * 10 * time.Millisecond
	}
	in.router.Deliver(vrouter.Advert{Src: r.Src, Priority: p.Priority, MaxAdvertInterval: interval})
}

func (in *instance) authType() uint8 {
	if in.cfg.AuthType == "PASS" {
		return vrrp.AuthPass
	}
	return vrrp.AuthNone
}

func (in *instance) countDrop(n *uint64, reason string, r vrrp.Received) {
	in.mu.Lock()
	*n++
	in.mu.Unlock()
	in.log.Debug("advert dropped", "reason", reason, "src", r.Src)
}

// onTransition is the one place where a state change touches the host:
// VIPs follow the state strictly (added on entering MASTER, removed on
// leaving it), then notify scripts are queued.
func (in *instance) onTransition(t vrouter.Transition) {
	in.mu.Lock()
	in.state = t.To
	in.mu.Unlock()
	switch {
	case t.To == vrouter.Master:
		in.takeVIPs()
	case t.From == vrouter.Master && t.Reason == vrouter.ReasonShutdown:
		// A planned stop: the priority-0 advert is out; keep the VIPs (and
		// the proxy serving) until a backup has taken over. See handOver.
		in.mu.Lock()
		in.handover = make(chan struct{})
		in.mu.Unlock()
	case t.From == vrouter.Master:
		in.stopAnnouncing()
		in.releaseVIPs(t.To.String())
	}
	prio := int(in.router.Status().Priority)
	n := in.cfg.Notify
	switch t.To {
	case vrouter.Master:
		in.v.notify.transition("INSTANCE", in.cfg.Name, "MASTER", prio, n.Master, n.Any)
	case vrouter.Backup:
		in.v.notify.transition("INSTANCE", in.cfg.Name, "BACKUP", prio, n.Backup, n.Any)
	case vrouter.Fault:
		in.v.notify.transition("INSTANCE", in.cfg.Name, "FAULT", prio, n.Fault, n.Any)
	case vrouter.Init:
		in.v.notify.transition("INSTANCE", in.cfg.Name, "STOP", prio, n.Stop, n.Any)
	}
	if in.group != nil {
		in.group.update()
	}
}

func (in *instance) allVIPs() []vip.Address {
	var out []vip.Address
	for _, list := range [][]keepalived.VIP{in.cfg.VIPs, in.cfg.ExcludedVIPs} {
		for _, a := range list {
			dev := a.Dev
			if dev == "" {
				dev = in.cfg.Interface
			}
			out = append(out, vip.Address{Prefix: a.Prefix, Dev: dev, Label: a.Label, Brd: a.Brd, Scope: a.Scope})
		}
	}
	return out
}

func (in *instance) takeVIPs() {
	addrs := in.allVIPs()
	for _, a := range addrs {
		if err := in.v.vips.Add(a); err != nil {
			in.log.Error("adding VIP", "vip", a.Prefix, "err", err)
		}
	}
	in.startAnnouncing(addrs)
}

func (in *instance) releaseVIPs(why string) {
	for _, a := range in.allVIPs() {
		if err := in.v.vips.Delete(a); err != nil {
			in.log.Error("removing VIP", "vip", a.Prefix, "reason", why, "err", err)
		}
	}
}

// startAnnouncing sends keepalived's gratuitous ARP / unsolicited NA pattern
// for the new master: a burst now, a second burst after garp_master_delay,
// and, if configured, a burst every garp_master_refresh.
func (in *instance) startAnnouncing(addrs []vip.Address) {
	ctx, cancel := context.WithCancel(context.Background())
	in.mu.Lock()
	if in.announceEnd != nil {
		in.announceEnd()
	}
	in.announceEnd = cancel
	in.mu.Unlock()
	g := in.v.cfg.Global
	repeat, delay, refresh := in.cfg.GarpMasterRepeat, in.cfg.GarpMasterDelay, in.cfg.GarpMasterRefresh
	refreshRepeat := max(in.cfg.GarpMasterRefreshRepeat, 1)
	gap := g.GarpInterval
	if in.cfg.Family() == 6 {
		gap = g.GNAInterval
	}
	burst := func(count int) {
		for _, a := range addrs {
			if err := in.v.vips.Announce(ctx, a, count, gap); err != nil && ctx.Err() == nil {
				in.log.Warn("announcing VIP", "vip", a.Prefix, "err", err)
			}
		}
	}
	go func() {
		burst(repeat)
		if delay > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
				burst(repeat)
			}
		}
		if refresh <= 0 {
			return
		}
		t := time.NewTicker(refresh)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				burst(refreshRepeat)
			}
		}
	}()
}

func (in *instance) stopAnnouncing() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.announceEnd != nil {
		in.announceEnd()
		in.announceEnd = nil
	}
}

// watchedLinks are the interfaces whose link state this instance tracks.
func (in *instance) watchedLinks() []string {
	out := []string{in.cfg.Interface}
	for _, ti := range in.cfg.TrackInterfaces {
		out = append(out, ti.Name)
	}
	return out
}

// tracked is one tracked object: its last verdict and keepalived's weight
// rule for it.
type tracked struct {
	what string // "script chk", "interface eth0", "backend web"
	rule keepalived.Track
	good bool
}

func (in *instance) trackedState(kind, name string) (good, ok bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	t, ok := in.tracked[kind+"/"+name]
	if !ok {
		return false, false
	}
	return t.good, true
}

// setTracked updates one tracked verdict and pushes the resulting priority
// or FAULT into the state machine.
func (in *instance) setTracked(kind, name string, good bool) {
	in.mu.Lock()
	t, ok := in.tracked[kind+"/"+name]
	if !ok {
		in.mu.Unlock()
		return
	}
	t.good = good
	in.mu.Unlock()
	in.apply()
}

func (in *instance) setGroupFault(reason string) {
	in.mu.Lock()
	changed := in.groupFault != reason
	in.groupFault = reason
	in.mu.Unlock()
	if changed {
		in.apply()
	}
}

func (in *instance) apply() {
	in.mu.Lock()
	delta, fault := 0, ""
	for _, t := range in.tracked {
		d, f := t.rule.Delta(t.good)
		delta += d
		if f && (fault == "" || t.what < fault) { // the same culprit every time
			fault = t.what
		}
	}
	prio := in.cfg.EffectivePriority(delta)
	in.ownFault = fault
	groupFault := in.groupFault
	in.mu.Unlock()
	in.router.SetPriority(prio)
	switch {
	case fault != "":
		in.router.SetFault(true, fault+" is down")
	case groupFault != "":
		in.router.SetFault(true, groupFault)
	default:
		in.router.SetFault(false, "")
	}
}

func (in *instance) faulted() (string, vrouter.State) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.ownFault, in.state
}

// newMasterHeard reports whether the instance is handing over after a
// shutdown; an advert with a real priority then means a backup is master
// now, which ends the handover.
func (in *instance) newMasterHeard(priority uint8) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.handover == nil {
		return false
	}
	if priority > 0 {
		select {
		case <-in.handover:
		default:
			close(in.handover)
		}
	}
	return true
}

// handOver finishes a planned stop of a master. RFC 5798 has the master
// release its addresses as it sends priority 0, which leaves the VIP with
// nobody for the backup's skew time (0.6 s at advert_int 1): every client
// of that window is lost. halo keeps the VIPs until the new master's first
// advert (it sends gratuitous ARP at the same moment), so clients move
// without a gap. If no backup speaks within the longest master-down
// interval a backup could have, the VIPs are released anyway.
func (in *instance) handOver() {
	in.mu.Lock()
	h := in.handover
	in.mu.Unlock()
	if h == nil {
		return
	}
	limit := 3*in.cfg.AdvertInt + time.Second
	start := time.Now()
	select {
	case <-h:
		in.log.Info("handover: a backup took over", "reason", "shutdown", "after", time.Since(start).Round(time.Millisecond))
	case <-time.After(limit):
		in.log.Warn("handover: no backup took over; releasing the VIPs", "reason", "shutdown", "waited", limit)
	}
	in.stopAnnouncing()
	in.releaseVIPs("shutdown")
}
