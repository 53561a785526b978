package vrrpd

import (
	"net"
	"net/netip"
	"testing"

	"github.com/halo-lb/halo/internal/config/keepalived"
)

func TestVMACPlacesVIPsAndAdverts(t *testing.T) {
	p := netip.MustParsePrefix
	base := func() *keepalived.Instance {
		return &keepalived.Instance{
			Interface: "eth0", VRID: 51, UseVMAC: true, VMACName: "vrrp.51",
			VMACAddr:     net.HardwareAddr{0, 0, 0x5e, 0, 1, 51},
			VIPs:         []keepalived.VIP{{Prefix: p("192.0.2.100/32")}, {Prefix: p("192.0.2.101/32"), Dev: "eth0"}, {Prefix: p("192.0.2.102/32"), Dev: "eth1"}},
			ExcludedVIPs: []keepalived.VIP{{Prefix: p("192.0.2.103/32")}, {Prefix: p("2001:db8::103/128")}},
		}
	}
	ic := base()
	var got []string
	for _, a := range vipAddresses(ic) {
		got = append(got, a.Prefix.String()+"@"+a.Dev)
	}
	want := []string{"192.0.2.100/32@vrrp.51", "192.0.2.101/32@vrrp.51", "192.0.2.102/32@eth1", "192.0.2.103/32@vrrp.51", "2001:db8::103/128@eth0"}
	if len(got) != len(want) {
		t.Fatalf("VIPs on %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("VIP %d on %s, want %s", i, got[i], want[i])
		}
	}
	if k := keyOf(ic); k.iface != "vrrp.51" {
		t.Errorf("adverts on %s, want the VMAC", k.iface)
	}
	ic.VMACXmitBase = true
	if k := keyOf(ic); k.iface != "eth0" {
		t.Errorf("with vmac_xmit_base adverts on %s, want eth0", k.iface)
	}
	if v := vmacOf(base()); v.Name != "vrrp.51" || v.Parent != "eth0" || v.MAC.String() != "00:00:5e:00:01:33" || v.IPv6 {
		t.Errorf("vmac %+v", v)
	}
}
