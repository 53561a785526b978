package vrrpd_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/stats"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/halo-lb/halo/internal/vip/viptest"
	"github.com/halo-lb/halo/internal/vrrpd"
	"github.com/halo-lb/halo/internal/vrrpd/vrrpdtest"
)

// node is one router of a test: its config text, fakes and handle.
type node struct {
	t      *testing.T
	name   string
	addr   netip.Addr
	vips   *viptest.Fake
	links  *vrrpdtest.Links
	net    *vrrpdtest.Network
	router *vrrpd.Router
	cancel context.CancelFunc
	done   chan error

	mu     sync.Mutex
	events []vrrpd.Event
}

// instanceConf is a VRRPv3 instance at advert 0.1 s, so tests are quick.
func instanceConf(name string, vrid, prio int, extra string) string {
	return fmt.Sprintf(`vrrp_instance %s {
    interface eth0
    virtual_router_id %d
    priority %d
    version 3
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
%s}
`, name, vrid, prio, extra)
}

func parse(t *testing.T, text string) *keepalived.Config {
	t.Helper()
	cfg, ds := keepalived.Parse("test.conf", []byte(text))
	if err := ds.Err(); err != nil {
		t.Fatalf("config: %v\n%s", err, text)
	}
	return cfg
}

func newNode(t *testing.T, bus *vrrpdtest.Bus, name, addr, conf string) *node {
	t.Helper()
	n := &node{t: t, name: name, addr: netip.MustParseAddr(addr), vips: &viptest.Fake{}, links: &vrrpdtest.Links{}, done: make(chan error, 1)}
	n.links.Set("eth0", true)
	n.net = bus.Host(n.addr)
	r, err := vrrpd.New(parse(t, conf), vrrpd.Env{Network: n.net, Addresses: n.vips, Announcer: n.vips, Routes: n.vips, Handoff: n.vips, Links: n.links}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Subscribe(func(e vrrpd.Event) {
		n.mu.Lock()
		n.events = append(n.events, e)
		n.mu.Unlock()
	})
	n.router = r
	return n
}

func (n *node) start() {
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { n.done <- n.router.Run(ctx) }()
	n.t.Cleanup(n.stop)
}

func (n *node) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	select {
	case err := <-n.done:
		if err != nil {
			n.t.Errorf("%s: Run: %v", n.name, err)
		}
	case <-time.After(10 * time.Second):
		n.t.Errorf("%s: Run did not return after the stop", n.name)
	}
}

func (n *node) instance(name string) stats.Instance {
	ins, _, _ := n.router.Snapshot()
	for _, in := range ins {
		if in.Name == name {
			return in
		}
	}
	n.t.Fatalf("%s: no instance %s", n.name, name)
	return stats.Instance{}
}

func (n *node) waitState(name, state string, within time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if n.instance(name).State == state {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	in := n.instance(name)
	n.t.Fatalf("%s: %s is %s (%s), want %s within %v", n.name, name, in.State, in.Reason, state, within)
}

func (n *node) transitions() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.events)
}

var vip100 = netip.MustParsePrefix("192.0.2.100/24")

func (n *node) holdsVIP(p netip.Prefix) bool {
	for _, v := range n.instance("VI_1").VIPs {
		if v.Prefix == p {
			return v.Present
		}
	}
	return false
}

func TestHigherPriorityBecomesMasterAndHoldsTheVIP(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	a := newNode(t, bus, "a", "192.0.2.1", instanceConf("VI_1", 51, 150, ""))
	b := newNode(t, bus, "b", "192.0.2.2", instanceConf("VI_1", 51, 100, ""))
	a.start()
	b.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	b.waitState("VI_1", "BACKUP", time.Second)
	if !a.holdsVIP(vip100) || b.holdsVIP(vip100) {
		t.Fatalf("VIP on a: %v, on b: %v; want only on the master", a.holdsVIP(vip100), b.holdsVIP(vip100))
	}
	if got := b.instance("VI_1").Master; got != a.addr {
		t.Errorf("b sees master %v, want %v", got, a.addr)
	}

	bus.Cut(a.addr, true) // a pulled cable: b takes over
	b.waitState("VI_1", "MASTER", 2*time.Second)
	if !b.holdsVIP(vip100) {
		t.Error("the new master does not hold the VIP")
	}
}

// A reload that changes only the priority and the VIP list keeps the
// master master: no transition, the new VIP added, the old one kept.
func TestReloadAppliesPriorityAndVIPsInPlace(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	a := newNode(t, bus, "a", "192.0.2.1", instanceConf("VI_1", 51, 150, ""))
	a.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	before := a.transitions()

	next := strings.Replace(instanceConf("VI_1", 51, 120, ""), "192.0.2.100/24", "192.0.2.100/24\n        192.0.2.101/24", 1)
	changes, err := a.router.Reload(parse(t, next))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || !strings.Contains(changes[0], "priority 150 -> 120") || !strings.Contains(changes[0], "virtual addresses") {
		t.Errorf("changes %q, want one line naming the priority and the addresses", changes)
	}
	deadline := time.Now().Add(time.Second)
	for a.instance("VI_1").EffectivePriority != 120 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	in := a.instance("VI_1")
	if in.State != "MASTER" || in.EffectivePriority != 120 {
		t.Errorf("after reload: %s at %d, want MASTER at 120", in.State, in.EffectivePriority)
	}
	if got := a.transitions(); got != before {
		t.Errorf("reload caused %d transitions, want none", got-before)
	}
	if !a.holdsVIP(netip.MustParsePrefix("192.0.2.101/24")) || !a.holdsVIP(vip100) {
		t.Errorf("VIPs after reload: %+v, want both present", in.VIPs)
	}
}

func TestReloadWithANewVRIDRestartsAndRemovedInstancesRelease(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	conf := instanceConf("VI_1", 51, 150, "") + strings.Replace(instanceConf("VI_2", 52, 150, ""), "192.0.2.100/24", "192.0.2.102/24", 1)
	a := newNode(t, bus, "a", "192.0.2.1", conf)
	a.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	a.waitState("VI_2", "MASTER", 2*time.Second)

	changes, err := a.router.Reload(parse(t, instanceConf("VI_1", 61, 150, "")))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 {
		t.Errorf("changes %q, want VI_1 restarted and VI_2 removed", changes)
	}
	a.waitState("VI_1", "MASTER", 3*time.Second)
	if in := a.instance("VI_1"); in.VRID != 61 {
		t.Errorf("VI_1 runs VRID %d, want 61", in.VRID)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		has, _ := a.vips.Has(vipAddr("192.0.2.102/24"))
		if !has {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the removed instance's VIP is still held")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func vipAddr(p string) vip.Address { return vip.Address{Prefix: netip.MustParsePrefix(p), Dev: "eth0"} }

// An instance whose interface does not exist waits in FAULT; when the
// interface appears it joins the election. The rest of the router runs.
func TestMissingInterfaceWaitsInFault(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	conf := instanceConf("VI_1", 51, 150, "") + strings.Replace(instanceConf("VI_2", 52, 150, ""), "interface eth0", "interface eth9", 1)
	a := newNode(t, bus, "a", "192.0.2.1", conf)
	a.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	a.waitState("VI_2", "FAULT", time.Second)
	if r := a.instance("VI_2").Reason; !strings.Contains(r, "eth9") {
		t.Errorf("FAULT reason %q does not name the interface", r)
	}
	a.links.Set("eth9", true)
	a.waitState("VI_2", "MASTER", 2*time.Second)
}

// A planned stop of the master hands over: the VIP stays until the
// backup's first advert, then it is released.
func TestPlannedStopKeepsTheVIPUntilTheBackupSpeaks(t *testing.T) {
	bus := &vrrpdtest.Bus{}
	a := newNode(t, bus, "a", "192.0.2.1", instanceConf("VI_1", 51, 150, ""))
	b := newNode(t, bus, "b", "192.0.2.2", instanceConf("VI_1", 51, 100, ""))
	a.start()
	b.start()
	a.waitState("VI_1", "MASTER", 2*time.Second)
	b.waitState("VI_1", "BACKUP", time.Second)
	stopped := make(chan struct{})
	go func() { a.stop(); close(stopped) }()
	b.waitState("VI_1", "MASTER", 2*time.Second)
	<-stopped
	if has, _ := a.vips.Has(vipAddr("192.0.2.100/24")); has {
		t.Error("the stopped master still holds the VIP")
	}
	calls := a.vips.Calls()
	var lastAdd, del int = -1, -1
	for i, c := range calls {
		switch c.Op {
		case "add":
			lastAdd = i
		case "delete":
			del = i
		}
	}
	if del < lastAdd {
		t.Errorf("calls %v: want the VIP deleted after it was added", calls)
	}
}
