package vrrpd

import (
	"github.com/halo-lb/halo/internal/config/keepalived"
)

// Split-brain heal (issue 7): a master that hears a lower-priority master
// announces its VIPs again at once, with keepalived's garp_lower_prio_*
// plan, because during the split the clients may have learnt the other
// node's MAC for them.

// Reannounce implements vrouter.Reannouncer. It runs on the instance's
// loop: the bursts run on the holder's announcing goroutine.
func (in *instance) Reannounce() {
	in.mu.Lock()
	from, prio := in.lastFrom, in.lastFromPrio
	in.mu.Unlock()
	if in.oldMasterHeard(prio, from) {
		return // announced, after the old master's flows were taken care of
	}
	ic, _, _ := in.config()
	in.vips.reannounce(lowerPrioPlan(ic, in.r.global()))
}

// lowerPrioPlan is the announcing plan after a lower-priority advert: a
// burst of garp_lower_prio_repeat, a second after garp_lower_prio_delay,
// and the master's periodic refresh kept as it was.
func lowerPrioPlan(ic *keepalived.Instance, g keepalived.GlobalDefs) announcePlan {
	p := planOf(ic, g)
	p.repeat, p.delay = ic.GarpLowerPrioRepeat, ic.GarpLowerPrioDelay
	return p
}

// reannounce restarts announcing the held VIPs with plan p. Not holding
// any, or a repeat of 0 (re-announcing turned off): nothing to do.
func (h *vipHolder) reannounce(p announcePlan) {
	held := h.holding()
	if len(held) == 0 || p.repeat <= 0 {
		return
	}
	h.startAnnouncing(held, p)
}
