// Command hashstat measures the three `balance source` hash types of
// internal/balance on N servers of weight 1 named s1..sN, exactly (from the
// table or ring itself, not by sampling clients):
//
//   - imbalance: the largest share of the hash space (map-based, consistent)
//     or of the table slots (maglev) owned by one server, divided by the
//     mean share 1/N; 1.000 is perfect;
//   - leave: the share of the hash space or slots whose owner changes when
//     s1 leaves, next to the share s1 had (the least that must move);
//   - join: the same when s(N+1) joins, next to the share it gets.
//
// It ends with the target for maglev: max/mean ≤ 1.01 and at most 1/N + 1 %
// moved in both cases. bench/hash.sh runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/halo-lb/halo/internal/balance"
)

// space is the number of values of balance.AddrHash.
const space = 1 << 32

func main() {
	sizes := flag.String("n", "10,100", "comma-separated server counts")
	m := flag.Int("m", balance.MaglevSize, "Maglev table size (a prime)")
	flag.Parse()
	if !prime(*m) {
		fmt.Fprintf(os.Stderr, "hashstat: -m %d is not a prime\n", *m)
		os.Exit(2)
	}
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			fmt.Fprintf(os.Stderr, "hashstat: bad server count %q\n", f)
			os.Exit(2)
		}
		ns = append(ns, n)
	}

	algs := []struct {
		name   string
		owners func([]balance.Server) owners
	}{
		{"map-based", mapBasedOwners},
		{"consistent", consistentOwners},
		{fmt.Sprintf("maglev M=%d", *m), func(s []balance.Server) owners { return maglevOwners(s, *m) }},
	}
	fmt.Printf("%-18s %5s %9s %9s %9s %9s %9s %9s %9s\n", "hash-type", "N", "max/mean", "min/mean", "leave", "s1 had", "join", "new gets", "1/N")
	var verdicts []string
	for _, n := range ns {
		full := servers(1, n)
		less := servers(2, n)   // s1 left
		more := servers(1, n+1) // s(N+1) joined
		for k, a := range algs {
			of, ol, om := a.owners(full), a.owners(less), a.owners(more)
			shares := of.shares()
			maxShare, minShare := extremes(shares)
			leave := moved(of, ol)
			join := moved(of, om)
			newcomer := om.shares()[fmt.Sprintf("s%d", n+1)]
			fmt.Printf("%-18s %5d %9.4f %9.4f %8.3f%% %8.3f%% %8.3f%% %8.3f%% %8.3f%%\n",
				a.name, n, maxShare*float64(n), minShare*float64(n),
				100*leave, 100*shares["s1"], 100*join, 100*newcomer, 100/float64(n))
			if k == len(algs)-1 {
				ok := maxShare*float64(n) <= 1.01 && leave <= 1/float64(n)+0.01 && join <= 1/float64(n)+0.01
				verdict := "MISSED"
				if ok {
					verdict = "met"
				}
				verdicts = append(verdicts, fmt.Sprintf("N=%d: max/mean %.4f, leave %.3f%%, join %.3f%% (limit %.3f%%): %s",
					n, maxShare*float64(n), 100*leave, 100*join, 100/float64(n)+1, verdict))
			}
		}
	}
	fmt.Println()
	fmt.Println("target: maglev within 1 % of perfect balance (max/mean <= 1.01) and moving at most 1/N + 1 % on a leave or a join")
	for _, v := range verdicts {
		fmt.Println("  " + v)
	}
}

func prime(m int) bool {
	if m < 3 {
		return false
	}
	for d := 2; d*d <= m; d++ {
		if m%d == 0 {
			return false
		}
	}
	return true
}

// servers is s<from>..s<to>, weight 1, IDs in order.
func servers(from, to int) []balance.Server {
	var out []balance.Server
	for i := from; i <= to; i++ {
		out = append(out, balance.Server{ID: len(out), Name: fmt.Sprintf("s%d", i), Weight: 1})
	}
	return out
}

func extremes(shares map[string]float64) (hi, lo float64) {
	lo = 2
	for _, s := range shares {
		hi, lo = max(hi, s), min(lo, s)
	}
	return hi, lo
}

// owners describes who owns each part of the hash space or table.
type owners interface {
	shares() map[string]float64
}

// moved is the share of the space whose owner differs between a and b
// (both of the same kind).
func moved(a, b owners) float64 {
	switch a := a.(type) {
	case mapBased:
		return a.moved(b.(mapBased))
	case ring:
		return a.moved(b.(ring))
	case table:
		return a.moved(b.(table))
	}
	panic("unknown owners")
}

// mapBased is `hash-type map-based`: h mod T (T = total weight) picks a
// residue; each server owns Weight consecutive residues in config order
// (internal/balance/mapbased.go).
type mapBased struct {
	byResidue []string
}

func mapBasedOwners(s []balance.Server) owners {
	var m mapBased
	for _, sv := range s {
		for range sv.Weight {
			m.byResidue = append(m.byResidue, sv.Name)
		}
	}
	return m
}

// count is how many of the values 0..space-1 are ≡ x mod t.
func count(x, t uint64) uint64 {
	c := uint64(space) / t
	if x < uint64(space)%t {
		c++
	}
	return c
}

func (m mapBased) shares() map[string]float64 {
	out := map[string]float64{}
	t := uint64(len(m.byResidue))
	for x, name := range m.byResidue {
		out[name] += float64(count(uint64(x), t)) / space
	}
	return out
}

// moved counts exactly: the pair (h mod T1, h mod T2) repeats with period
// L = lcm(T1, T2), so h in 0..L-1 stands for count(h, L) values.
func (m mapBased) moved(o mapBased) float64 {
	t1, t2 := uint64(len(m.byResidue)), uint64(len(o.byResidue))
	l := t1 / gcd(t1, t2) * t2
	var n uint64
	for h := uint64(0); h < l; h++ {
		if m.byResidue[h%t1] != o.byResidue[h%t2] {
			n += count(h, l)
		}
	}
	return float64(n) / space
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ring is `hash-type consistent`: a client goes to the first point with
// Hash >= AddrHash, wrapping to the first point.
type ring struct {
	points []balance.RingPoint
	names  []string
}

func consistentOwners(s []balance.Server) owners {
	r := ring{points: balance.ConsistentRing(s)}
	for _, sv := range s {
		r.names = append(r.names, sv.Name)
	}
	return r
}

// owner is the server of hash h.
func (r ring) owner(h uint32) string {
	i, _ := slices.BinarySearchFunc(r.points, h, func(p balance.RingPoint, h uint32) int {
		switch {
		case p.Hash < h:
			return -1
		case p.Hash > h:
			return 1
		}
		return 0
	})
	if i == len(r.points) {
		i = 0
	}
	return r.names[r.points[i].Server]
}

func (r ring) shares() map[string]float64 {
	out := map[string]float64{}
	prev := uint64(r.points[len(r.points)-1].Hash) // the wrapping arc (last, 2^32) ∪ [0, first]
	for i, p := range r.points {
		arc := (uint64(p.Hash) - prev + space) % space
		if i == 0 {
			arc = uint64(p.Hash) + space - prev
		}
		out[r.names[p.Server]] += float64(arc) / space
		prev = uint64(p.Hash)
	}
	return out
}

// moved walks the union of both rings' points: between two consecutive
// points of the union, (u[k-1], u[k]], every hash has the owner of u[k] in
// each ring; the wrapping arc has the owner of u[0].
func (r ring) moved(o ring) float64 {
	var u []uint32
	for _, p := range r.points {
		u = append(u, p.Hash)
	}
	for _, p := range o.points {
		u = append(u, p.Hash)
	}
	slices.Sort(u)
	u = slices.Compact(u)
	var n uint64
	for k, x := range u {
		arc := uint64(x) + space - uint64(u[len(u)-1]) // k == 0: the wrapping arc
		if k > 0 {
			arc = uint64(x) - uint64(u[k-1])
		}
		if r.owner(x) != o.owner(x) {
			n += arc
		}
	}
	return float64(n) / space
}

// table is `hash-type maglev`: the owner of each slot.
type table []string

func maglevOwners(s []balance.Server, m int) owners {
	var t table
	for _, i := range balance.MaglevTable(s, m) {
		t = append(t, s[i].Name)
	}
	return t
}

func (t table) shares() map[string]float64 {
	out := map[string]float64{}
	for _, name := range t {
		out[name] += 1 / float64(len(t))
	}
	return out
}

func (t table) moved(o table) float64 {
	n := 0
	for i := range t {
		if t[i] != o[i] {
			n++
		}
	}
	return float64(n) / float64(len(t))
}
