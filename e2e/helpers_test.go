package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/drill"
	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/testutil"
)

// Ports used inside the site's namespaces.
const (
	frontPort = 80
	webPort   = 8080
)

type drillHost = netlab.Host

var siteSeq int

// newSite builds the seed's network for one test and removes it (and every
// process in it) when the test ends, passed or failed.
func newSite(t *testing.T) *drill.Site {
	t.Helper()
	testutil.RequireRoot(t)
	siteSeq++
	s, err := drill.NewSite(fmt.Sprintf("halo-e2e%d", siteSeq))
	if err != nil {
		t.Fatalf("building site: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("cleaning up site: %v", err)
		}
	})
	return s
}

// newLab makes an empty lab of namespaces for one test (needs root; the
// name gets a number of its own) and removes it, with every process in it,
// when the test ends.
func newLab(t *testing.T, name string) *netlab.Lab {
	t.Helper()
	testutil.RequireRoot(t)
	siteSeq++
	lab, err := netlab.New(fmt.Sprintf("%s%d", name, siteSeq))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	return lab
}

// startNode starts a node and, if the test fails, prints its log.
func startNode(t *testing.T, s *drill.Site, node int, spec drill.NodeSpec) *drill.Node {
	t.Helper()
	h := []*drillHost{s.LB1, s.LB2}[node]
	if spec.Kind == drill.Halo && spec.HaloBinary == "" {
		spec.HaloBinary = testutil.HaloBinary(t)
	}
	if spec.Kind == drill.Keepalived {
		testutil.RequireTool(t, "keepalived")
		if spec.HAProxy != "" {
			testutil.RequireTool(t, "haproxy")
		}
	}
	n, err := s.Start(h, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Stop(3 * time.Second)
		if t.Failed() || os.Getenv("HALO_E2E_LOGS") == "1" {
			t.Logf("logs of %s (%s):\n%s", h.Name, spec.Kind, tail(n.Logs(), 60))
		}
	})
	return n
}

func haloNode(t *testing.T, s *drill.Site, node int, p drill.Pair) *drill.Node {
	t.Helper()
	return startNode(t, s, node, drill.NodeSpec{Kind: drill.Halo, Keepalived: p.Keepalived(node), HAProxy: drill.HAProxy(frontPort, webPort)})
}

func keepalivedNode(t *testing.T, s *drill.Site, node int, p drill.Pair) *drill.Node {
	t.Helper()
	return startNode(t, s, node, drill.NodeSpec{Kind: drill.Keepalived, Keepalived: p.Keepalived(node), HAProxy: drill.HAProxy(frontPort, webPort)})
}

// waitHolder waits until exactly holder (lb1 or lb2) holds vip.
func waitHolder(t *testing.T, s *drill.Site, vip netip.Addr, holder *drillHost, timeout time.Duration) time.Duration {
	t.Helper()
	other := s.LB2
	if holder == s.LB2 {
		other = s.LB1
	}
	d, err := drill.WaitAddr(holder, vip, true, timeout)
	if err != nil {
		t.Fatalf("%v (holders now: %v)", err, drill.Holders(vip, s.LB1, s.LB2))
	}
	if _, err := drill.WaitAddr(other, vip, false, timeout); err != nil {
		t.Fatalf("%v (holders now: %v)", err, drill.Holders(vip, s.LB1, s.LB2))
	}
	return d
}

// stayHolder asserts that holder keeps vip, alone, for d.
func stayHolder(t *testing.T, s *drill.Site, vip netip.Addr, holder *drillHost, d time.Duration) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		h := drill.Holders(vip, s.LB1, s.LB2)
		if len(h) != 1 || h[0] != holder.Name {
			t.Fatalf("VIP holders = %v, want only %s", h, holder.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// masterDown is RFC 5798 section 6.1's Master_Down_Interval for a backup of
// priority prio: 3 × advert + skew.
func masterDown(version int, advert time.Duration, prio int) time.Duration {
	skew := time.Duration(256-prio) * time.Second / 256
	if version == 3 {
		skew = time.Duration(256-prio) * advert / 256
	}
	return 3*advert + skew
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// lockedBuffer collects a child process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
