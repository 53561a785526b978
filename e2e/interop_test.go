package e2e

import (
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/drill"
)

// halo and Debian's keepalived, given the same keepalived.conf, elect one
// master between them in both roles, and fail over in both directions.
func TestInteropWithKeepalived(t *testing.T) {
	pairs := []struct {
		name string
		pair drill.Pair
	}{
		{"VRRPv2 with PASS authentication", drill.Pair{Version: 2, Advert: time.Second, AuthPass: "1cee4b6e-2cdc-48bf-83b2-01a96d1593e4"}},
		{"VRRPv3", drill.Pair{Version: 3, Advert: 100 * time.Millisecond}},
		{"VRRPv3 to unicast peers", drill.Pair{Version: 3, Advert: 100 * time.Millisecond, Unicast: true}},
		{"VRRPv3 over IPv6", drill.Pair{Version: 3, Advert: 100 * time.Millisecond, VIPs: []netip.Addr{drill.VIP6}}},
	}
	roles := []struct {
		name   string
		master drill.Kind
		backup drill.Kind
	}{
		{"halo master and keepalived backup", drill.Halo, drill.Keepalived},
		{"keepalived master and halo backup", drill.Keepalived, drill.Halo},
	}
	for _, pc := range pairs {
		for _, rc := range roles {
			t.Run(pc.name+"/"+rc.name, func(t *testing.T) {
				s := newSite(t)
				vip := pc.pair.VIPs0()
				start := func(node int, kind drill.Kind) *drill.Node {
					return startNode(t, s, node, drill.NodeSpec{Kind: kind, Keepalived: pc.pair.Keepalived(node)})
				}
				master := start(0, rc.master)
				// The backup starts once the master holds the VIP: started
				// together, both leave their startup wait at about the
				// same moment and both hold the VIP for one advert, which
				// is VRRP, not a fault of either.
				if _, err := drill.WaitAddr(s.LB1, vip, true, 5*time.Second); err != nil {
					t.Fatal(err)
				}
				start(1, rc.backup)
				waitHolder(t, s, vip, s.LB1, 5*time.Second)
				// The backup must really be listening and agreeing: the
				// master keeps the VIP alone through several adverts.
				stayHolder(t, s, vip, s.LB1, 4*pc.pair.Advert+200*time.Millisecond)

				want := masterDown(pc.pair.Version, pc.pair.Advert, 98)
				at := time.Now()
				master.Signal(syscall.SIGKILL)
				master.Wait(5 * time.Second)
				if _, err := drill.WaitAddr(s.LB2, vip, true, 3*want); err != nil {
					t.Fatal(err)
				}
				took := time.Since(at)
				t.Logf("%s killed: %s took the VIP after %v (master-down interval %v)", rc.master, rc.backup, took, want)
				if took > want+pc.pair.Advert+300*time.Millisecond {
					t.Errorf("takeover took %v, want about %v", took, want)
				}

				// The old master's software comes back and preempts.
				master = start(0, rc.master)
				waitHolder(t, s, vip, s.LB1, 5*time.Second+want)

				// A clean stop hands over at once (priority 0).
				at = time.Now()
				master.Signal(syscall.SIGTERM)
				if _, err := drill.WaitAddr(s.LB2, vip, true, 3*want); err != nil {
					t.Fatal(err)
				}
				took = time.Since(at)
				t.Logf("%s stopped: %s took the VIP after %v", rc.master, rc.backup, took)
				if took > want {
					t.Errorf("handover after SIGTERM took %v, want well under the master-down interval %v", took, want)
				}
			})
		}
	}
}
