package e2e

import (
	"net/netip"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/drill"
)

// vrrp_mcast_group4: both nodes advertise to and listen on 224.0.0.19, so
// they elect one master; nothing goes to 224.0.0.18.
func TestMcastGroup4IsHonoured(t *testing.T) {
	s := newSite(t)
	if err := s.StartWebServers(webPort); err != nil {
		t.Fatal(err)
	}
	group, rfc := netip.MustParseAddr("224.0.0.19"), netip.MustParseAddr("224.0.0.18")
	adverts := captureAdverts(t, s.Client, group, rfc)
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond, Global: "  vrrp_mcast_group4 " + group.String() + "\n"}
	haloNode(t, s, 0, pair)
	haloNode(t, s, 1, pair)
	waitHolder(t, s, drill.VIP4, s.LB1, 5*time.Second)
	// lb2 stays backup: it hears lb1 on the configured group.
	stayHolder(t, s, drill.VIP4, s.LB1, 3*masterDown(3, pair.Advert, 98))
	adverts.next(t, drill.Primary(s.LB1), time.Second)
	adverts.mu.Lock()
	defer adverts.mu.Unlock()
	for _, a := range adverts.seen {
		if a.dst != group {
			t.Fatalf("an advert from %v went to %v, want %v", a.src, a.dst, group)
		}
	}
}
