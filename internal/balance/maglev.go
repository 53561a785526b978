package balance

import (
	"net/netip"
	"slices"
	"strings"
)

// MaglevSize is the number of slots M of the `hash-type maglev` lookup
// table. It must be prime so that every skip is coprime with it and each
// server's preference list is a permutation of the slots (Eisenbud et al.,
// "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016,
// section 3.4, which uses 65537 in production). With N servers of equal
// weight each owns ⌊M/N⌋ or ⌈M/N⌉ slots.
const MaglevSize = 65537

// Tags appended to a server's name to derive its two Maglev hashes.
const (
	maglevOffsetTag = 0x01 // h1: where the server's preference list starts
	maglevSkipTag   = 0x02 // h2: the stride of its preference list
)

// maglev is `balance source` with `hash-type maglev`: a table of MaglevSize
// slots filled from per-server preference lists derived from server names,
// looked up at AddrHash(client) mod MaglevSize. Every server owns its
// weight's share of the table to within a few slots (one with equal
// weights), and a change of the set moves few slots besides those of the
// server that left or joined. The table is built again when Set.Gen changes.
type maglev struct {
	gen   uint64
	built bool
	table []int32 // index into Set.Servers per slot; -1 when the set has no weight
}

func (m *maglev) Select(set *Set, client netip.Addr) int {
	if len(set.Servers) == 0 {
		return -1
	}
	if !m.built || m.gen != set.Gen {
		m.table = fillMaglev(m.table, set.Servers, MaglevSize)
		m.gen, m.built = set.Gen, true
	}
	i := int(m.table[AddrHash(client)%MaglevSize])
	if i >= len(set.Servers) {
		return -1 // the caller changed the set without bumping Gen
	}
	return i
}

// MaglevTable returns the `hash-type maglev` lookup table of size slots
// (size must be prime) for servers: each slot holds the index in servers of
// its owner, or -1 when no server has a positive weight. A client goes to
// table[AddrHash(client) % size]. It is exported for tools that measure the
// table; the selector builds the same table with size MaglevSize.
func MaglevTable(servers []Server, size int) []int32 {
	return fillMaglev(nil, servers, size)
}

// maglevHash is FNV-1a 32 over the bytes of name, one 0x00 byte and tag,
// followed by avalanche.
func maglevHash(name string, tag byte) uint32 {
	var h uint32 = fnvOffset32
	for j := 0; j < len(name); j++ {
		h ^= uint32(name[j])
		h *= fnvPrime32
	}
	b := [2]byte{0, tag}
	h = fnv1a32(h, b[:])
	return avalanche(h)
}

// maglevCursor walks one server's preference list: permutation[j] =
// (offset + j×skip) mod M, kept as the current slot.
type maglevCursor struct {
	server int    // index into the servers passed to fillMaglev
	slot   uint32 // permutation[next], the next slot to try
	skip   uint32
}

// fillMaglev fills table (reused when its capacity allows) with size slots
// for servers, following section 3.4 of the Maglev paper with weights: see
// docs/BALANCING.md, "hash-type maglev", which this implements step by step.
func fillMaglev(table []int32, servers []Server, size int) []int32 {
	table = slices.Grow(table[:0], size)[:size]
	for i := range table {
		table[i] = -1
	}
	// Servers of positive weight in byte-wise name order, so that the table
	// depends only on the names and weights, not on the config order.
	var cur []maglevCursor
	var weights []int
	g := 0
	for i := range servers {
		if servers[i].Weight > 0 {
			cur = append(cur, maglevCursor{server: i})
			g = gcd(g, servers[i].Weight)
		}
	}
	if len(cur) == 0 {
		return table
	}
	slices.SortFunc(cur, func(a, b maglevCursor) int {
		return strings.Compare(servers[a.server].Name, servers[b.server].Name)
	})
	m := uint32(size)
	for k := range cur {
		name := servers[cur[k].server].Name
		cur[k].slot = maglevHash(name, maglevOffsetTag) % m
		cur[k].skip = maglevHash(name, maglevSkipTag)%(m-1) + 1
		weights = append(weights, servers[cur[k].server].Weight/g)
	}
	turns := maglevTurns(weights, size)
	for filled, t := 0, 0; filled < size; filled, t = filled+1, t+1 {
		c := &cur[turns[t%len(turns)]]
		for table[c.slot] >= 0 {
			c.slot = (c.slot + c.skip) % m
		}
		table[c.slot] = int32(c.server)
		c.slot = (c.slot + c.skip) % m
	}
	return table
}

// maglevTurns is the order in which servers (indexes into weights) take
// turns filling the table: the smooth weighted round-robin sequence of
// weights (each turn adds every weight to its server's credit, the highest
// credit takes the turn, the first on ties, and is charged the total). The
// sequence repeats with a period of the total weight; it is cut at limit
// turns. With equal weights it is 0, 1, ..., n-1, the paper's round robin.
func maglevTurns(weights []int, limit int) []int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := min(total, limit)
	seq := make([]int, 0, n)
	credit := make([]int, len(weights))
	for len(seq) < n {
		best := 0
		for i, w := range weights {
			credit[i] += w
			if credit[i] > credit[best] {
				best = i
			}
		}
		credit[best] -= total
		seq = append(seq, best)
	}
	return seq
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
