package balance

import "net/netip"

// staticRR is `static-rr`: a fixed weighted sequence computed once per set
// generation (the smooth weighted order of the weights at that time) and
// walked cyclically. Full servers are skipped.
type staticRR struct {
	gen   uint64
	built bool
	seq   []int // indexes into Set.Servers
	next  int
}

func (r *staticRR) build(set *Set) {
	r.seq = r.seq[:0]
	credit := make([]int, len(set.Servers))
	total := set.TotalWeight()
	for n := 0; n < total; n++ {
		best := 0
		for i := range set.Servers {
			credit[i] += set.Servers[i].Weight
			if credit[i] > credit[best] {
				best = i
			}
		}
		credit[best] -= total
		r.seq = append(r.seq, best)
	}
	r.gen, r.built, r.next = set.Gen, true, 0
}

func (r *staticRR) Select(set *Set, _ netip.Addr) int {
	if !r.built || r.gen != set.Gen {
		r.build(set)
	}
	for range r.seq {
		i := r.seq[r.next%len(r.seq)]
		r.next = (r.next + 1) % len(r.seq)
		if !set.Servers[i].Full() {
			return i
		}
	}
	return -1
}
