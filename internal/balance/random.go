package balance

import (
	"math/rand/v2"
	"net/netip"
)

// random is `balance random(draws)`, default 2: draw that many servers at
// random in proportion to their weights and keep the least loaded one
// ("power of two choices"). Full servers are skipped.
type random struct{ draws int }

func (r *random) Select(set *Set, _ netip.Addr) int {
	total := 0
	for i := range set.Servers {
		if !set.Servers[i].Full() {
			total += set.Servers[i].Weight
		}
	}
	if total == 0 {
		return -1
	}
	best := -1
	for d := 0; d < r.draws; d++ {
		v := int(rand.Uint32N(uint32(total)))
		for i := range set.Servers {
			s := &set.Servers[i]
			if s.Full() {
				continue
			}
			v -= s.Weight
			if v < 0 {
				if best < 0 || lessLoaded(s, &set.Servers[best]) {
					best = i
				}
				break
			}
		}
	}
	return best
}
