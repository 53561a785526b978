package vrrpd

import (
	"context"
	"time"
)

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
	h, ic := in.handover, in.cfg
	in.mu.Unlock()
	if h == nil {
		return
	}
	limit := handoverLimit(ic)
	start := time.Now()
	select {
	case <-h:
		in.log.Info("handover: a backup took over", "reason", "shutdown", "after", time.Since(start).Round(time.Millisecond))
		// Serve the connections we have while the new master passes
		// their packets to us (see handoff.go), then let go.
		if in.vips.hide("shutdown") {
			in.r.mu.RLock()
			limit := in.r.stopDrain
			in.r.mu.RUnlock()
			if open := in.r.drain(context.Background(), limit); open > 0 {
				in.log.Warn("handover: connections still open at the stop bound", "open", open, "bound", limit)
			}
		}
	case <-time.After(limit):
		in.log.Warn("handover: no backup took over; releasing the VIPs", "reason", "shutdown", "waited", limit)
	}
	in.vips.release("shutdown")
	in.mu.Lock()
	in.handover = nil
	in.mu.Unlock()
}
