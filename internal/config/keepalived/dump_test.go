package keepalived

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/halo-lb/halo/internal/config/diag"
)

// dump prints a Config in a stable, normalized form for golden files:
// every field, defaults included, so a change of default shows up.
func dump(c *Config) string {
	var b strings.Builder
	w := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	g := c.Global
	w(0, "global_defs")
	w(1, "router_id %q vrrp_version %d v3_pseudo_header %t", g.RouterID, g.VRRPVersion, g.V3PseudoHeader)
	w(1, "garp delay %s repeat %d refresh %s refresh_repeat %d interval %s gna_interval %s",
		g.GarpMasterDelay, g.GarpMasterRepeat, g.GarpMasterRefresh, g.GarpMasterRefreshRepeat, g.GarpInterval, g.GNAInterval)
	w(1, "mcast %s %s", g.McastGroup4, g.McastGroup6)
	w(1, "lower_prio garp delay %s repeat %d higher_prio_send_advert %t", g.GarpLowerPrioDelay, g.GarpLowerPrioRepeat, g.HigherPrioSendAdvert)
	w(1, "script_user %q %q security %t", g.ScriptUser, g.ScriptGroup, g.EnableScriptSecurity)
	names := make([]string, 0, len(c.Scripts))
	for n := range c.Scripts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := c.Scripts[n]
		w(0, "vrrp_script %s at %s:%d", s.Name, s.File, s.Line)
		w(1, "command %q argv %q", s.Command, s.Argv())
		w(1, "interval %s timeout %s weight %d reverse %t rise %d fall %d user %q %q init_fail %t",
			s.Interval, s.Timeout, s.Weight, s.WeightReverse, s.Rise, s.Fall, s.User, s.Group, s.InitFail)
	}
	for _, in := range c.Instances {
		w(0, "vrrp_instance %s at %s:%d family %d sync_group %q", in.Name, in.File, in.Line, in.Family(), in.SyncGroup)
		w(1, "state %s interface %s vrid %d priority %d advert_int %s version %d v3_pseudo_header %t",
			in.InitialState, in.Interface, in.VRID, in.Priority, in.AdvertInt, in.Version, in.V3PseudoHeader)
		w(1, "nopreempt %t preempt_delay %s auth %q %q", in.NoPreempt, in.PreemptDelay, in.AuthType, in.AuthPass)
		w(1, "unicast_src_ip %s mcast_src_ip %s peers %s", addr(in.UnicastSrcIP), addr(in.MulticastSrcIP), addrs(in.UnicastPeers))
		for _, r := range in.PeerTTLs {
			w(1, "peer %s ttl %d..%d", r.Addr, r.Min, r.Max)
		}
		w(1, "garp delay %s repeat %d refresh %s refresh_repeat %d",
			in.GarpMasterDelay, in.GarpMasterRepeat, in.GarpMasterRefresh, in.GarpMasterRefreshRepeat)
		w(1, "lower_prio garp delay %s repeat %d higher_prio_send_advert %t", in.GarpLowerPrioDelay, in.GarpLowerPrioRepeat, in.HigherPrioSendAdvert)
		if in.UseVMAC {
			w(1, "use_vmac %s %s xmit_base %t", in.VMACName, in.VMACAddr, in.VMACXmitBase)
		}
		for _, v := range in.VIPs {
			w(1, "vip %s", vip(v))
		}
		for _, v := range in.ExcludedVIPs {
			w(1, "excluded %s", vip(v))
		}
		trackers(w, in.TrackScripts, in.TrackInterfaces, in.TrackBackends)
		if in.BGPAnnounceVIPs {
			w(1, "bgp_announce_vips")
		}
		notify(w, 1, in.Notify)
	}
	if b := c.BGP; b != nil {
		w(0, "bgp_speaker at %s:%d router_id %s local_as %d listen_port %d graceful_shutdown_delay %s", b.File, b.Line, addr(b.RouterID), b.LocalAS, b.ListenPort, b.GracefulShutdownDelay)
		for _, n := range b.Neighbors {
			w(1, "neighbor %s at line %d remote_as %d hold_time %s connect_retry %s password %q passive %t ebgp_multihop %d local_address %s port %d",
				n.Addr, n.Line, n.RemoteAS, n.HoldTime, n.ConnectRetry, n.Password, n.Passive, n.EBGPMultihop, addr(n.LocalAddress), n.Port)
		}
	}
	for _, a := range c.Announces {
		w(0, "bgp_announce %s at %s:%d prefixes %v communities %x med %d (%t) prepend %d", a.Name, a.File, a.Line, a.Prefixes, a.Attrs.Communities, a.Attrs.MED, a.Attrs.HasMED, a.Attrs.ASPathPrepend)
		trackers(w, a.TrackScripts, a.TrackInterfaces, a.TrackBackends)
	}
	for _, sg := range c.SyncGroups {
		w(0, "vrrp_sync_group %s at %s:%d group %q", sg.Name, sg.File, sg.Line, sg.Group)
		notify(w, 1, sg.Notify)
	}
	return b.String()
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}

func addrs(as []netip.Addr) string {
	if len(as) == 0 {
		return "-"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

func vip(v VIP) string {
	return fmt.Sprintf("%s dev %s label %q brd %s scope %s at %s:%d", v.Prefix, v.Dev, v.Label, addr(v.Brd), v.Scope, v.File, v.Line)
}

func track(t Track) string {
	return fmt.Sprintf("%s weight %d has_weight %t reverse %t at %s:%d", t.Name, t.Weight, t.HasWeight, t.Reverse, t.File, t.Line)
}

func notify(w func(int, string, ...any), indent int, n Notify) {
	for _, kv := range [][2]string{{"master", n.Master}, {"backup", n.Backup}, {"fault", n.Fault}, {"stop", n.Stop}, {"any", n.Any}} {
		if kv[1] != "" {
			w(indent, "notify_%s %q", kv[0], kv[1])
		}
	}
}

// render is the golden form of a parse: diagnostics, a separator, the dump.
func render(c *Config, d diag.List) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.String())
		b.WriteByte('\n')
	}
	b.WriteString("---\n")
	if c == nil {
		b.WriteString("(no config)\n")
	} else {
		b.WriteString(dump(c))
	}
	return b.String()
}

// trackers dumps the track_* lists an instance and a bgp_announce share.
func trackers(w func(int, string, ...any), scripts []TrackScript, ifaces, backends []Track) {
	for _, t := range scripts {
		w(1, "track_script %s (script %t)", track(t.Track), t.Script != nil)
	}
	for _, t := range ifaces {
		w(1, "track_interface %s", track(t))
	}
	for _, t := range backends {
		w(1, "track_backend %s", track(t))
	}
}
