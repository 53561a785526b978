package balance

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMaglevTableGolden pins the table documented in docs/BALANCING.md: a
// change here moves clients between the nodes of a mixed-version pair.
func TestMaglevTableGolden(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		first   []int32 // table[0:32], as indexes of s1..s5
		counts  map[string]int
		clients map[string]string
	}{
		{
			name:    "five servers of equal weight share the table within one slot",
			weights: []int{1, 1, 1, 1, 1},
			first:   []int32{0, 4, 2, 0, 4, 1, 3, 0, 3, 3, 0, 3, 2, 3, 4, 2, 3, 0, 3, 1, 3, 0, 2, 1, 0, 3, 4, 2, 0, 2, 4, 3},
			counts:  map[string]int{"s1": 13108, "s2": 13108, "s3": 13107, "s4": 13107, "s5": 13107},
			clients: map[string]string{"192.0.2.1": "s1", "198.51.100.7": "s2", "2001:db8::1": "s2", "203.0.113.200": "s2"},
		},
		{
			name:    "weights 1, 2, 3, 1, 5 take turns in smooth round-robin order",
			weights: []int{1, 2, 3, 1, 5},
			first:   []int32{4, 4, 2, 0, 4, 1, 4, 4, 2, 4, 0, 1, 4, 4, 4, 2, 4, 4, 3, 1, 3, 2, 2, 1, 0, 3, 4, 2, 2, 2, 4, 4},
			// 65537 = 12×5461 + 5: the 5 turns left over go to s5, s3, s2, s5, s1.
			counts:  map[string]int{"s1": 5462, "s2": 10923, "s3": 16384, "s4": 5461, "s5": 27307},
			clients: map[string]string{"192.0.2.1": "s5", "198.51.100.7": "s5", "2001:db8::1": "s2", "203.0.113.200": "s2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := set(tt.weights...)
			table := MaglevTable(s.Servers, MaglevSize)
			if diff := cmp.Diff(tt.first, table[:32]); diff != "" {
				t.Errorf("first slots (-want +got)\n%s", diff)
			}
			if diff := cmp.Diff(tt.counts, slotCounts(s, table)); diff != "" {
				t.Errorf("slots per server (-want +got)\n%s", diff)
			}
			sel := mustNew(t, Source, "maglev")
			got := map[string]string{}
			for a := range tt.clients {
				got[a] = s.Servers[sel.Select(s, netip.MustParseAddr(a))].Name
			}
			if diff := cmp.Diff(tt.clients, got); diff != "" {
				t.Errorf("clients (-want +got)\n%s", diff)
			}
		})
	}
}

func TestMaglevHashVectors(t *testing.T) {
	if got, want := maglevHash("s1", maglevOffsetTag), uint32(0x1c547119); got != want {
		t.Errorf("h1(s1) = %#08x, want %#08x", got, want)
	}
	if got, want := maglevHash("s1", maglevSkipTag), uint32(0xf37978b7); got != want {
		t.Errorf("h2(s1) = %#08x, want %#08x", got, want)
	}
	if diff := cmp.Diff([]int{4, 2, 1, 4, 0, 2, 4, 3, 4, 1, 2, 4}, maglevTurns([]int{1, 2, 3, 1, 5}, 100)); diff != "" {
		t.Errorf("turns (-want +got)\n%s", diff)
	}
}

func slotCounts(s *Set, table []int32) map[string]int {
	n := map[string]int{}
	for _, i := range table {
		n[s.Servers[i].Name]++
	}
	return n
}

// owners is the server name of every slot.
func owners(s *Set) []string {
	var out []string
	for _, i := range MaglevTable(s.Servers, MaglevSize) {
		out = append(out, s.Servers[i].Name)
	}
	return out
}

func TestMaglevTableDependsOnlyOnNamesAndWeightRatios(t *testing.T) {
	s := set(1, 2, 3, 1, 5)
	want := owners(s)

	reversed := &Set{Servers: slices.Clone(s.Servers)}
	slices.Reverse(reversed.Servers)
	if !slices.Equal(want, owners(reversed)) {
		t.Error("reordering the servers changed the table")
	}
	scaled := &Set{Servers: slices.Clone(s.Servers)}
	for i := range scaled.Servers {
		scaled.Servers[i].Weight *= SlowStartScale
	}
	if !slices.Equal(want, owners(scaled)) {
		t.Error("multiplying every weight by SlowStartScale changed the table")
	}
	withZero := &Set{Servers: append(slices.Clone(s.Servers), Server{ID: 9, Name: "s0", Weight: 0})}
	if !slices.Equal(want, owners(withZero)) {
		t.Error("a server of weight 0 changed the table")
	}
}

func TestMaglevTableMovesLittleWhenAServerLeaves(t *testing.T) {
	for _, n := range []int{5, 20} {
		t.Run(fmt.Sprintf("%d servers minus one", n), func(t *testing.T) {
			full := set(slices.Repeat([]int{1}, n)...)
			less := &Set{Servers: full.Servers[:n-1]}
			before, after := owners(full), owners(less)
			removed := full.Servers[n-1].Name
			moved, kept := 0, 0
			for i := range before {
				switch {
				case before[i] == removed:
				case before[i] != after[i]:
					moved++
				default:
					kept++
				}
			}
			// Maglev trades a little disruption for its balance: some
			// slots of staying servers change hands. Allow 2 % of the table.
			if limit := MaglevSize / 50; moved > limit {
				t.Errorf("%d slots of staying servers moved (kept %d), want at most %d", moved, kept, limit)
			}
		})
	}
}

func TestMaglevSelectsNothingFromAnEmptySet(t *testing.T) {
	sel := mustNew(t, Source, "maglev")
	if got := sel.Select(&Set{Gen: 1}, netip.MustParseAddr("192.0.2.1")); got != -1 {
		t.Errorf("empty set gave %d", got)
	}
	if got := sel.Select(&Set{Gen: 2, Servers: []Server{{Name: "a"}}}, netip.MustParseAddr("192.0.2.1")); got != -1 {
		t.Errorf("a set without weight gave %d", got)
	}
}

// referenceMaglev follows docs/BALANCING.md step by step, without the
// shortcuts of fillMaglev (cursors, the turn period, the gcd of raw
// weights taken while scanning), as a second implementation would.
func referenceMaglev(servers []Server, m int) []string {
	var live []Server
	for _, s := range servers {
		if s.Weight > 0 {
			live = append(live, s)
		}
	}
	slices.SortFunc(live, func(a, b Server) int { return strings.Compare(a.Name, b.Name) })
	g := 0
	for _, s := range live {
		g = gcd(g, s.Weight)
	}
	w, total := make([]int, len(live)), 0
	for k, s := range live {
		w[k] = s.Weight / g
		total += w[k]
	}
	perm := func(k, j int) int {
		h1 := uint64(maglevHash(live[k].Name, 1))
		h2 := uint64(maglevHash(live[k].Name, 2))
		offset, skip := h1%uint64(m), h2%uint64(m-1)+1
		return int((offset + uint64(j)*skip) % uint64(m))
	}
	table := make([]string, m)
	next := make([]int, len(live))
	credit := make([]int, len(live))
	for filled := 0; filled < m; filled++ {
		best := 0
		for k := range live {
			credit[k] += w[k]
			if credit[k] > credit[best] {
				best = k
			}
		}
		credit[best] -= total
		for table[perm(best, next[best])] != "" {
			next[best]++
		}
		table[perm(best, next[best])] = live[best].Name
		next[best]++
	}
	return table
}

func TestMaglevTableMatchesTheDocumentedSteps(t *testing.T) {
	servers := []Server{
		{Name: "web-3", Weight: 32}, {Name: "web-1", Weight: 16}, {Name: "db", Weight: 0},
		{Name: "web-10", Weight: 48}, {Name: "web-2", Weight: 16}, {Name: "Web-2", Weight: 160},
	}
	for _, m := range []int{7, 251, MaglevSize} {
		t.Run(fmt.Sprintf("a table of %d slots", m), func(t *testing.T) {
			var got []string
			for _, i := range MaglevTable(servers, m) {
				got = append(got, servers[i].Name)
			}
			if diff := cmp.Diff(referenceMaglev(servers, m), got); diff != "" {
				t.Errorf("(-documented +implemented)\n%s", diff)
			}
		})
	}
}
