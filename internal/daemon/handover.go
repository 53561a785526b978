package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/ctl"
	"github.com/halo-lb/halo/internal/vrrpd"
)

// The Daemon hands its VIPs over for `halo handover`.
var _ ctl.Handoverer = (*Daemon)(nil)

// defaultStopDrain bounds, without `hard-stop-after`, how long a stopping
// master that handed its VIPs over keeps serving its open connections
// (systemd's own stop timeout is 90 s).
const defaultStopDrain = 30 * time.Second

// handoverState is the handover running or last run.
type handoverState struct {
	mu sync.Mutex
	st ctl.HandoverStatus
}

// waitIdle is the routers' Drainer: it returns when no client connection
// is open, or with the number still open when ctx ends.
func (d *Daemon) waitIdle(ctx context.Context) int {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		n := 0
		if pp, err := d.proxyOf(); err == nil {
			n = int(pp.proxy.OpenSessions())
		}
		if n == 0 {
			return 0
		}
		select {
		case <-ctx.Done():
			return n
		case <-t.C:
		}
	}
}

// stopDrain is how long a stopping master drains after its handover.
func stopDrain(hardStopAfter time.Duration) time.Duration {
	if hardStopAfter > 0 {
		return hardStopAfter
	}
	return defaultStopDrain
}

// StartHandover moves the VIPs to a peer, and withdraws the BGP routes
// gracefully, in the background; `show handover` follows it.
func (d *Daemon) StartHandover(timeout time.Duration) error {
	d.mu.Lock()
	r, b := d.router, d.bgp
	d.mu.Unlock()
	hasVRRP := r != nil && r.HasInstances()
	if !hasVRRP && b == nil {
		return vrrpd.ErrNoInstance
	}
	if timeout > vrrpd.HandoffWindow {
		return fmt.Errorf("timeout %v is longer than the flow hand-off window (%v)", timeout, vrrpd.HandoffWindow)
	}
	h := &d.handover
	h.mu.Lock()
	if h.st.Phase == ctl.HandoverRunning {
		h.mu.Unlock()
		return ctl.ErrHandoverRunning
	}
	h.st = ctl.HandoverStatus{Phase: ctl.HandoverRunning, Started: time.Now(), Maintenance: true}
	h.mu.Unlock()
	d.log.Info("handover requested", "timeout", timeout)
	progress := func(step string) {
		h.mu.Lock()
		h.st.Detail = step
		h.mu.Unlock()
		d.log.Info("handover: " + step)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var rep vrrpd.HandoverReport
		var err error
		if b != nil {
			progress("bgp: routes sent with GRACEFUL_SHUTDOWN; withdrawing after graceful_shutdown_delay")
			n := b.speaker.Maintenance(ctx)
			rep.Moved = append(rep.Moved, fmt.Sprintf("%d BGP route(s) off this node (withdrawn)", n))
		}
		if hasVRRP {
			var vr vrrpd.HandoverReport
			vr, err = r.Handover(context.Background(), timeout, progress)
			rep.Moved, rep.Open = append(rep.Moved, vr.Moved...), vr.Open
		} else {
			progress("routes withdrawn; draining open connections")
			if rep.Open = d.waitIdle(ctx); rep.Open > 0 {
				err = fmt.Errorf("%d connection(s) still open at the timeout (%v)", rep.Open, timeout)
			}
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.st.Moved, h.st.Open, h.st.Ended = rep.Moved, rep.Open, time.Now()
		if err != nil {
			h.st.Phase, h.st.Error = ctl.HandoverFailed, err.Error()
			d.log.Warn("handover failed", "err", err)
			return
		}
		h.st.Phase, h.st.Detail = ctl.HandoverDone, "idle: safe to reboot"
		d.log.Info("handover done: idle, safe to reboot", "moved", rep.Moved)
	}()
	return nil
}

// HandoverStatus reports the handover running or last run.
func (d *Daemon) HandoverStatus() ctl.HandoverStatus {
	h := &d.handover
	h.mu.Lock()
	st := h.st
	h.mu.Unlock()
	if st.Phase == "" {
		st.Phase = ctl.HandoverNone
	}
	d.mu.Lock()
	r, b := d.router, d.bgp
	d.mu.Unlock()
	st.Maintenance = r != nil && r.Maintenance() || b != nil && b.speaker.InMaintenance()
	if st.Phase != ctl.HandoverDone && st.Phase != ctl.HandoverFailed {
		if pp, err := d.proxyOf(); err == nil {
			st.Open = int(pp.proxy.OpenSessions())
		}
	}
	return st
}

// ResumeFromHandover ends maintenance.
func (d *Daemon) ResumeFromHandover() error {
	d.mu.Lock()
	r, b := d.router, d.bgp
	d.mu.Unlock()
	if r == nil && b == nil {
		return vrrpd.ErrNoInstance
	}
	h := &d.handover
	h.mu.Lock()
	running := h.st.Phase == ctl.HandoverRunning
	h.mu.Unlock()
	if running {
		return ctl.ErrHandoverRunning
	}
	if b != nil {
		b.speaker.Resume()
	}
	if r != nil {
		r.Resume()
	}
	d.log.Info("maintenance ended: advertising the configured priority again")
	return nil
}
