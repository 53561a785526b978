package vrrpd

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/halo-lb/halo/internal/vrouter"
)

// A master change between two live routers is make-before-break, flows
// included (see vip.Handoff for the kernel side):
//
//   - the old master keeps its VIPs until the new master's first advert,
//     then hides them (no ARP answers) and serves the connections it has
//     until they end, bounded;
//   - the new master, taking over from a live master (it resigned with
//     priority 0, or we preempted it), passes the packets of TCP flows it
//     did not accept on to the old master for handoffWindow.
//
// The same path serves `halo handover` (maintenance), SIGTERM and a
// preemption by a returning master. A master that went silent gets no
// forwarded packets: its flows are gone with it.

// handoffWindow bounds how long a new master forwards the old master's
// flows and how long a master that stepped down keeps hidden VIPs for
// them. `halo handover --timeout` is capped to it.
const handoffWindow = 10 * time.Minute

// HandoffWindow is handoffWindow, for the command line's cap.
const HandoffWindow = handoffWindow

// Drainer blocks until the node has no client connection open or ctx
// ends, and returns how many are still open. The daemon gives the proxy's.
type Drainer func(ctx context.Context) (open int)

// SetDrainer sets how the router waits for the node's connections to end
// before it removes hidden VIPs, and the bound of that wait at stop.
func (r *Router) SetDrainer(d Drainer, stopLimit time.Duration) {
	r.mu.Lock()
	r.drainer, r.stopDrain = d, stopLimit
	r.mu.Unlock()
}

// drain waits for the node's connections to end, at most limit.
func (r *Router) drain(ctx context.Context, limit time.Duration) int {
	r.mu.RLock()
	d := r.drainer
	r.mu.RUnlock()
	if d == nil || limit <= 0 {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return d(ctx)
}

// handoffKey names an instance's hand-off state on one device.
func (in *instance) handoffKey(dev string) string { return in.name + "_" + dev }

// byDev groups VIP addresses by the interface carrying them.
func byDev(addrs []vip.Address) map[string][]netip.Addr {
	out := map[string][]netip.Addr{}
	for _, a := range addrs {
		out[a.Dev] = append(out[a.Dev], a.Prefix.Addr())
	}
	return out
}

// forwardTo starts passing the flows this node did not accept to peer,
// for handoffWindow. An invalid peer only tracks this node's own flows
// (see awaitOldMaster). A tracking table becomes a forwarding one in one
// nftables transaction, so no flow goes untracked in between.
func (in *instance) forwardTo(peer netip.Addr) {
	ic, _, _ := in.config()
	in.mu.Lock()
	in.fwdGen++
	gen, old := in.fwdGen, in.fwdTimer
	in.fwdTimer = nil
	in.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	var keys []string
	for dev, addrs := range byDev(vipAddresses(ic)) {
		k := in.handoffKey(dev)
		// The copies leave by the advert interface, not dev: a use_vmac
		// macvlan has no route to the peer, and the kernel would then
		// resolve the VIP itself as the next hop and lose them.
		if err := in.r.env.Handoff.Forward(k, dev, ic.Interface, addrs, peer); err != nil {
			in.handoffError("forwarding the old master's flows", err)
			if ce := (*vip.ConntrackError)(nil); !errors.As(err, &ce) {
				continue
			}
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return
	}
	window := handoffWindow
	if peer.IsValid() {
		in.log.Info("handoff: passing flows this node did not accept to the old master", "peer", peer, "for", handoffWindow)
	} else {
		window = awaitWindow(ic)
	}
	in.mu.Lock()
	in.fwdKeys = keys
	in.fwdTimer = time.AfterFunc(window, func() {
		in.mu.Lock()
		same := in.fwdGen == gen
		awaiting := in.awaitOld
		in.awaitOld = false
		in.mu.Unlock()
		if !same {
			return
		}
		in.stopForward()
		if awaiting { // nobody answered: announce as any new master does
			in.log.Info("handoff: no old master answered; announcing the VIPs", "waited", window)
			in.vips.announceNow()
		}
	})
	in.mu.Unlock()
}

// awaitWindow is how long a node that starts as MASTER waits for an old
// master's answer before it announces its VIPs anyway: the answer (its
// higher_prio_send_advert) comes within milliseconds; one advert interval
// also covers a peer that sends its regular advert instead.
func awaitWindow(ic *keepalived.Instance) time.Duration {
	return ic.AdvertInt + 100*time.Millisecond
}

// awaitOldMaster is the start of a node configured `state MASTER`: it takes
// the VIPs at once without knowing whether another master holds them. If
// one does, its flows must not meet RSTs here, so the VIPs are added but
// not announced (clients keep reaching the old master), and conntrack
// learns this node's own flows from their SYNs, until the old master
// answers (oldMasterHeard) or awaitWindow passes.
func (in *instance) awaitOldMaster() {
	in.mu.Lock()
	in.awaitOld = true
	ic := in.cfg
	in.mu.Unlock()
	in.log.Info("handoff: started as MASTER; VIPs added, announced once an old master answers", "at_most", awaitWindow(ic))
	in.forwardTo(netip.Addr{})
}

// oldMasterHeard ends awaitOldMaster when a lower-priority master speaks
// (the state machine's Reannounce, on the instance's loop, so it is never
// ahead of the transition to MASTER): its flows are passed to it, then the
// VIPs are announced. It reports whether it did.
func (in *instance) oldMasterHeard(priority uint8, src netip.Addr) bool {
	in.mu.Lock()
	waiting := in.awaitOld && priority > 0 && priority < in.router.Status().Priority
	if waiting {
		in.awaitOld = false
	}
	in.mu.Unlock()
	if !waiting {
		return false
	}
	in.log.Info("handoff: the old master answered", "peer", src)
	in.forwardTo(src)
	in.vips.announceNow()
	return true
}

// stopForward ends forwardTo.
func (in *instance) stopForward() {
	in.mu.Lock()
	keys, t := in.fwdKeys, in.fwdTimer
	in.fwdKeys, in.fwdTimer = nil, nil
	in.awaitOld = false
	in.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	for _, k := range keys {
		if err := in.r.env.Handoff.StopForward(k); err != nil {
			in.handoffError("ending the flow hand-off", err)
		}
	}
}

// handoffError logs a hand-off failure, loudly the first time only: a host
// without nftables keeps failing the same way.
func (in *instance) handoffError(what string, err error) {
	if in.r.handoffFailed.CompareAndSwap(false, true) {
		in.log.Error(what+": connections may be cut on a master change", "err", err)
		return
	}
	in.log.Debug(what, "err", err)
}

// watchPeer arms the wait for another router to take over.
func (in *instance) watchPeer() chan struct{} {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.peerTook = make(chan struct{})
	in.peerAddr = netip.Addr{}
	return in.peerTook
}

// notePeer ends watchPeer when another router advertises a real priority.
func (in *instance) notePeer(priority uint8, src netip.Addr) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.peerTook == nil || priority == 0 {
		return
	}
	in.peerAddr = src
	close(in.peerTook)
	in.peerTook = nil
}

// HandoverReport is what a planned handover did.
type HandoverReport struct {
	Moved []string // "INSTANCE to ADDR" for each instance that was master
	Open  int      // client connections still open when it ended
}

// HasInstances reports whether the configuration has a vrrp_instance.
func (r *Router) HasInstances() bool { return len(r.instanceList()) > 0 }

// ErrNoInstance: a handover on a node without VRRP instances.
var ErrNoInstance = errors.New("no vrrp instance to hand over")

// Handover puts every instance in maintenance (priority 1; see
// vrouter.Machine.SetMaintenance): each master resigns and keeps its VIPs
// until a peer's advert shows it took over, then hides them and the node
// serves its open connections until they end or timeout passes; then the
// VIPs are removed. progress hears each phase. It fails when a master's
// peer did not take over (the node then stays master, in maintenance) or
// when connections are still open at the timeout. The node stays in
// maintenance until Resume.
func (r *Router) Handover(ctx context.Context, timeout time.Duration, progress func(string)) (HandoverReport, error) {
	var rep HandoverReport
	ins := r.instanceList()
	if len(ins) == 0 {
		return rep, ErrNoInstance
	}
	r.mu.Lock()
	r.maint = true
	r.mu.Unlock()
	type wait struct {
		in   *instance
		took chan struct{}
	}
	var waits []wait
	for _, in := range ins {
		if in.router.Status().State == vrouter.Master {
			waits = append(waits, wait{in, in.watchPeer()})
		}
		in.router.SetMaintenance(true)
	}
	progress(fmt.Sprintf("resigned %d master instance(s); waiting for the peer to take over", len(waits)))
	var failed []string
	var moved []*instance
	for _, w := range waits {
		ic, _, _ := w.in.config()
		limit := handoverLimit(ic)
		select {
		case <-w.took:
			w.in.mu.Lock()
			peer := w.in.peerAddr
			w.in.mu.Unlock()
			rep.Moved = append(rep.Moved, fmt.Sprintf("%s to %s", w.in.name, peer))
			moved = append(moved, w.in)
		case <-time.After(limit):
			why := fmt.Sprintf("%s: no peer took over within %v", w.in.name, limit)
			if w.in.lastHeard().IsZero() {
				why += " (no advert from another router heard since start)"
			}
			failed = append(failed, why)
		case <-ctx.Done():
			return rep, ctx.Err()
		}
	}
	for _, in := range moved {
		in.vips.hide("handover")
	}
	if len(failed) > 0 {
		return rep, fmt.Errorf("peer did not take over: %s; the node stays in maintenance and keeps serving", strings.Join(failed, "; "))
	}
	progress("peer holds the VIPs; draining open connections")
	rep.Open = r.drain(ctx, timeout)
	for _, in := range moved {
		in.vips.releaseHidden("handover")
	}
	if rep.Open > 0 {
		return rep, fmt.Errorf("%d connection(s) still open at the timeout (%v)", rep.Open, timeout)
	}
	return rep, nil
}

// Resume ends maintenance: each instance advertises its own priority again
// and preempts by the usual rules.
func (r *Router) Resume() {
	r.mu.Lock()
	r.maint = false
	r.mu.Unlock()
	for _, in := range r.instanceList() {
		in.router.SetMaintenance(false)
	}
}

// Maintenance reports whether the node is in maintenance.
func (r *Router) Maintenance() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.maint
}

func (in *instance) lastHeard() time.Time {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.lastAdvert
}
