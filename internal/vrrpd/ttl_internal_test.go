package vrrpd

import (
	"net/netip"
	"testing"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vrrp"
)

func TestTTLVerdict(t *testing.T) {
	a := netip.MustParseAddr
	ranged := &keepalived.Instance{
		UnicastPeers: []netip.Addr{a("192.0.2.2"), a("198.51.100.3")},
		PeerTTLs:     []keepalived.PeerTTL{{Addr: a("198.51.100.3"), Min: 60, Max: 64}},
	}
	plain := &keepalived.Instance{UnicastPeers: []netip.Addr{a("192.0.2.2")}}
	tests := []struct {
		name string
		ic   *keepalived.Instance
		src  string
		dst  string
		ttl  int
		pass bool
	}{
		{"a unicast advert from a peer without a range passes at any TTL", plain, "192.0.2.2", "192.0.2.1", 7, true},
		{"without ranges a unicast advert from any source passes", plain, "192.0.2.9", "192.0.2.1", 255, true},
		{"a peer's advert inside its range passes", ranged, "198.51.100.3", "192.0.2.1", 62, true},
		{"a peer's advert at the lower bound passes", ranged, "198.51.100.3", "192.0.2.1", 60, true},
		{"a peer's advert below its range fails", ranged, "198.51.100.3", "192.0.2.1", 59, false},
		{"a peer's advert above its range fails", ranged, "198.51.100.3", "192.0.2.1", 255, false},
		{"a TTL the kernel did not report fails a range", ranged, "198.51.100.3", "192.0.2.1", -1, false},
		{"another peer without a range passes at any TTL", ranged, "192.0.2.2", "192.0.2.1", 1, true},
		{"with a range written, a source that is no peer fails (check_unicast_src)", ranged, "192.0.2.9", "192.0.2.1", 255, false},
		{"multicast is the socket's business (TTL 255 already checked)", ranged, "192.0.2.9", "224.0.0.18", 255, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := vrrp.Received{Src: a(tt.src), Dst: a(tt.dst), TTL: tt.ttl}
			got := ttlVerdict(tt.ic, rc)
			if (got == "") != tt.pass {
				t.Errorf("ttlVerdict = %q, want pass %t", got, tt.pass)
			}
		})
	}
}
