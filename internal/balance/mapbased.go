package balance

import "net/netip"

// mapBased is `balance source` with `hash-type map-based`: the hash modulo
// the total weight of the usable servers, mapped onto the servers in config
// order, each owning a run of Weight consecutive values. Any change of the
// set may move many clients.
type mapBased struct{}

func (mapBased) Select(set *Set, client netip.Addr) int {
	total := set.TotalWeight()
	if total == 0 {
		return -1
	}
	v := int(AddrHash(client) % uint32(total))
	for i := range set.Servers {
		v -= set.Servers[i].Weight
		if v < 0 {
			return i
		}
	}
	return -1
}
