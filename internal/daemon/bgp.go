package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"

	"github.com/halo-lb/halo/internal/bgp"
	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/stats"
	"github.com/halo-lb/halo/internal/track"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/halo-lb/halo/internal/vrouter"
	"github.com/halo-lb/halo/internal/vrrpd"
)

// bgpPart decides what the BGP speaker announces: each bgp_announce
// block's prefixes while all its trackers are good (the trackers run in
// the VRRP router, which owns every vrrp_script and track), and the VIPs of
// each vrrp_instance with bgp_announce_vips while it is MASTER. It also
// keeps the bgp_announce prefixes on lo, so the node accepts their traffic.
type bgpPart struct {
	log     *slog.Logger
	speaker *bgp.Speaker
	router  *vrrpd.Router
	addrs   vrrpd.Addresses

	mu      sync.Mutex
	cfg     *keepalived.Config
	masters map[string]bool           // vrrp_instance name -> MASTER now
	owners  map[string]stats.BGPOwner // last evaluation, by owner name
	onLo    []netip.Prefix            // bgp_announce prefixes this part added to lo
}

func newBGPPart(ka *keepalived.Config, router *vrrpd.Router, addrs vrrpd.Addresses, log *slog.Logger) *bgpPart {
	if addrs == nil {
		addrs = vip.NewManager(nil)
	}
	b := &bgpPart{log: log, speaker: bgp.New(ka.BGP, log), router: router, addrs: addrs, cfg: ka,
		masters: map[string]bool{}, owners: map[string]stats.BGPOwner{}}
	router.WatchVerdicts(b.evaluate)
	router.Subscribe(func(e vrrpd.Event) {
		b.mu.Lock()
		b.masters[e.Instance] = e.To == vrouter.Master
		b.mu.Unlock()
		b.evaluate()
	})
	b.evaluate()
	return b
}

// Run adds the prefixes to lo, runs the speaker until ctx ends (its stop
// is graceful: GRACEFUL_SHUTDOWN, then withdraw) and removes them.
func (b *bgpPart) Run(ctx context.Context) error {
	b.mu.Lock()
	b.syncLoLocked(b.cfg)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.syncLoLocked(&keepalived.Config{})
		b.mu.Unlock()
	}()
	return b.speaker.Run(ctx)
}

// loAddress is how a bgp_announce prefix sits on lo.
func loAddress(pf netip.Prefix) vip.Address { return vip.Address{Prefix: pf, Dev: "lo"} }

// syncLoLocked makes the prefixes on lo those of cfg's bgp_announce blocks.
func (b *bgpPart) syncLoLocked(cfg *keepalived.Config) {
	var want []netip.Prefix
	for _, a := range cfg.Announces {
		want = append(want, a.Prefixes...)
	}
	var kept []netip.Prefix
	for _, pf := range b.onLo {
		if slices.Contains(want, pf) {
			kept = append(kept, pf)
			continue
		}
		if err := b.addrs.Delete(loAddress(pf)); err != nil {
			b.log.Warn("bgp: removing a prefix from lo", "prefix", pf, "err", err)
		}
	}
	for _, pf := range want {
		if slices.Contains(kept, pf) {
			continue
		}
		if has, err := b.addrs.Has(loAddress(pf)); err == nil && has {
			kept = append(kept, pf) // there already (a crash, or the admin): ours from now on
			continue
		}
		if err := b.addrs.Add(loAddress(pf)); err != nil {
			b.log.Error("bgp: adding a prefix to lo", "prefix", pf, "err", err)
			continue
		}
		kept = append(kept, pf)
	}
	b.onLo = kept
}

// evaluate recomputes every owner's wish and tells the speaker.
func (b *bgpPart) evaluate() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.evaluateLocked()
}

func (b *bgpPart) evaluateLocked() {
	cfg := b.cfg
	seen := map[string]bool{}
	for _, a := range cfg.Announces {
		name := "bgp_announce " + a.Name
		seen[name] = true
		reason := b.announceBlocker(a)
		b.set(name, a.Prefixes, a.Attrs, reason)
	}
	for _, in := range cfg.Instances {
		if !in.BGPAnnounceVIPs {
			continue
		}
		name := "vrrp_instance " + in.Name
		seen[name] = true
		var pfs []netip.Prefix
		for _, v := range in.VIPs {
			a := v.Prefix.Addr()
			pfs = append(pfs, netip.PrefixFrom(a, a.BitLen())) // a host route: the VIP, not its subnet
		}
		reason := ""
		if !b.masters[in.Name] {
			reason = "not MASTER"
		}
		b.set(name, pfs, keepalived.BGPAttrs{}, reason)
	}
	for name := range b.owners {
		if !seen[name] {
			delete(b.owners, name)
			b.speaker.Set(name, nil)
		}
	}
}

// set records one owner's wish: announce pfs unless reason says why not.
func (b *bgpPart) set(name string, pfs []netip.Prefix, attrs keepalived.BGPAttrs, reason string) {
	o := stats.BGPOwner{Name: name, Announce: reason == "", Reason: reason}
	for _, pf := range pfs {
		o.Prefixes = append(o.Prefixes, pf.String())
	}
	if old, ok := b.owners[name]; ok && old.Announce != o.Announce {
		b.log.Info("bgp: "+name+": "+announceWord(o.Announce), "reason", reason)
	}
	b.owners[name] = o
	if !o.Announce {
		b.speaker.Set(name, nil)
		return
	}
	routes := make([]bgp.Route, len(pfs))
	for i, pf := range pfs {
		routes[i] = bgp.Route{Prefix: pf, Attrs: attrs}
	}
	b.speaker.Set(name, routes)
}

func announceWord(yes bool) string {
	if yes {
		return "announce"
	}
	return "withdraw"
}

// announceBlocker names the first tracker of a that is not good, or "".
func (b *bgpPart) announceBlocker(a *keepalived.BGPAnnounce) string {
	check := func(kind track.Kind, word string, ts []keepalived.Track) string {
		for _, t := range ts {
			up, known := b.router.Verdict(track.Key{Kind: kind, Name: t.Name})
			switch {
			case !known:
				return fmt.Sprintf("%s %s not known yet", word, t.Name)
			case !up:
				return fmt.Sprintf("%s %s down", word, t.Name)
			}
		}
		return ""
	}
	scripts := make([]keepalived.Track, len(a.TrackScripts))
	for i, t := range a.TrackScripts {
		scripts[i] = t.Track
	}
	for _, r := range []string{
		check(track.KindScript, "track_script", scripts),
		check(track.KindInterface, "track_interface", a.TrackInterfaces),
		check(track.KindBackend, "track_backend", a.TrackBackends),
	} {
		if r != "" {
			return r
		}
	}
	return ""
}

// apply takes a reloaded configuration.
func (b *bgpPart) apply(ka *keepalived.Config) ([]string, error) {
	if ka.BGP == nil {
		return nil, fmt.Errorf("bgp_speaker removed: stopping BGP needs a restart")
	}
	if err := b.speaker.Reload(ka.BGP); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg = ka
	b.syncLoLocked(ka)
	b.evaluateLocked()
	return []string{"bgp: configuration applied"}, nil
}

// snapshot is the speaker's status with the owners' wishes.
func (b *bgpPart) snapshot() *stats.BGP {
	s := b.speaker.Snapshot()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range b.cfg.Announces {
		s.Owners = append(s.Owners, b.owners["bgp_announce "+a.Name])
	}
	for _, in := range b.cfg.Instances {
		if o, ok := b.owners["vrrp_instance "+in.Name]; ok {
			s.Owners = append(s.Owners, o)
		}
	}
	return s
}
