package vrrpd

import (
	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vrrp"
)

// keepalived's TTL rule for unicast peers: the socket already dropped a
// multicast advert without TTL 255; a unicast one may have crossed routers,
// so it is checked only against the range written for its sender
// (`unicast_peer { ADDR min_ttl N max_ttl M }`). Writing a range for any
// peer also turns on keepalived's check_unicast_src: a unicast advert from
// an address that is not a peer is dropped.

// ttlVerdict says why a unicast advert fails the TTL rule; "" = it passes.
func ttlVerdict(ic *keepalived.Instance, rc vrrp.Received) string {
	if rc.Dst.IsMulticast() || len(ic.PeerTTLs) == 0 {
		return ""
	}
	for _, r := range ic.PeerTTLs {
		if r.Addr == rc.Src {
			if rc.TTL < int(r.Min) || rc.TTL > int(r.Max) {
				return "ttl outside the peer's min_ttl..max_ttl"
			}
			return ""
		}
	}
	for _, p := range ic.UnicastPeers {
		if p == rc.Src {
			return "" // a peer without a range: any TTL
		}
	}
	return "source is not a unicast_peer"
}
