package bgp

import (
	"context"
	"net/netip"
	"slices"
	"time"

	api "github.com/osrg/gobgp/v4/api"

	"github.com/halo-lb/halo/internal/stats"
)

// Snapshot is the speaker's state for the status views; owners are
// filled in by the caller, which knows why each one announces or not.
func (s *Speaker) Snapshot() *stats.BGP {
	s.mu.Lock()
	cfg := s.cfg
	out := &stats.BGP{
		RouterID: cfg.RouterID.String(), LocalAS: cfg.LocalAS,
		Maintenance: s.maint, GracefulShutdown: s.gshut && len(s.sent) > 0,
		Announces: s.announces, Withdrawals: s.withdrawals,
		LastError: s.lastErr, LastErrorAt: s.lastErrAt,
	}
	pfs := make([]netip.Prefix, 0, len(s.sent))
	for pf := range s.sent {
		pfs = append(pfs, pf)
	}
	srv := s.srv
	s.mu.Unlock()
	slices.SortFunc(pfs, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	for _, pf := range pfs {
		out.Announced = append(out.Announced, pf.String())
	}
	adv := map[string]uint64{}
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = srv.ListPeer(ctx, &api.ListPeerRequest{EnableAdvertised: true}, func(p *api.Peer) {
			var n uint64
			for _, af := range p.GetAfiSafis() {
				n += af.GetState().GetAdvertised()
			}
			adv[p.GetConf().GetNeighborAddress()] = n
		})
		cancel()
	}
	s.peerMu.Lock()
	for _, nb := range cfg.Neighbors {
		p := s.peers[nb.Addr]
		if p == nil {
			continue
		}
		out.Neighbors = append(out.Neighbors, stats.BGPNeighbor{
			Address: nb.Addr.String(), RemoteAS: nb.RemoteAS, State: p.state, Since: p.up,
			Flaps: p.flaps, Advertised: adv[nb.Addr.String()], LastError: p.lastErr, LastErrorAt: p.lastErrAt,
		})
	}
	s.peerMu.Unlock()
	return out
}
