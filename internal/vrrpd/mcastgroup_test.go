package vrrpd_test

import (
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/vrrpd/vrrpdtest"
)

const group19 = "global_defs {\n    vrrp_mcast_group4 224.0.0.19\n}\n"

// Routers on vrrp_mcast_group4 224.0.0.19 elect among themselves; a router
// on the RFC group does not hear them.
func TestMcastGroupIsJoinedAndSentTo(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	a := newNode(t, bus, "a", "192.0.2.1", group19+instanceConf("VI_1", 51, 150, ""))
	b := newNode(t, bus, "b", "192.0.2.2", group19+instanceConf("VI_1", 51, 100, ""))
	c := newNode(t, bus, "c", "192.0.2.3", instanceConf("VI_1", 51, 50, ""))
	a.start()
	b.start()
	c.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	b.waitState("VI_1", "BACKUP", time.Second)
	c.waitState("VI_1", "MASTER", 2*time.Second) // it hears nobody on 224.0.0.18
	time.Sleep(500 * time.Millisecond)           // several advert intervals
	if s := b.instance("VI_1").State; s != "BACKUP" {
		t.Errorf("b on 224.0.0.19 is %s, want BACKUP to a", s)
	}
	if got := b.instance("VI_1").Master; got != a.addr {
		t.Errorf("b sees master %v, want a %v", got, a.addr)
	}
	if s := a.instance("VI_1").State; s != "MASTER" {
		t.Errorf("a is %s, want MASTER (c's lower adverts go to another group)", s)
	}
}
