package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	bgppkt "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"

	"github.com/halo-lb/halo/internal/config/keepalived"
)

// CommunityGracefulShutdown is RFC 8326's GRACEFUL_SHUTDOWN (65535:0).
const CommunityGracefulShutdown = 0xFFFF0000

// Route is one prefix to announce and its attributes.
type Route struct {
	Prefix netip.Prefix
	Attrs  keepalived.BGPAttrs
}

// Speaker is one embedded BGP speaker. Create it with New, Run it; Set
// may be called before and while it runs.
type Speaker struct {
	log *slog.Logger

	mu          sync.Mutex // guards everything below and serialises GoBGP path calls
	cfg         *keepalived.BGPSpeaker
	srv         *server.BgpServer // nil unless running
	want        map[string][]Route
	sent        map[netip.Prefix]sentRoute
	gshut       bool // every route carries GRACEFUL_SHUTDOWN
	silent      bool // announce nothing (after the graceful delay of a stop or a maintenance)
	maint       bool // in maintenance (Maintenance until Resume)
	announces   uint64
	withdrawals uint64
	lastErr     string
	lastErrAt   time.Time

	peerMu sync.Mutex
	peers  map[netip.Addr]*peerInfo
}

type sentRoute struct {
	attrs keepalived.BGPAttrs
	gshut bool
}

type peerInfo struct {
	state     string
	up        time.Time // when the session reached ESTABLISHED; zero while down
	lastErr   string
	lastErrAt time.Time
	flaps     uint64
}

// New prepares a speaker for cfg; it opens nothing. A nil log discards.
func New(cfg *keepalived.BGPSpeaker, log *slog.Logger) *Speaker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Speaker{log: log, cfg: cfg, want: map[string][]Route{}, sent: map[netip.Prefix]sentRoute{}, peers: map[netip.Addr]*peerInfo{}}
	for _, nb := range cfg.Neighbors {
		s.peers[nb.Addr] = &peerInfo{state: "idle"}
	}
	return s
}

// Set replaces the routes owner wants announced; nil withdraws them.
func (s *Speaker) Set(owner string, routes []Route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(routes) == 0 {
		delete(s.want, owner)
	} else {
		s.want[owner] = slices.Clone(routes)
	}
	s.reconcileLocked()
}

// Run starts the speaker and serves until ctx is done; then it shuts
// down gracefully (see Shutdown) and closes every session. It returns an
// error only when it cannot start.
func (s *Speaker) Run(ctx context.Context) error {
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	// GoBGP's own lines below warnings repeat what the speaker logs.
	lvl := &slog.LevelVar{}
	lvl.Set(slog.LevelWarn)
	glog := slog.New(minLevel{s.log.Handler(), lvl}).With("part", "gobgp")
	srv := server.NewBgpServer(server.LoggerOption(glog, lvl))
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve()
	}()
	defer func() {
		srv.Stop()
		<-served
	}()
	port := int32(cfg.ListenPort)
	if port == 0 {
		port = -1 // GoBGP: do not listen
	}
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: cfg.LocalAS, RouterId: cfg.RouterID.String(), ListenPort: port,
	}}); err != nil {
		return fmt.Errorf("bgp: start: %w", err)
	}
	// Routes from neighbors are of no use to halo: keep none. GoBGP's
	// import policy also sees the local paths, so those are accepted by
	// route type and everything else falls to the default, reject.
	if err := srv.AddPolicy(ctx, &api.AddPolicyRequest{Policy: &api.Policy{Name: "halo-local-only", Statements: []*api.Statement{{
		Name:       "local",
		Conditions: &api.Conditions{RouteType: api.Conditions_ROUTE_TYPE_LOCAL},
		Actions:    &api.Actions{RouteAction: api.RouteAction_ROUTE_ACTION_ACCEPT},
	}}}}); err != nil {
		s.log.Warn("bgp: import policy not defined", "err", err)
	} else if err := srv.SetPolicyAssignment(ctx, &api.SetPolicyAssignmentRequest{Assignment: &api.PolicyAssignment{
		Name: "global", Direction: api.PolicyDirection_POLICY_DIRECTION_IMPORT,
		Policies:      []*api.Policy{{Name: "halo-local-only"}},
		DefaultAction: api.RouteAction_ROUTE_ACTION_REJECT,
	}}); err != nil {
		s.log.Warn("bgp: import policy not set", "err", err)
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	if err := srv.WatchEvent(watchCtx, server.WatchEventMessageCallbacks{OnPeerUpdate: s.onPeer}, server.WatchPeer()); err != nil {
		return fmt.Errorf("bgp: watch peers: %w", err)
	}
	for _, nb := range cfg.Neighbors {
		if err := srv.AddPeer(ctx, &api.AddPeerRequest{Peer: peerOf(cfg, nb)}); err != nil {
			return fmt.Errorf("%s:%d: bgp_speaker: neighbor %s: %w", nb.File, nb.Line, nb.Addr, err)
		}
	}
	s.mu.Lock()
	s.srv = srv
	s.sent = map[netip.Prefix]sentRoute{}
	s.reconcileLocked()
	s.mu.Unlock()
	s.log.Info("bgp running", "router_id", cfg.RouterID, "local_as", cfg.LocalAS, "neighbors", len(cfg.Neighbors))

	<-ctx.Done()
	s.Shutdown(context.Background())
	s.mu.Lock()
	s.srv = nil
	s.mu.Unlock()
	// The deferred Stop closes every session with a CEASE notification.
	s.log.Info("bgp stopped")
	return nil
}

// Shutdown is the graceful half of a stop: every route is sent again with
// GRACEFUL_SHUTDOWN, and withdrawn graceful_shutdown_delay later (or when
// ctx ends). The speaker then announces nothing until Resume.
func (s *Speaker) Shutdown(ctx context.Context) {
	s.mu.Lock()
	delay := s.cfg.GracefulShutdownDelay
	had := len(s.sent) > 0 && !s.gshut
	s.gshut = true
	s.reconcileLocked()
	s.mu.Unlock()
	if had && delay > 0 {
		s.log.Info("bgp: graceful shutdown: routes sent with GRACEFUL_SHUTDOWN", "withdraw_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	s.mu.Lock()
	s.silent = true
	s.reconcileLocked()
	s.mu.Unlock()
}

// Maintenance withdraws every route gracefully, as Shutdown, for a
// handover, and returns how many it withdrew; the sessions stay up.
// Resume ends it.
func (s *Speaker) Maintenance(ctx context.Context) int {
	s.mu.Lock()
	s.maint = true
	n := len(s.sent)
	s.mu.Unlock()
	s.Shutdown(ctx)
	return n
}

// Resume announces the wanted routes again after Maintenance.
func (s *Speaker) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maint, s.gshut, s.silent = false, false, false
	s.reconcileLocked()
}

// InMaintenance reports whether Maintenance is in force.
func (s *Speaker) InMaintenance() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maint
}

// Reload takes a new bgp_speaker block. Neighbors are added, removed or,
// when their settings changed, re-created; a new router_id, local_as or
// listen_port needs a restart and is refused.
func (s *Speaker) Reload(cfg *keepalived.BGPSpeaker) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cfg
	if cfg.RouterID != old.RouterID || cfg.LocalAS != old.LocalAS || cfg.ListenPort != old.ListenPort {
		return errors.New("bgp_speaker: router_id, local_as and listen_port change only with a restart")
	}
	s.cfg = cfg
	s.peerMu.Lock()
	for _, nb := range cfg.Neighbors {
		if s.peers[nb.Addr] == nil {
			s.peers[nb.Addr] = &peerInfo{state: "idle"}
		}
	}
	for a := range s.peers {
		if neighbor(cfg, a) == nil {
			delete(s.peers, a)
		}
	}
	s.peerMu.Unlock()
	if s.srv == nil {
		return nil
	}
	ctx := context.Background()
	var errs []error
	for _, nb := range old.Neighbors {
		if n := neighbor(cfg, nb.Addr); n == nil || !sameNeighbor(*n, *nb) {
			if err := s.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: nb.Addr.String()}); err != nil {
				errs = append(errs, fmt.Errorf("neighbor %s: %w", nb.Addr, err))
			}
		}
	}
	for _, nb := range cfg.Neighbors {
		if o := neighbor(old, nb.Addr); o == nil || !sameNeighbor(*o, *nb) {
			if err := s.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: peerOf(cfg, nb)}); err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: neighbor %s: %w", nb.File, nb.Line, nb.Addr, err))
			}
		}
	}
	return errors.Join(errs...)
}

func neighbor(cfg *keepalived.BGPSpeaker, a netip.Addr) *keepalived.BGPNeighbor {
	for _, nb := range cfg.Neighbors {
		if nb.Addr == a {
			return nb
		}
	}
	return nil
}

func sameNeighbor(a, b keepalived.BGPNeighbor) bool {
	a.File, a.Line, b.File, b.Line = "", 0, "", 0
	return a == b
}

// peerOf is the GoBGP neighbor of nb.
func peerOf(cfg *keepalived.BGPSpeaker, nb *keepalived.BGPNeighbor) *api.Peer {
	hold := uint64(nb.HoldTime / time.Second)
	fam := &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	if nb.Addr.Is6() {
		fam.Afi = api.Family_AFI_IP6
	}
	p := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: nb.Addr.String(), PeerAsn: nb.RemoteAS, AuthPassword: nb.Password},
		Timers: &api.Timers{Config: &api.TimersConfig{
			HoldTime: hold, KeepaliveInterval: max(hold/3, 1), ConnectRetry: uint64(max(nb.ConnectRetry/time.Second, 1)),
			IdleHoldTimeAfterReset: 1,
		}},
		Transport: &api.Transport{PassiveMode: nb.Passive, RemotePort: uint32(nb.Port)},
		AfiSafis:  []*api.AfiSafi{{Config: &api.AfiSafiConfig{Family: fam, Enabled: true}}},
	}
	if nb.LocalAddress.IsValid() {
		p.Transport.LocalAddress = nb.LocalAddress.String()
	}
	if nb.EBGPMultihop > 0 {
		p.EbgpMultihop = &api.EbgpMultihop{Enabled: true, MultihopTtl: uint32(nb.EBGPMultihop)}
	}
	return p
}

// reconcileLocked makes GoBGP's local RIB the union of the wanted routes
// (none while silent; each with GRACEFUL_SHUTDOWN while gshut). Called
// with s.mu held.
func (s *Speaker) reconcileLocked() {
	if s.srv == nil {
		return
	}
	want := map[netip.Prefix]sentRoute{}
	if !s.silent {
		owners := make([]string, 0, len(s.want))
		for o := range s.want {
			owners = append(owners, o)
		}
		sort.Strings(owners) // the first owner of a prefix gives its attributes
		for _, o := range owners {
			for _, r := range s.want[o] {
				if _, dup := want[r.Prefix]; !dup {
					want[r.Prefix] = sentRoute{attrs: r.Attrs, gshut: s.gshut}
				}
			}
		}
	}
	for pf, sr := range want {
		if old, ok := s.sent[pf]; ok && sameSent(old, sr) {
			continue
		}
		if _, err := s.srv.AddPath(apiutil.AddPathRequest{Paths: []*apiutil.Path{s.path(pf, sr, false)}}); err != nil {
			s.fail(fmt.Errorf("announce %s: %w", pf, err))
			continue
		}
		if _, ok := s.sent[pf]; !ok {
			s.announces++
			s.log.Info("bgp: announce", "prefix", pf, "graceful_shutdown", sr.gshut)
		}
		s.sent[pf] = sr
	}
	for pf, sr := range s.sent {
		if _, ok := want[pf]; ok {
			continue
		}
		if err := s.srv.DeletePath(apiutil.DeletePathRequest{Paths: []*apiutil.Path{s.path(pf, sr, true)}}); err != nil {
			s.fail(fmt.Errorf("withdraw %s: %w", pf, err))
			continue
		}
		delete(s.sent, pf)
		s.withdrawals++
		s.log.Info("bgp: withdraw", "prefix", pf)
	}
}

func sameSent(a, b sentRoute) bool {
	return a.gshut == b.gshut && a.attrs.MED == b.attrs.MED && a.attrs.HasMED == b.attrs.HasMED &&
		a.attrs.ASPathPrepend == b.attrs.ASPathPrepend && slices.Equal(a.attrs.Communities, b.attrs.Communities)
}

func (s *Speaker) fail(err error) {
	s.lastErr, s.lastErrAt = err.Error(), time.Now()
	s.log.Warn("bgp: " + err.Error())
}

// path is the GoBGP path of pf: origin IGP, next hop self, the attributes.
func (s *Speaker) path(pf netip.Prefix, sr sentRoute, withdraw bool) *apiutil.Path {
	nlri, _ := bgppkt.NewIPAddrPrefix(pf)
	fam := bgppkt.RF_IPv4_UC
	attrs := []bgppkt.PathAttributeInterface{bgppkt.NewPathAttributeOrigin(bgppkt.BGP_ORIGIN_ATTR_TYPE_IGP)}
	if pf.Addr().Is4() {
		nh, _ := bgppkt.NewPathAttributeNextHop(netip.IPv4Unspecified())
		attrs = append(attrs, nh)
	} else {
		fam = bgppkt.RF_IPv6_UC
		mp, _ := bgppkt.NewPathAttributeMpReachNLRI(fam, []bgppkt.PathNLRI{{NLRI: nlri}}, netip.IPv6Unspecified())
		attrs = append(attrs, mp)
	}
	if n := sr.attrs.ASPathPrepend; n > 0 {
		as := make([]uint32, n)
		for i := range as {
			as[i] = s.cfg.LocalAS
		}
		attrs = append(attrs, bgppkt.NewPathAttributeAsPath([]bgppkt.AsPathParamInterface{bgppkt.NewAs4PathParam(bgppkt.BGP_ASPATH_ATTR_TYPE_SEQ, as)}))
	}
	if sr.attrs.HasMED {
		attrs = append(attrs, bgppkt.NewPathAttributeMultiExitDisc(sr.attrs.MED))
	}
	comms := slices.Clone(sr.attrs.Communities)
	if sr.gshut && !slices.Contains(comms, CommunityGracefulShutdown) {
		comms = append(comms, CommunityGracefulShutdown)
	}
	if len(comms) > 0 {
		attrs = append(attrs, bgppkt.NewPathAttributeCommunities(comms))
	}
	return &apiutil.Path{Family: fam, Nlri: nlri, Attrs: attrs, Withdrawal: withdraw}
}

// onPeer records a neighbor's session state.
func (s *Speaker) onPeer(ev *apiutil.WatchEventMessage_PeerEvent, at time.Time) {
	if ev.Type != apiutil.PEER_EVENT_STATE {
		return
	}
	a := ev.Peer.State.NeighborAddress
	if !a.IsValid() {
		a = ev.Peer.Conf.NeighborAddress
	}
	st := fsmName(ev.Peer.State.SessionState)
	s.peerMu.Lock()
	p := s.peers[a]
	if p == nil {
		s.peerMu.Unlock()
		return
	}
	was := p.state
	p.state = st
	switch {
	case st == "established" && was != "established":
		p.up = at
	case st != "established" && was == "established":
		p.up = time.Time{}
		p.flaps++
		msg := ev.Peer.State.DisconnectMessage
		if msg == "" {
			msg = disconnectName(ev.Peer.State.DisconnectReason)
		}
		p.lastErr, p.lastErrAt = msg, at
	}
	s.peerMu.Unlock()
	if st != was && (st == "established" || was == "established") {
		s.log.Info("bgp: neighbor "+st, "neighbor", a, "was", was)
	}
}

func fsmName(st bgppkt.FSMState) string {
	switch st {
	case bgppkt.BGP_FSM_IDLE:
		return "idle"
	case bgppkt.BGP_FSM_CONNECT:
		return "connect"
	case bgppkt.BGP_FSM_ACTIVE:
		return "active"
	case bgppkt.BGP_FSM_OPENSENT:
		return "opensent"
	case bgppkt.BGP_FSM_OPENCONFIRM:
		return "openconfirm"
	case bgppkt.BGP_FSM_ESTABLISHED:
		return "established"
	}
	return "unknown"
}

func disconnectName(r api.PeerState_DisconnectReason) string {
	if r == api.PeerState_DISCONNECT_REASON_UNSPECIFIED {
		return "session closed"
	}
	return r.String()
}

// minLevel drops records below its level.
type minLevel struct {
	slog.Handler
	min slog.Leveler
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min.Level() && h.Handler.Enabled(ctx, l)
}

func (h minLevel) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.min.Level() {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
