package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/track"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/halo-lb/halo/internal/vrrp"
)

// vrrpPart is the keepalived.conf half: one raw socket per interface and
// address family, one state machine per vrrp_instance, and the trackers that
// move their priority.
type vrrpPart struct {
	cfg    *keepalived.Config
	log    *slog.Logger
	proxy  *proxyPart // nil without haproxy.cfg; source of track_backend
	vips   *vip.Manager
	notify *notifier

	conns     map[connKey]*vrrp.Conn
	instances []*instance
	byConn    map[connKey]map[uint8]*instance
	scripts   map[string]*track.Script
	groups    []*syncGroup
	multicast map[connKey]bool
}

type connKey struct {
	iface  string
	family int
}

func newVRRPPart(cfg *keepalived.Config, proxy *proxyPart, log *slog.Logger) (*vrrpPart, error) {
	v := &vrrpPart{
		cfg: cfg, log: log, proxy: proxy,
		vips:    vip.NewManager(log),
		notify:  newNotifier(log),
		conns:   map[connKey]*vrrp.Conn{},
		byConn:  map[connKey]map[uint8]*instance{},
		scripts: map[string]*track.Script{},
	}
	for name, s := range cfg.Scripts {
		argv, err := keepalived.SplitCommand(s.Command)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: vrrp_script %s: %w", s.File, s.Line, name, err)
		}
		v.scripts[name] = &track.Script{Name: name, Argv: argv, Interval: s.Interval, Timeout: s.Timeout, Rise: s.Rise, Fall: s.Fall}
	}
	// One socket serves every instance on an interface and family: it joins
	// the group if any of them advertises by multicast.
	v.multicast = map[connKey]bool{}
	for _, ic := range cfg.Instances {
		if len(ic.UnicastPeers) == 0 {
			v.multicast[connKey{ic.Interface, ic.Family()}] = true
		}
	}
	for _, ic := range cfg.Instances {
		in, err := newInstance(v, ic)
		if err != nil {
			v.closeConns()
			return nil, err
		}
		v.instances = append(v.instances, in)
	}
	for _, g := range cfg.SyncGroups {
		v.groups = append(v.groups, newSyncGroup(v, g))
	}
	return v, nil
}

// conn returns the shared raw socket for an interface and family.
func (v *vrrpPart) conn(ic *keepalived.Instance) (*vrrp.Conn, connKey, error) {
	k := connKey{ic.Interface, ic.Family()}
	if c, ok := v.conns[k]; ok {
		return c, k, nil
	}
	src := ic.SrcIP()
	c, err := vrrp.Listen(k.family, k.iface, vrrp.ListenOptions{SrcIP: src, Multicast: v.multicast[k], NoPseudoHeader: !ic.V3PseudoHeader})
	if err != nil {
		return nil, k, fmt.Errorf("vrrp_instance %s: %w", ic.Name, err)
	}
	v.conns[k] = c
	v.byConn[k] = map[uint8]*instance{}
	return c, k, nil
}

func (v *vrrpPart) closeConns() {
	for _, c := range v.conns {
		c.Close()
	}
}

// Run starts every instance, its trackers and the receive loops, and on ctx
// done shuts the instances down (priority 0, VIPs released) before closing
// the sockets.
func (v *vrrpPart) Run(ctx context.Context) error {
	defer v.closeConns()
	go v.notify.run()
	defer v.notify.close()

	// A crash may have left VIPs behind; keepalived removes them at start
	// too, and a master adds them back within one transition.
	for _, in := range v.instances {
		in.releaseVIPs("startup cleanup")
	}
	v.primeTrackers(ctx)

	var wg sync.WaitGroup
	instCtx, stopInstances := context.WithCancel(ctx)
	defer stopInstances()
	for _, in := range v.instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.router.Run(instCtx)
		}()
	}
	// Trackers and receivers stop only after the instances have shut down,
	// so a late advert still reaches a router that is releasing.
	auxCtx, stopAux := context.WithCancel(context.WithoutCancel(ctx))
	var aux sync.WaitGroup
	v.startTrackers(auxCtx, &aux)
	for k, c := range v.conns {
		aux.Add(1)
		go func() {
			defer aux.Done()
			v.receive(k, c)
		}()
	}
	wg.Wait()
	var handovers sync.WaitGroup
	for _, in := range v.instances {
		handovers.Go(in.handOver)
	}
	handovers.Wait()
	for _, in := range v.instances {
		in.stopAnnouncing()
	}
	v.logCounters()
	stopAux()
	v.closeConns()
	aux.Wait()
	return nil
}

// receive hands valid adverts to the instance owning their VRID until the
// socket is closed. The Conn already dropped (and counted) packets with a
// bad TTL, length, version, type or checksum.
func (v *vrrpPart) receive(k connKey, c *vrrp.Conn) {
	for {
		r, err := c.Read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
				return
			}
			v.log.Debug("vrrp read", "iface", k.iface, "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		in := v.byConn[k][r.Packet.VRID]
		if in == nil {
			continue // another router's VRID on the same link: normal
		}
		in.receive(r)
	}
}

// primeTrackers runs every script once so instances start with a known
// priority instead of electing on a guess.
func (v *vrrpPart) primeTrackers(ctx context.Context) {
	var wg sync.WaitGroup
	results := make(map[string]bool, len(v.scripts))
	var mu sync.Mutex
	for name, s := range v.scripts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.RunOnce(ctx)
			mu.Lock()
			results[name] = err == nil
			mu.Unlock()
		}()
	}
	wg.Wait()
	for name, ok := range results {
		v.setTracked("script", name, ok)
	}
	for _, in := range v.instances {
		for _, ifname := range in.watchedLinks() {
			up, err := track.LinkUp(ifname)
			if err != nil {
				v.log.Warn("tracked interface", "iface", ifname, "err", err)
			}
			v.setTracked("iface", ifname, up)
		}
		if v.proxy != nil {
			for _, tb := range in.cfg.TrackBackends {
				v.setTracked("backend", tb.Name, v.proxy.BackendUp(tb.Name))
			}
		}
	}
}

func (v *vrrpPart) startTrackers(ctx context.Context, wg *sync.WaitGroup) {
	for name, s := range v.scripts {
		initial := v.trackedState("script", name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Run(ctx, initial, func(good bool, err error) {
				v.log.Info("vrrp_script changed", "script", name, "state", goodWord(good), "err", err)
				v.setTracked("script", name, good)
			})
		}()
	}
	var links []string
	seen := map[string]bool{}
	for _, in := range v.instances {
		for _, l := range in.watchedLinks() {
			if !seen[l] {
				seen[l] = true
				links = append(links, l)
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := track.WatchLinks(ctx, links, func(name string, up bool) {
			v.log.Info("tracked interface changed", "iface", name, "state", goodWord(up))
			v.setTracked("iface", name, up)
		})
		if err != nil {
			v.log.Error("interface tracking stopped", "err", err)
		}
	}()
	if v.proxy != nil {
		v.proxy.OnBackendChange(func(backend string, up bool) {
			v.log.Info("tracked backend changed", "backend", backend, "state", goodWord(up))
			v.setTracked("backend", backend, up)
		})
	}
}

// setTracked records a tracker's verdict in every instance that tracks it.
func (v *vrrpPart) setTracked(kind, name string, good bool) {
	for _, in := range v.instances {
		in.setTracked(kind, name, good)
	}
	for _, g := range v.groups {
		g.update()
	}
}

func (v *vrrpPart) trackedState(kind, name string) bool {
	for _, in := range v.instances {
		if good, ok := in.trackedState(kind, name); ok {
			return good
		}
	}
	return false
}

func goodWord(good bool) string {
	if good {
		return "UP"
	}
	return "DOWN"
}

// primaryAddr is the address an instance uses for the equal-priority
// tie-break: the configured unicast source, else the socket's source.
func primaryAddr(ic *keepalived.Instance, c *vrrp.Conn) netip.Addr {
	if ic.UnicastSrcIP.IsValid() {
		return ic.UnicastSrcIP
	}
	return c.PrimaryAddr()
}

// logCounters reports, at stop, the packets each socket and instance
// refused, so a user can see that malformed or foreign adverts arrived.
// (The control socket will show them live.)
func (v *vrrpPart) logCounters() {
	for k, c := range v.conns {
		n := c.Counters()
		v.log.Info("vrrp socket counters", "iface", k.iface, "family", k.family,
			"received", n.Received, "sent", n.Sent, "send_errors", n.SendErrors,
			"bad_ttl", n.BadTTL, "bad_version", n.BadVersion, "bad_type", n.BadType,
			"bad_length", n.BadLength, "bad_checksum", n.BadChecksum, "other_interface", n.OtherInterface)
	}
	for _, in := range v.instances {
		in.mu.Lock()
		d := in.drops
		in.mu.Unlock()
		st := in.router.Status()
		in.log.Info("vrrp instance counters", "adverts_sent", st.AdvertsSent, "adverts_received", st.AdvertsReceived,
			"dropped_auth", d.auth, "dropped_version", d.version, "dropped_interval", d.interval)
	}
}
