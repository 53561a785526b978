package balance

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func set(weights ...int) *Set {
	s := &Set{Gen: 1}
	for i, w := range weights {
		s.Servers = append(s.Servers, Server{ID: i, Name: fmt.Sprintf("s%d", i+1), Weight: w})
	}
	return s
}

func mustNew(t *testing.T, alg, hash string) Selector {
	t.Helper()
	sel, err := New(alg, hash)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func picks(sel Selector, s *Set, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		j := sel.Select(s, netip.Addr{})
		if j < 0 {
			out = append(out, "-")
			continue
		}
		out = append(out, s.Servers[j].Name)
	}
	return out
}

func TestRotatingAlgorithms(t *testing.T) {
	tests := []struct {
		name    string
		alg     string
		weights []int
		want    string
	}{
		{"round robin alternates between equal servers", RoundRobin, []int{1, 1, 1}, "s1 s2 s3 s1 s2 s3"},
		{"round robin interleaves by weight", RoundRobin, []int{3, 1}, "s1 s1 s2 s1 s1 s1 s2 s1"},
		{"smooth round robin spreads a heavy server", RoundRobin, []int{5, 1, 1}, "s1 s1 s2 s1 s3 s1 s1 s1 s1 s2 s1 s3 s1 s1"},
		{"static round robin follows weights", StaticRR, []int{2, 1}, "s1 s2 s1 s1 s2 s1"},
		{"first always takes the first server without maxconn", First, []int{1, 1}, "s1 s1 s1"},
		{"least connections rotates among idle servers", LeastConn, []int{1, 1, 1}, "s1 s2 s3 s1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := set(tt.weights...)
			got := strings.Join(picks(mustNew(t, tt.alg, ""), s, len(strings.Fields(tt.want))), " ")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestRoundRobinWeightChangeTakesEffect(t *testing.T) {
	s := set(1, 1)
	sel := mustNew(t, RoundRobin, "")
	picks(sel, s, 4)
	s.Servers[0].Weight = 3
	s.Gen++
	count := map[string]int{}
	for _, n := range picks(sel, s, 400) {
		count[n]++
	}
	if diff := cmp.Diff(map[string]int{"s1": 300, "s2": 100}, count); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestFullServersAreSkipped(t *testing.T) {
	for _, alg := range []string{RoundRobin, StaticRR, LeastConn, First, Random} {
		t.Run(alg+" skips a full server", func(t *testing.T) {
			s := set(1, 1)
			s.Servers[0].MaxConn, s.Servers[0].Conns = 1, 1
			sel := mustNew(t, alg, "")
			for i := 0; i < 10; i++ {
				if got := sel.Select(s, netip.Addr{}); got != 1 {
					t.Fatalf("pick %d = %d, want 1", i, got)
				}
			}
			s.Servers[1].MaxConn, s.Servers[1].Conns = 2, 2
			if got := sel.Select(s, netip.Addr{}); got != -1 {
				t.Fatalf("with every server full got %d, want -1", got)
			}
		})
	}
}

func TestFirstFillsServersInOrder(t *testing.T) {
	s := set(1, 1, 1)
	for i := range s.Servers {
		s.Servers[i].MaxConn = 2
	}
	sel := mustNew(t, First, "")
	var got []int
	for i := 0; i < 6; i++ {
		j := sel.Select(s, netip.Addr{})
		s.Servers[j].Conns++
		got = append(got, j)
	}
	if diff := cmp.Diff([]int{0, 0, 1, 1, 2, 2}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestLeastConnPrefersTheLeastLoadedRelativeToWeight(t *testing.T) {
	s := set(1, 2)
	s.Servers[0].Conns = 1 // (1+1)/1 = 2
	s.Servers[1].Conns = 2 // (2+1)/2 = 1.5
	if got := mustNew(t, LeastConn, "").Select(s, netip.Addr{}); got != 1 {
		t.Errorf("got %d, want 1", got)
	}
}

func TestRandomUsesBothServersByWeight(t *testing.T) {
	s := set(1, 1)
	sel := mustNew(t, Random, "")
	count := [2]int{}
	for i := 0; i < 2000; i++ {
		j := sel.Select(s, netip.Addr{})
		count[j]++
		s.Servers[j].Conns++
	}
	if count[0] < 900 || count[1] < 900 {
		t.Errorf("power of two choices should balance load, got %v", count)
	}
}

func TestUnknownAlgorithmIsAnError(t *testing.T) {
	if _, err := New("uri", ""); err == nil {
		t.Error("New(uri) succeeded")
	}
	if _, err := New(Source, "avalanche"); err == nil {
		t.Error("New(source, avalanche) succeeded")
	}
}

// clients returns n distinct IPv4 and IPv6 test addresses.
func clients(n int) []netip.Addr {
	var out []netip.Addr
	for i := 0; i < n; i++ {
		if i%4 == 3 {
			b := netip.MustParseAddr("2001:db8::").As16()
			b[14], b[15] = byte(i>>8), byte(i)
			out = append(out, netip.AddrFrom16(b))
			continue
		}
		out = append(out, netip.AddrFrom4([4]byte{192, 0, 2 + byte(i>>8&1), byte(i)}))
	}
	return out
}

func TestWeightScaleKeepsShares(t *testing.T) {
	for _, alg := range []string{RoundRobin, LeastConn} {
		t.Run(alg+" picks the same servers with scaled weights", func(t *testing.T) {
			k := WeightScale(alg, "")
			if k != SlowStartScale {
				t.Fatalf("WeightScale(%q) = %d, want %d", alg, k, SlowStartScale)
			}
			want := picks(mustNew(t, alg, ""), set(3, 1, 2), 24)
			got := picks(mustNew(t, alg, ""), set(3*k, 1*k, 2*k), 24)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	tests := []struct {
		name      string
		alg, hash string
		want      int
	}{
		{"static round robin is static", StaticRR, "", 0},
		{"map-based source hashing is static", Source, "map-based", 0},
		{"first ignores weights", First, "", 0},
		{"consistent hashing ramps in configured units", Source, "consistent", 1},
		{"maglev ramps in fine steps: its table depends on weight ratios only", Source, "maglev", SlowStartScale},
		{"random is dynamic", Random, "", SlowStartScale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WeightScale(tt.alg, tt.hash); got != tt.want {
				t.Errorf("WeightScale(%q, %q) = %d, want %d", tt.alg, tt.hash, got, tt.want)
			}
		})
	}
}
