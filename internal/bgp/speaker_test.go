package bgp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	bgppkt "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"

	"github.com/halo-lb/halo/internal/config/keepalived"
)

// router is a plain GoBGP speaker on 127.0.0.1 standing in for the
// upstream router (the e2e tests use FRR).
type router struct {
	srv  *server.BgpServer
	port int
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startRouter(t *testing.T) *router {
	t.Helper()
	r := &router{srv: server.NewBgpServer(), port: freePort(t)}
	go r.srv.Serve()
	t.Cleanup(r.srv.Stop)
	ctx := context.Background()
	if err := r.srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: 64500, RouterId: "198.51.100.1", ListenPort: int32(r.port), ListenAddresses: []string{"127.0.0.1"},
	}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.srv.StopBgp(context.Background(), &api.StopBgpRequest{}) })
	if err := r.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: "127.0.0.1", PeerAsn: 64512},
		Transport: &api.Transport{PassiveMode: true},
		Timers:    &api.Timers{Config: &api.TimersConfig{HoldTime: 3, KeepaliveInterval: 1}},
	}}); err != nil {
		t.Fatal(err)
	}
	return r
}

// seen is what the router holds for a prefix: nil when nothing.
type seen struct {
	communities []uint32
	med         uint32
	asPath      []uint32
}

func (r *router) lookup(pf netip.Prefix) *seen {
	var out *seen
	_ = r.srv.ListPath(apiutil.ListPathRequest{TableType: api.TableType_TABLE_TYPE_GLOBAL, Family: bgppkt.RF_IPv4_UC},
		func(nlri bgppkt.NLRI, paths []*apiutil.Path) {
			if nlri.String() != pf.String() {
				return
			}
			for _, p := range paths {
				s := &seen{}
				for _, a := range p.Attrs {
					switch v := a.(type) {
					case *bgppkt.PathAttributeCommunities:
						s.communities = v.Value
					case *bgppkt.PathAttributeMultiExitDisc:
						s.med = v.Value
					case *bgppkt.PathAttributeAsPath:
						for _, seg := range v.Value {
							s.asPath = append(s.asPath, seg.GetAS()...)
						}
					}
				}
				out = s
			}
		})
	return out
}

func (r *router) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

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
	r := startRouter(t)
	s := New(speakerConfig(r.port, 700*time.Millisecond), nil)
	vip := netip.MustParsePrefix("192.0.2.100/32")
	s.Set("bgp_announce WEB", []Route{{Prefix: vip, Attrs: keepalived.BGPAttrs{Communities: []uint32{64512<<16 | 7}, MED: 10, HasMED: true, ASPathPrepend: 2}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	r.waitFor(t, "the route at the router", func() bool { return r.lookup(vip) != nil })
	got := r.lookup(vip)
	if !slices.Equal(got.communities, []uint32{64512<<16 | 7}) || got.med != 10 || !slices.Equal(got.asPath, []uint32{64512, 64512, 64512}) {
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
	r.waitFor(t, "the withdraw", func() bool { return r.lookup(vip) == nil })
	if snap := s.Snapshot(); snap.Withdrawals != 1 || len(snap.Announced) != 0 {
		t.Fatalf("after withdraw: %+v", snap)
	}

	s.Set("bgp_announce WEB", []Route{{Prefix: vip}})
	r.waitFor(t, "the route again", func() bool { return r.lookup(vip) != nil })
	start := time.Now()
	cancel()
	r.waitFor(t, "GRACEFUL_SHUTDOWN", func() bool {
		g := r.lookup(vip)
		return g != nil && slices.Contains(g.communities, CommunityGracefulShutdown)
	})
	r.waitFor(t, "the withdraw at stop", func() bool { return r.lookup(vip) == nil })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	if el := time.Since(start); el < 700*time.Millisecond {
		t.Fatalf("withdrawn %v after the stop, before graceful_shutdown_delay", el)
	}
}

func TestSpeakerMaintenanceAndResume(t *testing.T) {
	r := startRouter(t)
	s := New(speakerConfig(r.port, 0), nil)
	vip := netip.MustParsePrefix("192.0.2.100/32")
	s.Set("a", []Route{{Prefix: vip}})
	s.Set("b", []Route{{Prefix: vip}}) // two owners, one route
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	r.waitFor(t, "the route", func() bool { return r.lookup(vip) != nil })
	s.Maintenance(context.Background())
	r.waitFor(t, "the maintenance withdraw", func() bool { return r.lookup(vip) == nil })
	s.Set("a", nil)
	if !s.InMaintenance() || r.lookup(vip) != nil {
		t.Fatal("a change during maintenance announced")
	}
	s.Resume()
	r.waitFor(t, "the route after resume (owner b)", func() bool { return r.lookup(vip) != nil })
	if st := s.Snapshot(); st.Maintenance || len(st.Announced) != 1 {
		t.Fatal(fmt.Sprintf("after resume: %+v", st))
	}
}
