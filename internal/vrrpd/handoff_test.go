package vrrpd_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/vrrpd"
	"github.com/halo-lb/halo/internal/vrrpd/vrrpdtest"
)

// waitFor polls cond for up to within.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A planned handover: the master resigns, keeps its VIP until the backup
// speaks, then hides it while its connections drain (the backup passes it
// the flows it did not accept), removes it once idle, and stays in
// maintenance until Resume; resuming preempts the backup the same way.
func TestHandoverIsMakeBeforeBreakBothWays(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	a := newNode(t, bus, "a", "192.0.2.1", instanceConf("VI_1", 51, 150, ""))
	b := newNode(t, bus, "b", "192.0.2.2", instanceConf("VI_1", 51, 100, ""))
	var open atomic.Int64
	idle := func(ctx context.Context) int {
		for open.Load() > 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		return int(open.Load())
	}
	a.router.SetDrainer(idle, time.Second)
	b.router.SetDrainer(idle, time.Second)
	a.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	b.start()
	b.waitState("VI_1", "BACKUP", time.Second)

	open.Store(2) // two client connections on a
	type result struct {
		rep vrrpd.HandoverReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := a.router.Handover(context.Background(), 5*time.Second, func(string) {})
		done <- result{rep, err}
	}()
	b.waitState("VI_1", "MASTER", 2*time.Second)
	if got := b.vips.Handoff()["forward VI_1_eth0"]; !strings.Contains(got, "to 192.0.2.1") {
		t.Fatalf("new master forwards %q, want the old master's flows to 192.0.2.1", got)
	}
	waitFor(t, "a hides its VIP", time.Second, func() bool { return a.vips.Handoff()["hide VI_1_eth0"] != "" })
	if !a.holdsVIP(vip100) {
		t.Fatal("the old master dropped its VIP while connections were open")
	}
	open.Store(0)
	r := <-done
	if r.err != nil || len(r.rep.Moved) != 1 || r.rep.Moved[0] != "VI_1 to 192.0.2.2" {
		t.Fatalf("handover: %+v %v", r.rep, r.err)
	}
	if a.holdsVIP(vip100) || a.vips.Handoff()["hide VI_1_eth0"] != "" {
		t.Fatal("after the drain the old master still holds (or hides) the VIP")
	}
	in := a.instance("VI_1")
	if !in.Maintenance || in.EffectivePriority != 1 || in.State != "BACKUP" {
		t.Fatalf("after handover: %s at %d maintenance %v, want BACKUP at 1 in maintenance", in.State, in.EffectivePriority, in.Maintenance)
	}

	// Resume: a preempts b; b steps down, hides and drains; a forwards.
	open.Store(1)
	a.router.Resume()
	a.waitState("VI_1", "MASTER", 3*time.Second)
	if got := a.vips.Handoff()["forward VI_1_eth0"]; !strings.Contains(got, "to 192.0.2.2") {
		t.Fatalf("returning master forwards %q, want b's flows to 192.0.2.2", got)
	}
	b.waitState("VI_1", "BACKUP", time.Second)
	if b.vips.Handoff()["forward VI_1_eth0"] != "" {
		t.Error("b still forwards after it stepped down")
	}
	waitFor(t, "b hides its VIP", time.Second, func() bool { return b.vips.Handoff()["hide VI_1_eth0"] != "" })
	if !b.holdsVIP(vip100) {
		t.Fatal("the preempted master dropped its VIP while connections were open")
	}
	open.Store(0)
	waitFor(t, "b releases once idle", 2*time.Second, func() bool { return !b.holdsVIP(vip100) })
	if b.vips.Handoff()["hide VI_1_eth0"] != "" {
		t.Error("b still hides a VIP it released")
	}
}

// Alone, a node in maintenance still takes the VIP back: maintenance
// gives way to a peer, it does not leave the VIP unowned.
func TestHandoverWithoutPeerFailsAndKeepsServing(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	a := newNode(t, bus, "a", "192.0.2.1", instanceConf("VI_1", 51, 150, ""))
	a.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	_, err := a.router.Handover(context.Background(), time.Second, func(string) {})
	if err == nil || !strings.Contains(err.Error(), "no peer took over") || !strings.Contains(err.Error(), "no advert from another router") {
		t.Fatalf("handover alone: %v, want no peer took over", err)
	}
	a.waitState("VI_1", "MASTER", 3*time.Second)
	if !a.holdsVIP(vip100) || a.vips.Handoff()["hide VI_1_eth0"] != "" {
		t.Fatal("alone in maintenance the node must hold its VIP, visible")
	}
}
