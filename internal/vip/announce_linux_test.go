package vip_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

func TestAnnounceIPv4SendsGratuitousARPRequests(t *testing.T) {
	hosts := newLab(t, "halotest-garp", "lb1", "client")
	lb1, client := hosts[0], hosts[1]
	a := vip.Address{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0"}

	var conn *packet.Conn
	if err := client.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		conn, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ARP, nil)
		return err
	}); err != nil {
		t.Fatalf("packet socket in client: %v", err)
	}
	t.Cleanup(func() { conn.Close() })

	m := vip.NewManager(nil)
	const count, interval = 3, 50 * time.Millisecond
	var took time.Duration
	if err := lb1.Do(func() error {
		if err := m.Add(a); err != nil {
			return err
		}
		start := time.Now()
		defer func() { took = time.Since(start) }()
		return m.Announce(context.Background(), a, count, interval)
	}); err != nil {
		t.Fatal(err)
	}
	if took < (count-1)*interval {
		t.Errorf("Announce of %d frames took %v, want them %v apart", count, took, interval)
	}

	type garp struct {
		Dst, Src, SHA, THA string
		Op                 arp.Operation
		SPA, TPA           string
	}
	var got []garp
	buf := make([]byte, 1500)
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for len(got) < count {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %d frames: %v", len(got), err)
		}
		var f ethernet.Frame
		var p arp.Packet
		if f.UnmarshalBinary(buf[:n]) != nil || p.UnmarshalBinary(f.Payload) != nil || p.SenderIP != a.Prefix.Addr() {
			continue
		}
		got = append(got, garp{f.Destination.String(), f.Source.String(), p.SenderHardwareAddr.String(),
			p.TargetHardwareAddr.String(), p.Operation, p.SenderIP.String(), p.TargetIP.String()})
	}
	one := garp{"ff:ff:ff:ff:ff:ff", lb1.MAC.String(), lb1.MAC.String(), "ff:ff:ff:ff:ff:ff",
		arp.OperationRequest, "192.0.2.100", "192.0.2.100"}
	if diff := cmp.Diff([]garp{one, one, one}, got); diff != "" {
		t.Errorf("gratuitous ARPs seen by client (-want +got):\n%s", diff)
	}
}

func TestAnnounceIPv6SendsUnsolicitedNA(t *testing.T) {
	hosts := newLab(t, "halotest-una", "lb1", "client")
	lb1, client := hosts[0], hosts[1]
	a := vip.Address{Prefix: netip.MustParsePrefix("2001:db8::100/128"), Dev: "eth0"}

	var conn *ndp.Conn
	if err := client.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		// The link-local address stays tentative (DAD) for a moment after
		// link-up, and ndp.Listen fails until it is usable: retry.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			conn, _, err = ndp.Listen(ifi, ndp.LinkLocal)
			if err == nil || time.Now().After(deadline) {
				return err
			}
		}
	}); err != nil {
		t.Fatalf("ndp socket in client: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst, true); err != nil {
		t.Fatal(err)
	}

	m := vip.NewManager(nil)
	if err := lb1.Do(func() error {
		if err := m.Add(a); err != nil {
			return err
		}
		return m.Announce(context.Background(), a, 2, 10*time.Millisecond)
	}); err != nil {
		t.Fatal(err)
	}

	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	seen := 0
	for seen < 2 {
		msg, cm, from, err := conn.ReadFrom()
		if err != nil {
			t.Fatalf("after %d advertisements: %v", seen, err)
		}
		na, ok := msg.(*ndp.NeighborAdvertisement)
		if !ok || na.TargetAddress != a.Prefix.Addr() {
			continue
		}
		seen++
		want := &ndp.NeighborAdvertisement{Override: true, TargetAddress: a.Prefix.Addr(),
			Options: []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: lb1.MAC}}}
		if diff := cmp.Diff(want, na, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
			t.Errorf("advertisement (-want +got):\n%s", diff)
		}
		if !from.IsLinkLocalUnicast() {
			t.Errorf("source %s, want lb1's link-local address", from)
		}
		if cm == nil || cm.HopLimit != 255 || !cm.Dst.Equal(net.ParseIP("ff02::1")) {
			t.Errorf("control message %v, want hop limit 255 to ff02::1", cm)
		}
	}
}

// TestAnnounceMovesTheClientsNeighbourEntry moves a VIP from lb1 to lb2 and
// checks that the client's ARP / neighbour cache follows the announcement
// (before it, the entry still points at lb1).
func TestAnnounceMovesTheClientsNeighbourEntry(t *testing.T) {
	hosts := newLab(t, "halotest-move", "lb1", "lb2", "client")
	lb1, lb2, client := hosts[0], hosts[1], hosts[2]
	m := vip.NewManager(nil)
	for _, tc := range []struct{ name, prefix string }{
		{"an IPv4 VIP moves with gratuitous ARP", "192.0.2.100/32"},
		{"an IPv6 VIP moves with an unsolicited NA", "2001:db8::100/128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := vip.Address{Prefix: netip.MustParsePrefix(tc.prefix), Dev: "eth0"}
			for _, h := range []*netlab.Host{lb1, lb2} {
				t.Cleanup(func() { h.Do(func() error { return m.Delete(a) }) })
			}
			if err := lb1.Do(func() error { return m.Add(a) }); err != nil {
				t.Fatal(err)
			}
			// The client talks to the VIP, so it resolves it to lb1.
			if err := client.Do(func() error {
				c, err := net.Dial("udp", net.JoinHostPort(a.Prefix.Addr().String(), "9"))
				if err != nil {
					return err
				}
				defer c.Close()
				_, err = c.Write([]byte("x"))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			waitNeigh(t, client, a.Prefix.Addr(), lb1.MAC)

			if err := lb1.Do(func() error { return m.Delete(a) }); err != nil {
				t.Fatal(err)
			}
			if err := lb2.Do(func() error {
				if err := m.Add(a); err != nil {
					return err
				}
				return m.Announce(context.Background(), a, 3, 100*time.Millisecond)
			}); err != nil {
				t.Fatal(err)
			}
			waitNeigh(t, client, a.Prefix.Addr(), lb2.MAC)
		})
	}
}

// waitNeigh waits until h's neighbour entry for ip on eth0 has mac.
func waitNeigh(t *testing.T, h *netlab.Host, ip netip.Addr, mac net.HardwareAddr) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		err := h.Do(func() error {
			link, err := netlink.LinkByName("eth0")
			if err != nil {
				return err
			}
			fam := netlink.FAMILY_V4
			if ip.Is6() {
				fam = netlink.FAMILY_V6
			}
			neighs, err := netlink.NeighList(link.Attrs().Index, fam)
			if err != nil {
				return err
			}
			last = "no entry"
			for _, n := range neighs {
				if n.IP.Equal(ip.AsSlice()) {
					last = n.HardwareAddr.String()
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if last == mac.String() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s's neighbour entry for %s = %s, want %s", h.Name, ip, last, mac)
}
