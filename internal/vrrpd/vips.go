package vrrpd

import (
	"context"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vip"
)

// vipHolder puts an instance's VIPs on the host while it is master and
// announces them with keepalived's gratuitous ARP / unsolicited NA
// pattern: a burst at once, a second after garp_master_delay, and one every
// garp_master_refresh.
type vipHolder struct {
	in *instance

	mu       sync.Mutex
	held     []vip.Address // what take added, so release removes the same
	virtual  routing       // the virtual_routes and virtual_rules take added
	announce context.CancelFunc
	wg       sync.WaitGroup // the announcing goroutine
	// hidden: held addresses no longer answer ARP (an old master draining,
	// see handoff.go); drainGen ends a pending drain when it changes.
	hidden   bool
	drainGen int
}

func newVIPHolder(in *instance) *vipHolder { return &vipHolder{in: in} }

// take adds every VIP and starts announcing them. Hidden VIPs (we were
// draining) answer ARP again.
func (h *vipHolder) take() { h.takeWith(true) }

// takeQuiet adds the VIPs without announcing them yet (see
// instance.awaitOldMaster); announceNow starts.
func (h *vipHolder) takeQuiet() { h.takeWith(false) }

func (h *vipHolder) announceNow() {
	ic, _, _ := h.in.config()
	if held := h.holding(); len(held) > 0 {
		h.startAnnouncing(held, planOf(ic, h.in.r.global()))
	}
}

func (h *vipHolder) takeWith(announce bool) {
	h.unhide()
	ic, _, _ := h.in.config()
	addrs := vipAddresses(ic)
	env := h.in.r.env
	for _, a := range addrs {
		if err := env.Addresses.Add(a); err != nil {
			h.in.log.Error("adding VIP", "vip", a.Prefix, "err", err)
		}
	}
	virt := virtualRouting(ic)
	h.in.r.applyRouting(routing{}, virt, "virtual "+ic.Name)
	h.mu.Lock()
	h.held = addrs
	h.virtual = virt
	h.mu.Unlock()
	if announce {
		h.startAnnouncing(addrs, planOf(ic, h.in.r.global()))
	}
}

// release stops announcing and removes the VIPs.
func (h *vipHolder) release(why string) {
	h.stopAnnouncing()
	h.unhide()
	h.mu.Lock()
	addrs, virt := h.held, h.virtual
	h.held, h.virtual = nil, routing{}
	h.mu.Unlock()
	h.in.r.applyRouting(virt, routing{}, "virtual "+h.in.name)
	for _, a := range addrs {
		if err := h.in.r.env.Addresses.Delete(a); err != nil {
			h.in.log.Error("removing VIP", "vip", a.Prefix, "reason", why, "err", err)
		}
	}
}

// hide keeps the held VIPs on the host but stops answering ARP for them,
// so a new master owns them on the link while this node serves the
// connections it has. If hiding is impossible the VIPs are released: two
// nodes answering ARP would be worse than cut connections.
func (h *vipHolder) hide(why string) bool {
	h.stopAnnouncing()
	h.mu.Lock()
	addrs, hidden := h.held, h.hidden
	h.mu.Unlock()
	if hidden || len(addrs) == 0 {
		return hidden
	}
	for dev, list := range byDev(addrs) {
		if err := h.in.r.env.Handoff.Hide(h.in.handoffKey(dev), dev, list); err != nil {
			h.in.handoffError("hiding the VIPs of a draining master", err)
			h.release(why)
			return false
		}
	}
	h.mu.Lock()
	h.hidden = true
	h.mu.Unlock()
	h.in.log.Info("vips hidden while open connections drain", "reason", why)
	return true
}

// unhide ends hide (and any drain pending on it).
func (h *vipHolder) unhide() {
	h.mu.Lock()
	addrs, hidden := h.held, h.hidden
	h.hidden = false
	h.drainGen++
	h.mu.Unlock()
	if !hidden {
		return
	}
	for dev, list := range byDev(addrs) {
		if err := h.in.r.env.Handoff.Unhide(h.in.handoffKey(dev), dev, list); err != nil {
			h.in.handoffError("unhiding VIPs", err)
		}
	}
}

// releaseHidden releases the VIPs if they are still hidden (no new
// mastership took them back meanwhile).
func (h *vipHolder) releaseHidden(why string) {
	h.mu.Lock()
	hidden := h.hidden
	h.mu.Unlock()
	if hidden {
		h.release(why)
	}
}

// hideAndDrain hides the VIPs and releases them once the node's
// connections have ended, at most limit later; becoming master again
// first keeps them.
func (h *vipHolder) hideAndDrain(limit time.Duration, why string) {
	if !h.hide(why) {
		return
	}
	h.mu.Lock()
	gen := h.drainGen
	h.mu.Unlock()
	go func() {
		ctx, cancel := context.WithCancel(h.in.r.ctx)
		defer cancel()
		go func() { // a take or release ends the wait
			for ctx.Err() == nil {
				h.mu.Lock()
				same := h.drainGen == gen
				h.mu.Unlock()
				if !same {
					cancel()
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		open := h.in.r.drain(ctx, limit)
		h.mu.Lock()
		same := h.drainGen == gen
		h.mu.Unlock()
		if same {
			h.in.log.Info("drained; removing the hidden VIPs", "reason", why, "still_open", open)
			h.releaseHidden(why)
		}
	}()
}

// cleanup removes the configured VIPs if they are present: a crash may
// have left them, and keepalived removes them at start too.
func (h *vipHolder) cleanup(ic *keepalived.Instance) {
	for _, a := range vipAddresses(ic) {
		if has, err := h.in.r.env.Addresses.Has(a); err == nil && has {
			if err := h.in.r.env.Addresses.Delete(a); err != nil {
				h.in.log.Warn("removing a stale VIP", "vip", a.Prefix, "err", err)
			}
		}
	}
}

// update applies a reload's new VIP list while master: new addresses are
// added and announced, dropped ones removed. Not master: nothing to do.
func (h *vipHolder) update(ic *keepalived.Instance, g keepalived.GlobalDefs) {
	h.mu.Lock()
	if h.held == nil {
		h.mu.Unlock()
		return
	}
	old := h.held
	h.mu.Unlock()
	next := vipAddresses(ic)
	var added []vip.Address
	for _, a := range next {
		if !containsAddr(old, a) {
			if err := h.in.r.env.Addresses.Add(a); err != nil {
				h.in.log.Error("adding VIP", "vip", a.Prefix, "err", err)
			}
			added = append(added, a)
		}
	}
	for _, a := range old {
		if !containsAddr(next, a) {
			if err := h.in.r.env.Addresses.Delete(a); err != nil {
				h.in.log.Error("removing VIP", "vip", a.Prefix, "reason", "reload", "err", err)
			}
		}
	}
	h.mu.Lock()
	h.held = next
	oldVirt := h.virtual
	h.virtual = virtualRouting(ic)
	newVirt := h.virtual
	h.mu.Unlock()
	h.in.r.applyRouting(oldVirt, newVirt, "virtual "+ic.Name)
	if len(added) > 0 {
		p := planOf(ic, g)
		ctx := h.in.r.ctx
		for _, a := range added {
			if err := h.in.r.env.Announcer.Announce(ctx, a, p.repeat, p.gap); err != nil && ctx.Err() == nil {
				h.in.log.Warn("announcing VIP", "vip", a.Prefix, "err", err)
			}
		}
	}
}

// holding reports whether the VIPs are on the host (as far as we put them).
func (h *vipHolder) holding() []vip.Address {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]vip.Address(nil), h.held...)
}

func containsAddr(list []vip.Address, a vip.Address) bool {
	for _, b := range list {
		if b.Prefix == a.Prefix && b.Dev == a.Dev {
			return true
		}
	}
	return false
}

func (h *vipHolder) startAnnouncing(addrs []vip.Address, p announcePlan) {
	h.stopAnnouncing()
	ctx, cancel := context.WithCancel(h.in.r.ctx)
	h.mu.Lock()
	h.announce = cancel
	h.mu.Unlock()
	burst := func(count int) {
		for _, a := range addrs {
			if err := h.in.r.env.Announcer.Announce(ctx, a, count, p.gap); err != nil && ctx.Err() == nil {
				h.in.log.Warn("announcing VIP", "vip", a.Prefix, "err", err)
			}
		}
	}
	h.wg.Go(func() {
		burst(p.repeat)
		if p.delay > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(p.delay):
				burst(p.repeat)
			}
		}
		if p.refresh <= 0 {
			return
		}
		t := time.NewTicker(p.refresh)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				burst(p.refreshRepeat)
			}
		}
	})
}

func (h *vipHolder) stopAnnouncing() {
	h.mu.Lock()
	cancel := h.announce
	h.announce = nil
	h.mu.Unlock()
	if cancel != nil {
		cancel()
		h.wg.Wait()
	}
}
