package balance

import (
	"net/netip"
	"slices"
	"strings"
)

// PointsPerWeight is how many ring points a server gets per unit of weight
// under `hash-type consistent`.
const PointsPerWeight = 32

// consistent is `balance source` with `hash-type consistent`: a ring of
// Weight×PointsPerWeight points per server, placed by hashing the server's
// name, so a server that leaves only moves its own clients.
type consistent struct {
	gen   uint64
	built bool
	ring  []ringPoint
}

type ringPoint struct {
	hash uint32
	name string
	id   int // Server.ID, resolved to an index at selection time
}

func (c *consistent) build(set *Set) {
	c.ring = c.ring[:0]
	for i := range set.Servers {
		s := &set.Servers[i]
		n := uint32(s.Weight) * PointsPerWeight
		for p := uint32(0); p < n; p++ {
			c.ring = append(c.ring, ringPoint{hash: pointHash(s.Name, p), name: s.Name, id: s.ID})
		}
	}
	slices.SortFunc(c.ring, func(a, b ringPoint) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	c.gen, c.built = set.Gen, true
}

func (c *consistent) Select(set *Set, client netip.Addr) int {
	if len(set.Servers) == 0 {
		return -1
	}
	if !c.built || c.gen != set.Gen {
		c.build(set)
	}
	if len(c.ring) == 0 {
		return -1
	}
	h := AddrHash(client)
	i, _ := slices.BinarySearchFunc(c.ring, h, func(p ringPoint, h uint32) int {
		if p.hash < h {
			return -1
		}
		if p.hash > h {
			return 1
		}
		return 0
	})
	if i == len(c.ring) {
		i = 0
	}
	id := c.ring[i].id
	for j := range set.Servers {
		if set.Servers[j].ID == id {
			return j
		}
	}
	return -1
}

// RingPoint is one point of the `hash-type consistent` ring: clients whose
// AddrHash is above the previous point's Hash and at most this one's go to
// Server, an index into the servers given to ConsistentRing.
type RingPoint struct {
	Hash   uint32
	Server int
}

// ConsistentRing returns the `hash-type consistent` ring of servers in the
// order the selector searches it. It is exported for tools that measure the
// ring.
func ConsistentRing(servers []Server) []RingPoint {
	s := &Set{Servers: slices.Clone(servers)}
	for i := range s.Servers {
		s.Servers[i].ID = i
	}
	var c consistent
	c.build(s)
	out := make([]RingPoint, len(c.ring))
	for i, p := range c.ring {
		out[i] = RingPoint{Hash: p.hash, Server: p.id}
	}
	return out
}
