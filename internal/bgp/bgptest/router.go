// Package bgptest is a BGP peer for tests without root: a plain GoBGP
// speaker on 127.0.0.1 standing in for the upstream router (the network
// tests use FRR).
package bgptest

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	bgppkt "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"
)

// Router is AS 64500 on 127.0.0.1:Port, passive, accepting a session from
// 127.0.0.1 in AS PeerAS with hold time 3 s.
type Router struct {
	Port int
	srv  *server.BgpServer
}

// PeerAS is the AS the Router expects its neighbor in.
const PeerAS = 64512

// Start runs a Router until the test ends.
func Start(t testing.TB) *Router {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	r := &Router{srv: server.NewBgpServer(), Port: port}
	go r.srv.Serve()
	t.Cleanup(r.srv.Stop)
	ctx := context.Background()
	if err := r.srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: 64500, RouterId: "198.51.100.1", ListenPort: int32(port), ListenAddresses: []string{"127.0.0.1"},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := r.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: "127.0.0.1", PeerAsn: PeerAS},
		Transport: &api.Transport{PassiveMode: true},
		Timers:    &api.Timers{Config: &api.TimersConfig{HoldTime: 3, KeepaliveInterval: 1}},
	}}); err != nil {
		t.Fatal(err)
	}
	return r
}

// Route is what the Router holds for a prefix.
type Route struct {
	Communities []uint32
	MED         uint32
	ASPath      []uint32
}

// Lookup returns the route to pf, or nil.
func (r *Router) Lookup(pf netip.Prefix) *Route {
	var out *Route
	_ = r.srv.ListPath(apiutil.ListPathRequest{TableType: api.TableType_TABLE_TYPE_GLOBAL, Family: bgppkt.RF_IPv4_UC},
		func(nlri bgppkt.NLRI, paths []*apiutil.Path) {
			if nlri.String() != pf.String() {
				return
			}
			for _, p := range paths {
				rt := &Route{}
				for _, a := range p.Attrs {
					switch v := a.(type) {
					case *bgppkt.PathAttributeCommunities:
						rt.Communities = v.Value
					case *bgppkt.PathAttributeMultiExitDisc:
						rt.MED = v.Value
					case *bgppkt.PathAttributeAsPath:
						for _, seg := range v.Value {
							rt.ASPath = append(rt.ASPath, seg.GetAS()...)
						}
					}
				}
				out = rt
			}
		})
	return out
}

// WaitFor polls cond for up to 15 s.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
