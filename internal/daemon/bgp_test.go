package daemon

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/bgp/bgptest"
)

// bgpConf announces 192.0.2.50/32 while backend web has a server up, and
// VI_1's VIP while it is MASTER, to a bgptest.Router on loopback.
func bgpConf(port int) string {
	return keepalivedConf(100) + fmt.Sprintf(`
bgp_speaker {
    router_id 198.51.100.11
    local_as %d
    graceful_shutdown_delay 0.3
    neighbor 127.0.0.1 {
        remote_as 64500
        hold_time 3
        connect_retry 1
        port %d
        local_address 127.0.0.1
    }
}
bgp_announce WEB {
    prefix 192.0.2.50/32
    track_backend {
        web
    }
}
`, bgptest.PeerAS, port)
}

func TestBGPFollowsTrackersAndVRRP(t *testing.T) {
	r := bgptest.Start(t)
	a := startEcho(t, "a")
	front, statsAt := freePort(t), freePort(t)
	ka := strings.Replace(bgpConf(r.Port), "    track_backend {\n        web\n    }\n}\n", "    track_backend {\n        web\n    }\n    bgp_announce_vips\n}\n", 1)
	s := newSite(t, haproxyCfg(front, statsAt, a.addr()), ka, withSocket)
	web, vip := netip.MustParsePrefix("192.0.2.50/32"), netip.MustParsePrefix("192.0.2.100/32")
	s.waitState("MASTER", 3*time.Second)
	bgptest.WaitFor(t, "both routes at the router", func() bool { return r.Lookup(web) != nil && r.Lookup(vip) != nil })
	if !slices.ContainsFunc(s.vips.Held(), func(h string) bool { return strings.Contains(h, "192.0.2.50/32") && strings.Contains(h, "lo") }) {
		t.Errorf("192.0.2.50/32 is not on lo: %v", s.vips.Held())
	}
	out := s.query("halo.sock", "show bgp")
	for _, want := range []string{"router-id 198.51.100.11", "127.0.0.1", "established", "bgp_announce WEB", "vrrp_instance VI_1", "192.0.2.50/32"} {
		if !strings.Contains(out, want) {
			t.Errorf("show bgp lacks %q:\n%s", want, out)
		}
	}

	// A reload moves the announced prefix, on lo and at the router.
	moved := netip.MustParsePrefix("192.0.2.51/32")
	s.write(haproxyCfg(front, statsAt, a.addr()), strings.Replace(ka, "prefix 192.0.2.50/32", "prefix 192.0.2.51/32", 1))
	if err := s.d.Reload(); err != nil {
		t.Fatal(err)
	}
	bgptest.WaitFor(t, "the moved prefix", func() bool { return r.Lookup(moved) != nil && r.Lookup(web) == nil })
	if h := strings.Join(s.vips.Held(), " "); strings.Contains(h, "192.0.2.50/32") || !strings.Contains(h, "192.0.2.51/32") {
		t.Errorf("lo after the reload: %v", h)
	}
	web = moved

	a.ln.Close() // the only server goes DOWN: WEB withdraws, VI_1 goes to FAULT
	bgptest.WaitFor(t, "both withdrawn", func() bool { return r.Lookup(web) == nil && r.Lookup(vip) == nil })
	snap := s.d.Snapshot().BGP
	if snap == nil || len(snap.Owners) != 2 || snap.Owners[0].Announce || !strings.Contains(snap.Owners[0].Reason, "track_backend web down") ||
		snap.Owners[1].Announce || snap.Owners[1].Reason != "not MASTER" {
		t.Fatalf("owners after the backend failed: %+v", snap)
	}

	s.stop()
	if slices.ContainsFunc(s.vips.Held(), func(h string) bool { return strings.Contains(h, "192.0.2.51") }) {
		t.Errorf("192.0.2.51/32 left on lo after the stop: %v", s.vips.Held())
	}
}
