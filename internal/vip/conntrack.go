package vip

import (
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
)

// forgetEndedFlows deletes conntrack's entries for TCP flows to vips that
// have ended (TIME_WAIT or CLOSE), before a hand-off starts telling flows
// apart by `ct state new`.
//
// Why: conntrack keeps an ended flow up to 120 s, the client its own
// TIME_WAIT only 60 s. A client can then reuse the port for a new flow
// that the other node accepts. When that flow is handed here, its packets
// match the old entry instead of being new, miss the set of flows to pass
// on, and this node's stack resets them. Without the entry the first
// packet is new and the flow is passed on. Flows still open here (any
// other state) are left alone: forgetting one would hand it away.
func forgetEndedFlows(vips []netip.Addr) (uint, error) {
	return netlink.ConntrackDeleteFilters(netlink.ConntrackTable, netlink.FAMILY_V4, endedFlowTo(vips))
}

// endedFlowTo matches conntrack entries of ended TCP flows to one of its addresses.
type endedFlowTo []netip.Addr

func (e endedFlowTo) MatchConntrackFlow(f *netlink.ConntrackFlow) bool {
	if f.Forward.Protocol != 6 {
		return false
	}
	tcp, ok := f.ProtoInfo.(*netlink.ProtoInfoTCP)
	if !ok || tcp.State != nl.TCP_CONNTRACK_TIME_WAIT && tcp.State != nl.TCP_CONNTRACK_CLOSE {
		return false
	}
	dst, ok := netip.AddrFromSlice(f.Forward.DstIP)
	if !ok {
		return false
	}
	for _, v := range e {
		if v == dst.Unmap() {
			return true
		}
	}
	return false
}
