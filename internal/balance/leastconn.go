package balance

import "net/netip"

// leastConn picks the server with the fewest connections relative to its
// weight, comparing (Conns+1)/Weight so that an idle heavy server beats an
// idle light one. Among equals it rotates: the scan starts after the last
// server picked. Full servers are skipped.
type leastConn struct{ next int }

func (l *leastConn) Select(set *Set, _ netip.Addr) int {
	n := len(set.Servers)
	best := -1
	for k := 0; k < n; k++ {
		i := (l.next + k) % n
		s := &set.Servers[i]
		if s.Full() {
			continue
		}
		if best < 0 || lessLoaded(s, &set.Servers[best]) {
			best = i
		}
	}
	if best >= 0 {
		l.next = best + 1
	}
	return best
}

// lessLoaded reports whether (a.Conns+1)/a.Weight < (b.Conns+1)/b.Weight.
func lessLoaded(a, b *Server) bool {
	return (a.Conns+1)*b.Weight < (b.Conns+1)*a.Weight
}
