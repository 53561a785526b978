package vrrpd_test

import (
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/vip/viptest"
	"github.com/halo-lb/halo/internal/vrrpd/vrrpdtest"
)

// announcesSince counts the announce calls after the first n calls and
// returns the count of the last one.
func announcesSince(f *viptest.Fake, n int) (calls, lastCount int) {
	for _, c := range f.Calls()[n:] {
		if c.Op == "announce" {
			calls++
			lastCount = c.Count
		}
	}
	return calls, lastCount
}

// splitBrain starts a (150) and b (100) with a cut off, so both are master,
// and returns them with the number of a's VIP calls before the heal.
func splitBrain(t *testing.T, extra string) (bus *vrrpdtest.Bus, a, b *node, before int) {
	t.Helper()
	bus = &vrrpdtest.Bus{}
	a = newNode(t, bus, "a", "192.0.2.1", instanceConf("VI_1", 51, 150, extra))
	b = newNode(t, bus, "b", "192.0.2.2", instanceConf("VI_1", 51, 100, extra))
	bus.Cut(a.addr, true)
	a.start()
	b.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	b.waitState("VI_1", "MASTER", 2*time.Second)
	time.Sleep(200 * time.Millisecond) // the first GARP bursts are out
	return bus, a, b, len(a.vips.Calls())
}

func TestSplitBrainHealReannouncesOnTheWinnerAndReleasesOnTheLoser(t *testing.T) {
	bus, a, b, before := splitBrain(t, "    garp_lower_prio_repeat 3\n    garp_lower_prio_delay 0\n")
	bus.Cut(a.addr, false)
	healed := time.Now()
	b.waitState("VI_1", "BACKUP", time.Second)
	if b.holdsVIP(vip100) {
		t.Error("the node that yielded still holds the VIP")
	}
	// b's advert before it yields (higher_prio_send_advert, on by default)
	// reaches a whichever advert crossed first: a re-announces.
	deadline := healed.Add(time.Second)
	for {
		if n, count := announcesSince(a.vips, before); n > 0 {
			if count != 3 {
				t.Errorf("re-announce burst of %d, want garp_lower_prio_repeat 3", count)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the winner did not re-announce its VIP within 1 s of the heal; calls %v", a.vips.Calls()[before:])
		}
		time.Sleep(5 * time.Millisecond)
	}
	if in := a.instance("VI_1"); in.State != "MASTER" {
		t.Errorf("the winner is %s, want MASTER", in.State)
	}
}

func TestSplitBrainHealWithReannounceOff(t *testing.T) {
	bus, a, b, before := splitBrain(t, "    garp_lower_prio_repeat 0\n")
	bus.Cut(a.addr, false)
	b.waitState("VI_1", "BACKUP", time.Second)
	time.Sleep(300 * time.Millisecond)
	if n, _ := announcesSince(a.vips, before); n != 0 {
		t.Errorf("garp_lower_prio_repeat 0: %d announce calls after the heal, want none", n)
	}
}
