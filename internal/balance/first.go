package balance

import "net/netip"

// first is `balance first`: the first server in config order (lowest ID)
// with a free connection slot, so that the others can be powered down.
type first struct{}

func (first) Select(set *Set, _ netip.Addr) int {
	for i := range set.Servers {
		if !set.Servers[i].Full() {
			return i
		}
	}
	return -1
}
