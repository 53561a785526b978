package vip

import (
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
)

func TestEndedFlowToMatchesOnlyEndedTCPFlowsToTheVIPs(t *testing.T) {
	vips := endedFlowTo{netip.MustParseAddr("192.0.2.10")}
	flow := func(proto uint8, dst string, state uint8) *netlink.ConntrackFlow {
		f := &netlink.ConntrackFlow{Forward: netlink.IPTuple{Protocol: proto, DstIP: net.ParseIP(dst), SrcIP: net.ParseIP("198.51.100.7")}}
		if proto == 6 {
			f.ProtoInfo = &netlink.ProtoInfoTCP{State: state}
		}
		return f
	}
	for _, c := range []struct {
		name string
		f    *netlink.ConntrackFlow
		want bool
	}{
		{"time-wait to the VIP", flow(6, "192.0.2.10", nl.TCP_CONNTRACK_TIME_WAIT), true},
		{"closed to the VIP", flow(6, "192.0.2.10", nl.TCP_CONNTRACK_CLOSE), true},
		{"established to the VIP: still this node's", flow(6, "192.0.2.10", nl.TCP_CONNTRACK_ESTABLISHED), false},
		{"closing to the VIP: still this node's", flow(6, "192.0.2.10", nl.TCP_CONNTRACK_FIN_WAIT), false},
		{"time-wait to another address", flow(6, "192.0.2.11", nl.TCP_CONNTRACK_TIME_WAIT), false},
		{"udp to the VIP", flow(17, "192.0.2.10", 0), false},
	} {
		if got := vips.MatchConntrackFlow(c.f); got != c.want {
			t.Errorf("%s: matched %v, want %v", c.name, got, c.want)
		}
	}
}
