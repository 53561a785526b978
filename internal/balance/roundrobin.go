package balance

import "net/netip"

// roundRobin is smooth weighted round robin: every pick adds each server's
// weight to its credit, takes the server with the most credit and charges it
// the total. Weights may change between picks and take effect at once;
// credit is kept per Server.ID. Full servers are skipped.
type roundRobin struct {
	credit map[int]int
	gen    uint64
}

func (r *roundRobin) Select(set *Set, _ netip.Addr) int {
	if r.credit == nil {
		r.credit = make(map[int]int)
	}
	if r.gen != set.Gen {
		// Forget servers that left, so a returning server starts fresh.
		for id := range r.credit {
			found := false
			for i := range set.Servers {
				if set.Servers[i].ID == id {
					found = true
					break
				}
			}
			if !found {
				delete(r.credit, id)
			}
		}
		r.gen = set.Gen
	}
	best, total := -1, 0
	for i := range set.Servers {
		s := &set.Servers[i]
		if s.Full() {
			continue
		}
		c := r.credit[s.ID] + s.Weight
		r.credit[s.ID] = c
		total += s.Weight
		if best < 0 || c > r.credit[set.Servers[best].ID] {
			best = i
		}
	}
	if best >= 0 {
		r.credit[set.Servers[best].ID] -= total
	}
	return best
}
