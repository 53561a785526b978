package keepalived

import (
	"net/netip"
	"strconv"
)

// parsePeer reads one line of a unicast_peer block: `ADDR [min_ttl N]
// [max_ttl M]` (keepalived.conf(5); either bound alone is allowed). ttl is
// nil when neither bound is written.
func parsePeer(c checker, m *node) (addr netip.Addr, ttl *PeerTTL, ok bool) {
	a, ok := c.addrValue(m, m.key())
	if !ok {
		return netip.Addr{}, nil, false
	}
	if m.block {
		c.errf(m, "unicast_peer %s takes no { } block", a)
		return netip.Addr{}, nil, false
	}
	args := m.args[1:]
	if len(args) == 0 {
		return a, nil, true
	}
	r := PeerTTL{Addr: a, Min: 0, Max: 255}
	seen := map[string]bool{}
	for i := 0; i < len(args); i += 2 {
		kw := args[i].text
		if kw != "min_ttl" && kw != "max_ttl" {
			c.errf(m, "unicast_peer %s: unknown option %q (min_ttl and max_ttl are supported)", a, kw)
			return netip.Addr{}, nil, false
		}
		if seen[kw] {
			c.errf(m, "unicast_peer %s: %s given twice", a, kw)
			return netip.Addr{}, nil, false
		}
		seen[kw] = true
		if i+1 >= len(args) {
			c.errf(m, "unicast_peer %s: %s needs a value 0..255", a, kw)
			return netip.Addr{}, nil, false
		}
		v, err := strconv.Atoi(args[i+1].text)
		if err != nil || v < 0 || v > 255 {
			c.errf(m, "unicast_peer %s: %s %q is not an integer in 0..255", a, kw, args[i+1].text)
			return netip.Addr{}, nil, false
		}
		if kw == "min_ttl" {
			r.Min = uint8(v)
		} else {
			r.Max = uint8(v)
		}
	}
	if r.Min > r.Max {
		c.errf(m, "unicast_peer %s: min_ttl %d is above max_ttl %d: no advert could arrive", a, r.Min, r.Max)
		return netip.Addr{}, nil, false
	}
	return a, &r, true
}
