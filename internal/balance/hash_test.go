package balance

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAddrHashVectors pins the hash documented in docs/BALANCING.md: a
// change here breaks affinity across a mixed-version pair of nodes.
func TestAddrHashVectors(t *testing.T) {
	want := map[string]uint32{
		"192.0.2.1":        0x4cfd712c,
		"::ffff:192.0.2.1": 0x4cfd712c, // unmapped first: same as 192.0.2.1
		"198.51.100.7":     0x66fd12ca,
		"2001:db8::1":      0xff0fbbef,
	}
	got := map[string]uint32{}
	for a := range want {
		got[a] = AddrHash(netip.MustParseAddr(a))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if got, want := pointHash("s1", 1), uint32(0x2ca27724); got != want {
		t.Errorf("pointHash(s1, 1) = %#08x, want %#08x", got, want)
	}
}

func TestSourceSpreadsByWeight(t *testing.T) {
	for _, hash := range []string{"map-based", "consistent", "maglev"} {
		t.Run(hash+" hashing follows weights", func(t *testing.T) {
			s := set(1, 3)
			sel := mustNew(t, Source, hash)
			count := [2]int{}
			for _, c := range clients(4000) {
				count[sel.Select(s, c)]++
			}
			if count[1] < 2*count[0] || count[1] > 4*count[0] {
				t.Errorf("weights 1:3 gave %v", count)
			}
		})
	}
}

func TestConsistentHashMovesOnlyTheClientsOfARemovedServer(t *testing.T) {
	full := set(1, 2, 1, 1, 3)
	sel := mustNew(t, Source, "consistent")
	before := map[netip.Addr]string{}
	for _, c := range clients(3000) {
		before[c] = full.Servers[sel.Select(full, c)].Name
	}
	removed := "s3"
	less := &Set{Gen: 2}
	for _, s := range full.Servers {
		if s.Name != removed {
			less.Servers = append(less.Servers, s)
		}
	}
	moved := 0
	for c, was := range before {
		now := less.Servers[sel.Select(less, c)].Name
		if was != removed && now != was {
			t.Fatalf("client %v moved from %s to %s although %s stayed", c, was, now, was)
		}
		if was == removed {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no client was on the removed server: test proves nothing")
	}
	// And back: the server returns, its clients return to it.
	for c, was := range before {
		if now := full.Servers[sel.Select(full, c)].Name; now != was {
			t.Fatalf("client %v on %s after the server came back, want %s", c, now, was)
		}
	}
}

const childEnv = "HALO_BALANCE_CHILD"

// sourcePicks is what a process answers for the cross-process test.
func sourcePicks(hash string) string {
	s := set(1, 2, 1, 4)
	sel, _ := New(Source, hash)
	var b strings.Builder
	for _, c := range clients(500) {
		fmt.Fprintf(&b, "%s=%s\n", c, s.Servers[sel.Select(s, c)].Name)
	}
	return b.String()
}

// TestSourceChild is the child half of TestSourceIsTheSameInAnotherProcess.
func TestSourceChild(t *testing.T) {
	hash := os.Getenv(childEnv)
	if hash == "" {
		t.Skip("only runs as a child process")
	}
	fmt.Print(sourcePicks(hash))
}

func TestSourceIsTheSameInAnotherProcess(t *testing.T) {
	for _, hash := range []string{"map-based", "consistent", "maglev"} {
		t.Run(hash+" hashing agrees across processes", func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSourceChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+hash)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			got := strings.TrimSuffix(string(out), "PASS\n")
			if diff := cmp.Diff(sourcePicks(hash), got); diff != "" {
				t.Errorf("child process disagrees (-parent +child)\n%s", diff)
			}
		})
	}
}
