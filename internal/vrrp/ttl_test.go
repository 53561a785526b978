package vrrp

import (
	"testing"
	"time"
)

// keepalived's TTL rule: multicast adverts need TTL / hop limit 255 (see
// TestConnDropsAndCountsBadPackets); a unicast advert is handed on with
// the TTL it arrived with, for the instance to check against the peer's
// min_ttl/max_ttl, because the peer may sit behind a router.
func TestConnHandsOnUnicastAdvertsWithTheirTTL(t *testing.T) {
	h := newTwoHosts(t)
	tests := []struct {
		name   string
		family int
		ttl    int
	}{
		{"an IPv4 unicast advert with TTL 64", 4, 64},
		{"an IPv6 unicast advert with hop limit 1", 6, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, dst := hostA4, hostB4
			if tt.family == 6 {
				src, dst = hostA6, hostB6
			}
			recv := listen(t, h.b, tt.family, "vb", ListenOptions{})
			got := reader(t, recv)
			send := rawSender(t, h.a, tt.family, "va", tt.ttl)
			send(mustMarshal(t, advert(3, addrOf(tt.family)), src, dst), dst)
			select {
			case r := <-got:
				if r.TTL != tt.ttl {
					t.Errorf("TTL %d, want %d as received", r.TTL, tt.ttl)
				}
			case <-time.After(waitFor):
				t.Fatalf("the unicast advert was not read within %v; counters %+v", waitFor, recv.Counters())
			}
			if c := recv.Counters(); c.BadTTL != 0 {
				t.Errorf("counters %+v, want no bad TTL", c)
			}
		})
	}
}
