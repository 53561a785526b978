package vrrpd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/vrrpd/vrrpdtest"
)

// groupConf is two instances (VRIDs 51 and 52, VIPs .100 and .102) in one
// vrrp_sync_group G.
func groupConf(prio1, prio2 int) string { return groupConfWith(prio1, prio2, "") }

// groupConfWith adds extra2 to VI_2.
func groupConfWith(prio1, prio2 int, extra2 string) string {
	return instanceConf("VI_1", 51, prio1, "") +
		strings.Replace(instanceConf("VI_2", 52, prio2, extra2), "192.0.2.100/24", "192.0.2.102/24", 1) +
		"vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\n"
}

// steady waits until both instances of n are in state and stay there for
// hold (no flapping).
func (n *node) steady(state string, within, hold time.Duration) {
	n.t.Helper()
	n.waitState("VI_1", state, within)
	n.waitState("VI_2", state, within)
	before := n.transitions()
	time.Sleep(hold)
	for _, name := range []string{"VI_1", "VI_2"} {
		if in := n.instance(name); in.State != state {
			n.t.Fatalf("%s: %s is %s (%s) after %v, want %s", n.name, name, in.State, in.Reason, hold, state)
		}
	}
	if got := n.transitions() - before; got != 0 {
		n.t.Errorf("%s: %d transitions while it should be steady", n.name, got)
	}
}

// One member hears a better master and steps down: the whole group steps
// down with it, although its other member has the higher priority there,
// and that member does not take the VIP back on its own while its sibling
// follows a live master.
func TestSyncGroupFollowsAMemberToBackup(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	a := newNode(t, bus, "a", "192.0.2.1", groupConf(150, 150))
	b := newNode(t, bus, "b", "192.0.2.2", groupConfWith(100, 200, "    state MASTER\n"))
	a.start()
	a.steady("MASTER", 3*time.Second, 0)
	b.start() // b's VI_2 starts MASTER at 200: a's VI_2 steps down, and VI_1 with it
	b.steady("MASTER", 3*time.Second, time.Second)
	a.steady("BACKUP", time.Second, 0)
	if got := a.instance("VI_1").Reason; !strings.Contains(got, "sync-group") {
		t.Errorf("a's VI_1 is BACKUP because %q, want the sync group", got)
	}
	if a.holdsVIP(vip100) {
		t.Error("a holds VI_1's VIP while its group is BACKUP")
	}
}

// The master node goes silent: the backup's members take over together,
// one on its own timer and the other with it.
func TestSyncGroupTakesOverTogether(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	a := newNode(t, bus, "a", "192.0.2.1", groupConf(150, 150))
	b := newNode(t, bus, "b", "192.0.2.2", groupConf(100, 100))
	a.start()
	b.start()
	a.steady("MASTER", 3*time.Second, 0)
	b.steady("BACKUP", time.Second, 300*time.Millisecond)

	bus.Cut(a.addr, true)
	b.waitState("VI_1", "MASTER", 2*time.Second)
	b.waitState("VI_2", "MASTER", 200*time.Millisecond)
	r1, r2 := b.instance("VI_1").Reason, b.instance("VI_2").Reason
	if !strings.Contains(r1+r2, "sync-group") {
		t.Errorf("reasons %q and %q: want one member moved by the sync group", r1, r2)
	}

	// a comes back with the higher priorities: the group preempts as one.
	bus.Cut(a.addr, false)
	a.steady("MASTER", 3*time.Second, 0)
	b.steady("BACKUP", time.Second, 500*time.Millisecond)
}
