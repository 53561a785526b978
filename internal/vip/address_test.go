package vip

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestNetlinkAddr(t *testing.T) {
	tests := []struct {
		name string
		in   Address
		want netlink.Addr
	}{
		{
			name: "an IPv4 VIP gets no invented broadcast",
			in:   Address{Prefix: netip.MustParsePrefix("192.0.2.100/24"), Dev: "eth0"},
			want: netlink.Addr{IPNet: ipnet("192.0.2.100", 24, 32), Broadcast: net.IPv4zero},
		},
		{
			name: "an IPv4 VIP keeps a given broadcast, label and scope",
			in: Address{Prefix: netip.MustParsePrefix("192.0.2.100/24"), Dev: "eth0", Label: "eth0:1",
				Brd: netip.MustParseAddr("192.0.2.255"), Scope: "link"},
			want: netlink.Addr{IPNet: ipnet("192.0.2.100", 24, 32), Label: "eth0:1",
				Broadcast: net.IP{192, 0, 2, 255}, Scope: unix.RT_SCOPE_LINK},
		},
		{
			name: "an IPv6 VIP is added without duplicate address detection",
			in:   Address{Prefix: netip.MustParsePrefix("2001:db8::100/128"), Dev: "eth0"},
			want: netlink.Addr{IPNet: ipnet("2001:db8::100", 128, 128), Flags: ifaFNoDAD},
		},
		{
			name: "a numeric scope is taken as is",
			in:   Address{Prefix: netip.MustParsePrefix("2001:db8::100/64"), Dev: "eth0", Scope: "200"},
			want: netlink.Addr{IPNet: ipnet("2001:db8::100", 64, 128), Flags: ifaFNoDAD, Scope: 200},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.in.check(); err != nil {
				t.Fatalf("check: %v", err)
			}
			got := *tc.in.netlinkAddr()
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b net.IP) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("netlinkAddr (-want +got):\n%s", diff)
			}
			if !tc.in.matches(got) {
				t.Errorf("the address does not match its own netlink form")
			}
		})
	}
}

func ipnet(ip string, ones, bits int) *net.IPNet {
	return &net.IPNet{IP: net.ParseIP(ip), Mask: net.CIDRMask(ones, bits)}
}

func TestCheckRejects(t *testing.T) {
	p4 := netip.MustParsePrefix("192.0.2.100/32")
	for _, tc := range []struct {
		name string
		in   Address
	}{
		{"a missing prefix is rejected", Address{Dev: "eth0"}},
		{"a missing interface is rejected", Address{Prefix: p4}},
		{"a broadcast on IPv6 is rejected", Address{Prefix: netip.MustParsePrefix("2001:db8::1/64"), Dev: "eth0", Brd: netip.MustParseAddr("192.0.2.255")}},
		{"an IPv4-mapped IPv6 address is rejected", Address{Prefix: netip.MustParsePrefix("::ffff:192.0.2.1/128"), Dev: "eth0"}},
		{"an unknown scope is rejected", Address{Prefix: p4, Dev: "eth0", Scope: "galaxy"}},
		{"a 16-byte label is rejected", Address{Prefix: p4, Dev: "eth0", Label: "0123456789abcdef"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.in.check(); err == nil {
				t.Error("check accepted it")
			}
		})
	}
}

func TestMatchesIgnoresLabelButNotPrefixLength(t *testing.T) {
	a := Address{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0"}
	if !a.matches(netlink.Addr{IPNet: ipnet("192.0.2.100", 32, 32), Label: "eth0:x"}) {
		t.Error("same address with another label does not match")
	}
	if a.matches(netlink.Addr{IPNet: ipnet("192.0.2.100", 24, 32)}) {
		t.Error("same address with another prefix length matches")
	}
}

func TestAddressString(t *testing.T) {
	a := Address{Prefix: netip.MustParsePrefix("192.0.2.100/24"), Dev: "eth0", Label: "eth0:1",
		Brd: netip.MustParseAddr("192.0.2.255"), Scope: "link"}
	want := "192.0.2.100/24 brd 192.0.2.255 dev eth0 scope link label eth0:1"
	if got := a.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestGARPFramesAreRequestsFromTheVIPToItself(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	vip := netip.MustParseAddr("192.0.2.100")
	frames, err := garpFrames(mac, vip, true)
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Dst, Src string
		Op       arp.Operation
		SHA, THA string
		SPA, TPA string
	}
	var got []view
	for _, b := range frames {
		var f ethernet.Frame
		if err := f.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		var p arp.Packet
		if err := p.UnmarshalBinary(f.Payload); err != nil {
			t.Fatal(err)
		}
		got = append(got, view{f.Destination.String(), f.Source.String(), p.Operation,
			p.SenderHardwareAddr.String(), p.TargetHardwareAddr.String(), p.SenderIP.String(), p.TargetIP.String()})
	}
	bc, m, v := "ff:ff:ff:ff:ff:ff", mac.String(), vip.String()
	want := []view{
		{bc, m, arp.OperationRequest, m, bc, v, v},
		{bc, m, arp.OperationReply, m, m, v, v},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
}

func TestUnsolicitedNAOverridesAndCarriesTheMAC(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	na := unsolicitedNA(mac, netip.MustParseAddr("2001:db8::100"), false)
	if !na.Override || na.Solicited || na.Router {
		t.Errorf("flags O=%t S=%t R=%t, want O only", na.Override, na.Solicited, na.Router)
	}
	want := []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}}
	if diff := cmp.Diff(want, na.Options); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	if _, err := ndp.MarshalMessage(na); err != nil {
		t.Errorf("marshal: %v", err)
	}
}
