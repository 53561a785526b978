package bgp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/bgp/bgptest"
	"github.com/halo-lb/halo/internal/config/keepalived"
)

func speakerConfig(port int, delay time.Duration) *keepalived.BGPSpeaker {
	return &keepalived.BGPSpeaker{
		RouterID: netip.MustParseAddr("198.51.100.11"), LocalAS: 64512, GracefulShutdownDelay: delay,
		Neighbors: []*keepalived.BGPNeighbor{{
			Addr: netip.MustParseAddr("127.0.0.1"), RemoteAS: 64500, HoldTime: 3 * time.Second,
			ConnectRetry: time.Second, Port: port, LocalAddress: netip.MustParseAddr("127.0.0.1"),
		}},
	}
}

func TestSpeakerAnnouncesWithdrawsAndShutsDownGracefully(t *testing.T) {
	r := bgptest.Start(t)
	s := New(speakerConfig(r.Port, 700*time.Millisecond), nil)
	vip := netip.MustParsePrefix("192.0.2.100/32")
	s.Set("bgp_announce WEB", []Route{{Prefix: vip, Attrs: keepalived.BGPAttrs{Communities: []uint32{64512<<16 | 7}, MED: 10, HasMED: true, ASPathPrepend: 2}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	bgptest.WaitFor(t, "the route at the router", func() bool { return r.Lookup(vip) != nil })
	got := r.Lookup(vip)
	if !slices.Equal(got.Communities, []uint32{64512<<16 | 7}) || got.MED != 10 || !slices.Equal(got.ASPath, []uint32{64512, 64512, 64512}) {
		t.Fatalf("route attributes: %+v", got)
	}
	snap := s.Snapshot()
	if len(snap.Neighbors) != 1 || snap.Neighbors[0].State != "established" || snap.Neighbors[0].Since.IsZero() {
		t.Fatalf("neighbor status: %+v", snap.Neighbors)
	}
	if !slices.Equal(snap.Announced, []string{"192.0.2.100/32"}) || snap.Announces != 1 {
		t.Fatalf("announced: %+v", snap)
	}

	s.Set("bgp_announce WEB", nil)
	bgptest.WaitFor(t, "the withdraw", func() bool { return r.Lookup(vip) == nil })
	if snap := s.Snapshot(); snap.Withdrawals != 1 || len(snap.Announced) != 0 {
		t.Fatalf("after withdraw: %+v", snap)
	}

	s.Set("bgp_announce WEB", []Route{{Prefix: vip}})
	bgptest.WaitFor(t, "the route again", func() bool { return r.Lookup(vip) != nil })
	start := time.Now()
	cancel()
	bgptest.WaitFor(t, "GRACEFUL_SHUTDOWN", func() bool {
		g := r.Lookup(vip)
		return g != nil && slices.Contains(g.Communities, CommunityGracefulShutdown)
	})
	bgptest.WaitFor(t, "the withdraw at stop", func() bool { return r.Lookup(vip) == nil })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	if el := time.Since(start); el < 700*time.Millisecond {
		t.Fatalf("withdrawn %v after the stop, before graceful_shutdown_delay", el)
	}
}

func TestSpeakerMaintenanceAndResume(t *testing.T) {
	r := bgptest.Start(t)
	s := New(speakerConfig(r.Port, 0), nil)
	vip := netip.MustParsePrefix("192.0.2.100/32")
	s.Set("a", []Route{{Prefix: vip}})
	s.Set("b", []Route{{Prefix: vip}}) // two owners, one route
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	bgptest.WaitFor(t, "the route", func() bool { return r.Lookup(vip) != nil })
	s.Maintenance(context.Background())
	bgptest.WaitFor(t, "the maintenance withdraw", func() bool { return r.Lookup(vip) == nil })
	s.Set("a", nil)
	if !s.InMaintenance() || r.Lookup(vip) != nil {
		t.Fatal("a change during maintenance announced")
	}
	s.Resume()
	bgptest.WaitFor(t, "the route after resume (owner b)", func() bool { return r.Lookup(vip) != nil })
	if st := s.Snapshot(); st.Maintenance || len(st.Announced) != 1 {
		t.Fatal(fmt.Sprintf("after resume: %+v", st))
	}
}
