package vrrpd

import (
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/track"
	"github.com/halo-lb/halo/internal/vrouter"
	"github.com/halo-lb/halo/internal/vrrp"
)

// instance wires one vrrp_instance: its state machine, its share of a
// socket, its VIPs and the tracked objects that set its priority.
type instance struct {
	r        *Router
	name     string
	log      *slog.Logger
	router   *vrouter.Instance
	tracks   *track.Set // replaced whole by a reload, under mu
	vips     *vipHolder
	stop     func()        // cancels the instance's loop
	done     chan struct{} // closed when the loop and its handover are over
	loopDone chan struct{} // closed when the loop returned

	mu      sync.Mutex
	cfg     *keepalived.Instance // replaced by a reload (same VRID, interface, version)
	pass    [8]byte
	conn    Conn          // nil while the interface is missing
	primary netip.Addr    // our address: advert source and tie-break
	state   vrouter.State // the machine's, from a transition's start (sync groups)
	// What status reports: set once a transition's work (VIPs, hand-off)
	// is done, so that "MASTER" means the VIPs are in place.
	shown      vrouter.State
	since      time.Time
	reason     string
	groupFault string
	ownFault   string
	lastAdvert time.Time
	handover   chan struct{} // non-nil after a master's shutdown; closed when a new master speaks
	n          instanceCounters

	// Flow hand-off (handoff.go): forwarding to the old master, and the
	// wait of a planned handover for the peer's advert.
	fwdGen   int
	fwdKeys  []string
	fwdTimer *time.Timer
	peerTook chan struct{}
	peerAddr netip.Addr
	awaitOld bool // started MASTER, VIPs not announced yet (awaitOldMaster)
	// The last advert handed to the state machine, for Reannounce: the
	// lower-priority master it answers.
	lastFrom     netip.Addr
	lastFromPrio uint8
}

// instanceCounters are the drops and events counted by the instance (the
// socket counts the rest, see Conn.Counters).
type instanceCounters struct {
	version, authType, authFail, interval, addrList   int64
	prioZeroRcvd, prioZeroSent, becomeMaster, release int64
	ttl                                               int64 // unicast TTL outside the peer's range, or not a peer
}

func (r *Router) newInstance(ic *keepalived.Instance) *instance {
	in := &instance{
		r:    r,
		name: ic.Name,
		cfg:  ic,
		pass: vrrp.PassKey(ic.AuthPass),
		log:  r.log.With("instance", ic.Name, "vrid", ic.VRID, "iface", ic.Interface),
		done: make(chan struct{}),
	}
	in.vips = newVIPHolder(in)
	in.setTracks(ic)
	in.router = vrouter.NewInstance(ic.Name, machineConfig(ic, netip.Addr{}), in, nil, in.log, in.onTransition)
	if r.maint { // added by a reload while the node is in maintenance
		in.router.SetMaintenance(true)
	}
	return in
}

// setTracks (re)builds the tracked set from ic, keeping the verdicts the
// router already knows. Called with r.mu held, or before the router is
// shared.
func (in *instance) setTracks(ic *keepalived.Instance) {
	s := &track.Set{}
	add := func(k track.Key, rule keepalived.Track) {
		s.Add(k, rule, in.r.verdicts[k])
	}
	// keepalived tracks the instance's own interface with weight 0: link
	// down (or missing) means FAULT.
	add(track.Key{Kind: track.KindInterface, Name: ic.Interface}, keepalived.Track{Name: ic.Interface})
	for _, ts := range ic.TrackScripts {
		t := ts.Track
		t.Reverse = t.Reverse || (ts.Script != nil && ts.Script.WeightReverse)
		add(track.Key{Kind: track.KindScript, Name: ts.Name}, t)
	}
	for _, ti := range ic.TrackInterfaces {
		add(track.Key{Kind: track.KindInterface, Name: ti.Name}, ti)
	}
	for _, tb := range ic.TrackBackends {
		add(track.Key{Kind: track.KindBackend, Name: tb.Name}, tb)
	}
	in.mu.Lock()
	in.tracks = s
	in.mu.Unlock()
}

func (in *instance) config() (*keepalived.Instance, [8]byte, Conn) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cfg, in.pass, in.conn
}

// SendAdvert implements vrouter.Sender: one advertisement to the group or
// to every unicast peer.
func (in *instance) SendAdvert(priority uint8) error {
	ic, pass, c := in.config()
	if c == nil {
		return errors.New("no socket: the interface is missing")
	}
	if priority == 0 {
		in.count(func(n *instanceCounters) { n.prioZeroSent++ })
	}
	p := advert(ic, pass, priority)
	var first error
	for _, dst := range destinations(ic, in.r.global()) {
		if err := c.WriteTo(p, dst, ic.V3PseudoHeader); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (in *instance) count(f func(*instanceCounters)) {
	in.mu.Lock()
	f(&in.n)
	in.mu.Unlock()
}

// receive applies the checks that belong to the instance rather than the
// socket (version, authentication, interval) and hands the advert on.
func (in *instance) receive(rc vrrp.Received) {
	ic, pass, _ := in.config()
	p := rc.Packet
	switch {
	case ttlVerdict(ic, rc) != "": // RFC 5798 section 7.1 checks the TTL first
		in.drop(func(n *instanceCounters) { n.ttl++ }, ttlVerdict(ic, rc), rc)
		return
	case int(p.Version) != ic.Version:
		in.drop(func(n *instanceCounters) { n.version++ }, "version mismatch", rc)
		return
	case ic.Version == 2 && p.AuthType != authType(ic):
		in.drop(func(n *instanceCounters) { n.authType++ }, "authentication type mismatch", rc)
		return
	case ic.Version == 2 && !p.CheckAuth(authType(ic), pass):
		in.drop(func(n *instanceCounters) { n.authFail++ }, "authentication failure", rc)
		return
	case ic.Version == 2 && advertInterval(p) != ic.AdvertInt:
		// RFC 3768 section 7.1: a v2 router must drop adverts whose interval differs.
		in.drop(func(n *instanceCounters) { n.interval++ }, "advert_int mismatch", rc)
		return
	}
	in.mu.Lock()
	own := rc.Src == in.primary
	if !own {
		in.lastAdvert = in.r.env.Now()
		if p.Priority == 0 {
			in.n.prioZeroRcvd++
		}
		if !sameAddresses(p.Addresses, ic.VIPs) {
			in.n.addrList++ // keepalived logs and counts this, and still accepts the advert
		}
	}
	in.mu.Unlock()
	if own {
		return // our own advert looped back
	}
	in.notePeer(p.Priority, rc.Src)
	in.mu.Lock()
	in.lastFrom, in.lastFromPrio = rc.Src, p.Priority
	in.mu.Unlock()
	if in.newMasterHeard(p.Priority) {
		return
	}
	in.router.Deliver(vrouter.Advert{Src: rc.Src, Priority: p.Priority, MaxAdvertInterval: advertInterval(p)})
}

func (in *instance) drop(f func(*instanceCounters), reason string, rc vrrp.Received) {
	in.count(f)
	in.log.Debug("advert dropped", "reason", reason, "src", rc.Src)
}

func sameAddresses(got []netip.Addr, want []keepalived.VIP) bool {
	if len(got) != len(want) {
		return false
	}
	for i, a := range want {
		if got[i] != a.Prefix.Addr() {
			return false
		}
	}
	return true
}

// onTransition runs on the instance's loop. The VIPs follow the state
// strictly (added on entering MASTER, removed on leaving it) before the
// listeners hear of it.
func (in *instance) onTransition(t vrouter.Transition) {
	in.mu.Lock()
	in.state = t.To
	ic := in.cfg
	switch {
	case t.To == vrouter.Master:
		in.n.becomeMaster++
	case t.From == vrouter.Master:
		in.n.release++
	}
	in.mu.Unlock()
	if t.From == vrouter.Master {
		in.stopForward()
	}
	switch {
	case t.To == vrouter.Master:
		switch {
		case t.Peer.IsValid():
			// Before the VIPs arrive: every flow accepted here from now
			// on is known to conntrack from its SYN (see handoff.go).
			in.forwardTo(t.Peer)
			in.vips.take()
		case t.Reason == vrouter.ReasonInitialMaster:
			in.awaitOldMaster()
			in.vips.takeQuiet()
		default:
			in.vips.take()
		}
	case t.From == vrouter.Master && t.Reason == vrouter.ReasonShutdown:
		// A planned stop: the priority-0 advert is out; keep the VIPs (and
		// the proxy serving) until a backup has taken over. See handOver.
		in.mu.Lock()
		in.handover = make(chan struct{})
		in.mu.Unlock()
	case t.From == vrouter.Master && t.Reason == vrouter.ReasonMaintenance:
		// Router.Handover keeps the VIPs until the peer speaks, then
		// hides and drains them; no more announcements meanwhile.
		in.vips.stopAnnouncing()
	case t.From == vrouter.Master && t.Peer.IsValid():
		// A higher-priority master took over (a preemption, or the end
		// of a split brain): it passes our flows back to us while they
		// last.
		in.vips.hideAndDrain(handoffWindow, "stepped down to "+t.Peer.String())
	case t.From == vrouter.Master:
		in.vips.release(t.To.String())
	}
	in.mu.Lock()
	in.shown, in.since, in.reason = t.To, t.At, t.Reason.String()
	if t.Detail != "" {
		in.reason += ": " + t.Detail
	}
	in.mu.Unlock()
	in.r.publish(Event{
		Instance: ic.Name, VRID: ic.VRID, Interface: ic.Interface,
		From: t.From, To: t.To, Reason: t.Reason, Detail: t.Detail,
		Priority: in.router.Status().Priority, At: t.At,
	})
	in.r.groupsChanged()
}

// apply recomputes the priority and FAULT from the tracked objects and the
// sync group, and pushes them into the state machine.
func (in *instance) apply() {
	in.mu.Lock()
	ic, s := in.cfg, in.tracks
	in.mu.Unlock()
	res := s.Result()
	in.mu.Lock()
	in.ownFault = res.Fault
	groupFault := in.groupFault
	in.mu.Unlock()
	in.router.SetPriority(ic.EffectivePriority(res.Delta))
	switch {
	case res.Fault != "":
		in.router.SetFault(true, res.Fault)
	case groupFault != "":
		in.router.SetFault(true, groupFault)
	default:
		in.router.SetFault(false, "")
	}
}

// setVerdict records a tracker's verdict if the instance tracks it.
func (in *instance) setVerdict(k track.Key, up bool) {
	in.mu.Lock()
	s := in.tracks
	in.mu.Unlock()
	changed := s.Update(k, up)
	if changed {
		in.apply()
	}
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

func (in *instance) faulted() (string, vrouter.State) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.ownFault, in.state
}
