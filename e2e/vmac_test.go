package e2e

import (
	"context"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/drill"
)

// use_vmac: the VIP lives on a macvlan vrrp.51 with the virtual MAC
// 00:00:5e:00:01:33 on whichever node is master, so the client's ARP
// entry for the VIP is that MAC before and after a failover and never
// goes stale. The VMAC exists while halo runs and is gone after it stops.
func TestVMACKeepsTheClientsARPEntryAcrossAFailover(t *testing.T) {
	s := newSite(t)
	if err := s.StartWebServers(webPort); err != nil {
		t.Fatal(err)
	}
	const vmacName, vmacMAC = "vrrp.51", "00:00:5e:00:01:33"
	vip := drill.VIP4
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond, Instance: "  use_vmac\n"}
	lb1 := haloNode(t, s, 0, pair)
	haloNode(t, s, 1, pair)
	waitVMACHolder(t, s, vmacName, vip, s.LB1, 5*time.Second)

	checkClientMAC := func(when string) {
		t.Helper()
		mac, err := neighMAC(s.Client, vip)
		if err != nil || !strings.EqualFold(mac, vmacMAC) {
			t.Fatalf("%s: client's ARP entry for %v is %q (%v), want the virtual MAC %s", when, vip, mac, err, vmacMAC)
		}
	}
	p := probe(t, s, vip)
	checkClientMAC("before the failover")

	at := time.Now()
	lb1.Signal(syscall.SIGTERM)
	if !lb1.Wait(5 * time.Second) {
		// What held it: a draining connection, and whether the new
		// master passed its packets on (the nft counters, the neighbours).
		for _, h := range []*drillHost{s.LB1, s.LB2, s.Client} {
			for _, c := range [][]string{{"ss", "-tnai", "state", "established", "state", "fin-wait-1", "state", "close-wait", "state", "last-ack"}, {"nft", "list", "ruleset"}, {"ip", "neigh"}} {
				out, _ := h.Command(context.Background(), c[0], c[1:]...).CombinedOutput()
				t.Logf("%s %v:\n%s", h.Name, c, out)
			}
		}
		t.Fatal("halo on lb1 did not exit within 5 s of SIGTERM")
	}
	waitVMACHolder(t, s, vmacName, vip, s.LB2, 5*time.Second)
	if _, err := s.LB1.Addrs(vmacName); err == nil {
		t.Errorf("lb1 still has %s after halo stopped", vmacName)
	}
	time.Sleep(300 * time.Millisecond)
	r := drill.Analyze(p.stop(), at)
	t.Logf("failover with use_vmac: %v", r)
	if !r.Settled {
		t.Fatalf("the client never reached the VIP after the failover: %v", r)
	}
	checkClientMAC("after the failover")
}

// waitVMACHolder waits until holder has vip on its VMAC and the other node
// does not.
func waitVMACHolder(t *testing.T, s *drill.Site, vmac string, vip netip.Addr, holder *drillHost, timeout time.Duration) {
	t.Helper()
	other := s.LB2
	if holder == s.LB2 {
		other = s.LB1
	}
	has := func(h *drillHost) bool {
		ps, err := h.Addrs(vmac)
		if err != nil {
			return false
		}
		for _, p := range ps {
			if p.Addr() == vip {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if has(holder) && !has(other) {
			if drill.HasAddr(holder, vip) {
				t.Fatalf("%s has %v on eth0 too; want it on %s only", holder.Name, vip, vmac)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%v is not on %s of %s alone within %v (on %s of %s: %t, of %s: %t)",
		vip, vmac, holder.Name, timeout, vmac, holder.Name, has(holder), other.Name, has(other))
}
