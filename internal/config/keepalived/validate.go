package keepalived

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// VRRP limits on the advertisement interval.
const (
	maxAdvertV2   = 255 * time.Second            // RFC 3768 section 5.3.7: 8-bit seconds
	maxAdvertV3   = 4095 * 10 * time.Millisecond // RFC 5798 section 5.2.7: 12-bit centiseconds
	advertV3Tick  = 10 * time.Millisecond
	authPassBytes = 8 // RFC 2338 section 5.3.10: the authentication data is 8 bytes
)

// validate resolves settings that depend on each other (version, advert
// interval, inherited defaults, script references) and checks the
// instances against each other.
func (p *parser) validate() {
	g := &p.cfg.Global
	if !p.globalSet["vrrp_garp_lower_prio_delay"] {
		g.GarpLowerPrioDelay = g.GarpMasterDelay // keepalived.conf(5): defaults to vrrp_garp_master_delay
	}
	if !p.globalSet["vrrp_garp_lower_prio_repeat"] {
		g.GarpLowerPrioRepeat = g.GarpMasterRepeat // defaults to vrrp_garp_master_repeat
	}
	for _, in := range p.cfg.Instances {
		p.validateInstance(in, p.inst[in])
	}
	p.checkVRIDs()
	p.checkSharedVIPs()
	p.validateSyncGroups()
	p.checkHAProxyProcessScripts()
	p.validateBGP()
}

// checkHAProxyProcessScripts warns about the seed article's
// `killall -0 haproxy`: under halo there is no haproxy process, so such a
// script always fails — and even with haproxy it only proves a process
// exists, not that it can serve. track_backend says what is meant.
func (p *parser) checkHAProxyProcessScripts() {
	for _, name := range sortedKeys(p.cfg.Scripts) {
		s := p.cfg.Scripts[name]
		argv := s.Argv()
		if len(argv) == 0 || !strings.Contains(s.Command, "haproxy") {
			continue
		}
		switch filepath.Base(argv[0]) {
		case "killall", "pidof", "pgrep", "pkill":
		default:
			continue
		}
		// The weight that matters is the one in force where the script is
		// tracked: a `track_script { NAME weight N }` overrides the script's.
		var effects []string
		for _, in := range p.cfg.Instances {
			for _, ts := range in.TrackScripts {
				if ts.Name == name && ts.HasWeight {
					effects = append(effects, fmt.Sprintf("in vrrp_instance %s with weight %d: %s", in.Name, ts.Weight, weightEffect(ts.Weight)))
				}
			}
		}
		if len(effects) == 0 {
			effects = []string{fmt.Sprintf("with weight %d: %s", s.Weight, weightEffect(s.Weight))}
		}
		p.d.Warnf(s.File, s.Line, "vrrp_script %s: %q looks for an haproxy process; with halo as the proxy none runs, so it fails (%s); use track_backend { BACKEND } in the vrrp_instance to follow the backends' health instead",
			name, s.Command, strings.Join(effects, "; "))
	}
}

func weightEffect(w int) string {
	switch {
	case w > 0:
		return fmt.Sprintf("its +%d is never added", w)
	case w < 0:
		return fmt.Sprintf("%d is always subtracted", w)
	}
	return "the instance stays in FAULT"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (p *parser) validateInstance(in *Instance, raw *instanceRaw) {
	c := checker{d: p.d, prefix: "vrrp_instance " + in.Name + ": "}
	block := &node{file: in.File, line: in.Line}
	g := p.cfg.Global

	if in.Interface == "" {
		c.errf(block, "no interface: add `interface IFNAME` (where the adverts go)")
	}
	p.checkVIPs(c, block, in, raw)

	// Version: the instance's, else the global one; IPv6 is VRRPv3 only.
	if raw.version == nil {
		in.Version = g.VRRPVersion
	}
	if in.Family() == 6 && in.Version == 2 {
		if raw.version != nil {
			c.warnf(raw.version, "version 2 is IPv4 only (RFC 3768); this IPv6 instance runs VRRPv3")
		}
		in.Version = 3
	}
	in.V3PseudoHeader = g.V3PseudoHeader
	if raw.checksumAsV2 != nil {
		in.V3PseudoHeader = !*raw.checksumAsV2
	}
	p.resolveAdvertInt(c, in, raw)

	if in.Priority == 255 {
		msg := "priority 255 makes this node the address owner (RFC 3768/5798): it takes over at once, tracking never lowers it, and nopreempt/preempt_delay do not apply; use it only on the node whose own interface address is the VIP"
		c.warnf(raw.priority, "%s", msg)
	}
	if in.InitialState == StateMaster {
		if raw.nopreempt != nil {
			c.warnf(raw.nopreempt, "nopreempt is only honoured with state BACKUP; ignored with state MASTER (as keepalived does)")
			in.NoPreempt = false
		}
		if raw.preemptDelay != nil && in.PreemptDelay > 0 {
			c.warnf(raw.preemptDelay, "preempt_delay is only honoured with state BACKUP; ignored with state MASTER (as keepalived does)")
			in.PreemptDelay = 0
		}
	}
	p.checkAuth(c, in, raw)
	p.checkUnicast(c, block, in, raw)
	p.checkVMAC(c, in, raw)
	p.resolveTracks(c, in)

	// GARP settings not written in the instance come from global_defs.
	if !raw.garpSet["garp_master_delay"] {
		in.GarpMasterDelay = g.GarpMasterDelay
	}
	if !raw.garpSet["garp_master_repeat"] {
		in.GarpMasterRepeat = g.GarpMasterRepeat
	}
	if !raw.garpSet["garp_master_refresh"] {
		in.GarpMasterRefresh = g.GarpMasterRefresh
	}
	if !raw.garpSet["garp_master_refresh_repeat"] {
		in.GarpMasterRefreshRepeat = g.GarpMasterRefreshRepeat
	}
	if !raw.garpSet["garp_lower_prio_delay"] {
		in.GarpLowerPrioDelay = g.GarpLowerPrioDelay
	}
	if !raw.garpSet["garp_lower_prio_repeat"] {
		in.GarpLowerPrioRepeat = g.GarpLowerPrioRepeat
	}
	in.HigherPrioSendAdvert = g.HigherPrioSendAdvert
	if raw.higherPrioSendAdvert != nil {
		in.HigherPrioSendAdvert = *raw.higherPrioSendAdvert
	}
}

// checkVIPs requires VIPs of one family and fills in each VIP's device.
func (p *parser) checkVIPs(c checker, block *node, in *Instance, raw *instanceRaw) {
	if len(in.VIPs) == 0 && !raw.badVIP {
		c.errf(block, "no virtual_ipaddress: an instance needs at least one VIP")
	}
	for i, v := range in.VIPs {
		if v.Prefix.Addr().Is4() != in.VIPs[0].Prefix.Addr().Is4() {
			c.errf(&node{file: v.File, line: v.Line}, "%s and %s in one virtual_ipaddress: VRRP carries one address family per instance; put the other family in virtual_ipaddress_excluded or in its own vrrp_instance",
				in.VIPs[0].Prefix, v.Prefix)
		}
		if v.Dev == "" {
			in.VIPs[i].Dev = in.Interface
		}
	}
	seen := map[netip.Addr]int{}
	for _, list := range [][]VIP{in.VIPs, in.ExcludedVIPs} {
		for _, v := range list {
			if first, dup := seen[v.Prefix.Addr()]; dup {
				c.warnf(&node{file: v.File, line: v.Line}, "VIP %s listed twice (first on line %d)", v.Prefix.Addr(), first)
			} else {
				seen[v.Prefix.Addr()] = v.Line
			}
		}
	}
	for i, v := range in.ExcludedVIPs {
		if v.Dev == "" {
			in.ExcludedVIPs[i].Dev = in.Interface
		}
	}
}

// resolveAdvertInt applies the version's granularity: whole seconds for
// VRRPv2, centiseconds for VRRPv3, rounding up with a warning.
func (p *parser) resolveAdvertInt(c checker, in *Instance, raw *instanceRaw) {
	if raw.advert == nil {
		return // default 1s suits both versions
	}
	v, n := raw.advertVal, raw.advert
	if in.Version == 2 {
		r := (v + time.Second - 1).Truncate(time.Second)
		switch {
		case v < time.Second:
			c.warnf(n, "advert_int %s is below 1s, which VRRPv2 cannot carry (whole seconds): using 1s; use version 3 for shorter intervals", seconds(v))
		case r != v:
			c.warnf(n, "advert_int %s is not whole seconds, which VRRPv2 needs: rounded up to %s (keepalived would round to the nearest)", seconds(v), seconds(r))
		}
		if r > maxAdvertV2 {
			c.errf(n, "advert_int %s is above VRRPv2's maximum of 255s", seconds(v))
		}
		in.AdvertInt = r
		return
	}
	r := (v + advertV3Tick - 1).Truncate(advertV3Tick)
	if r != v {
		c.warnf(n, "advert_int %s is not a whole number of centiseconds, which VRRPv3 needs: rounded up to %s", seconds(v), seconds(r))
	}
	if r > maxAdvertV3 {
		c.errf(n, "advert_int %s is above VRRPv3's maximum of 40.95s", seconds(v))
	}
	in.AdvertInt = r
}

func (p *parser) checkAuth(c checker, in *Instance, raw *instanceRaw) {
	switch {
	case in.AuthType == "" && in.AuthPass == "":
		return
	case in.Version == 3:
		n := raw.authType
		if n == nil {
			n = raw.authPass
		}
		c.warnf(n, "authentication is ignored with VRRPv3, which has none (RFC 5798), as keepalived does")
		in.AuthType, in.AuthPass = "", ""
	case in.AuthType == "":
		c.warnf(raw.authPass, "auth_pass without auth_type: ignored, adverts are not authenticated")
		in.AuthPass = ""
	case in.AuthPass == "":
		c.errf(raw.authType, "auth_type %s without auth_pass", in.AuthType)
	case len(in.AuthPass) > authPassBytes:
		cut := in.AuthPass[:authPassBytes]
		c.warnf(raw.authPass, "auth_pass is %d characters; VRRP carries 8, so only the first 8 are used: %q (as keepalived does; the peer must match them)",
			len(in.AuthPass), cut)
		in.AuthPass = cut
	}
}

func (p *parser) checkUnicast(c checker, block *node, in *Instance, raw *instanceRaw) {
	fam := in.Family()
	if fam == 0 {
		return
	}
	wrong := func(a netip.Addr) bool { return a.IsValid() && (a.Is4() != (fam == 4)) }
	lineOf := func(kw string) *node {
		if l, ok := in.Lines[kw]; ok {
			return &node{file: in.File, line: l}
		}
		return block
	}
	if wrong(in.UnicastSrcIP) {
		c.errf(lineOf("unicast_src_ip"), "unicast_src_ip %s is not IPv%d like the VIPs", in.UnicastSrcIP, fam)
	}
	if wrong(in.MulticastSrcIP) {
		c.errf(lineOf("mcast_src_ip"), "mcast_src_ip %s is not IPv%d like the VIPs", in.MulticastSrcIP, fam)
	}
	seen := map[netip.Addr]bool{}
	for i, a := range in.UnicastPeers {
		at := raw.peers[i]
		if wrong(a) {
			c.errf(at, "unicast_peer %s is not IPv%d like the VIPs", a, fam)
		}
		if seen[a] {
			c.warnf(at, "unicast_peer %s listed twice", a)
		}
		seen[a] = true
	}
}

// resolveTracks links track_script lines to their vrrp_script and fills in
// the script's weight where the line has none.
func (p *parser) resolveTracks(c checker, in *Instance) {
	for i := range in.TrackScripts {
		t := &in.TrackScripts[i]
		s := p.cfg.Scripts[t.Name]
		if s == nil {
			c.errf(&node{file: t.File, line: t.Line}, "track_script %s: no vrrp_script of that name", t.Name)
			continue
		}
		t.Script = s
		if !t.HasWeight {
			t.Weight, t.Reverse = s.Weight, s.WeightReverse
		}
	}
	type ref struct {
		kw, name, file string
		line           int
	}
	var refs []ref
	for _, t := range in.TrackScripts {
		refs = append(refs, ref{"track_script", t.Name, t.File, t.Line})
	}
	for _, t := range in.TrackInterfaces {
		refs = append(refs, ref{"track_interface", t.Name, t.File, t.Line})
	}
	for _, t := range in.TrackBackends {
		refs = append(refs, ref{"track_backend", t.Name, t.File, t.Line})
	}
	seen := map[[2]string]bool{}
	for _, r := range refs {
		k := [2]string{r.kw, r.name}
		if seen[k] {
			c.warnf(&node{file: r.file, line: r.line}, "%s %s listed twice", r.kw, r.name)
		}
		seen[k] = true
	}
}

// checkVRIDs rejects two instances with one VRID on one interface and
// family: they would be the same virtual router (RFC 5798 section 3).
func (p *parser) checkVRIDs() {
	type key struct {
		iface string
		fam   int
		vrid  uint8
	}
	first := map[key]*Instance{}
	for _, in := range p.cfg.Instances {
		if in.VRID == 0 {
			if _, written := in.Lines["virtual_router_id"]; written {
				continue // reported as invalid already
			}
			c := checker{d: p.d, prefix: "vrrp_instance " + in.Name + ": "}
			c.errf(&node{file: in.File, line: in.Line}, "no virtual_router_id: add `virtual_router_id 1..255`, the same on every node of the pair")
			continue
		}
		k := key{in.Interface, in.Family(), in.VRID}
		if other, dup := first[k]; dup {
			p.d.Errorf(in.File, lineOr(in, "virtual_router_id"), "vrrp_instance %s: virtual_router_id %d is already used on %s for IPv%d by vrrp_instance %s (%s:%d)",
				in.Name, in.VRID, in.Interface, in.Family(), other.Name, other.File, lineOr(other, "virtual_router_id"))
			continue
		}
		first[k] = in
	}
}

// checkSharedVIPs warns when two instances manage one address: whichever
// goes BACKUP last removes it.
func (p *parser) checkSharedVIPs() {
	owner := map[netip.Addr]*Instance{}
	for _, in := range p.cfg.Instances {
		for _, list := range [][]VIP{in.VIPs, in.ExcludedVIPs} {
			for _, v := range list {
				a := v.Prefix.Addr()
				if o, dup := owner[a]; dup && o != in {
					p.d.Warnf(v.File, v.Line, "vrrp_instance %s: VIP %s is also managed by vrrp_instance %s; they will fight over it", in.Name, a, o.Name)
					continue
				}
				owner[a] = in
			}
		}
	}
}

func (p *parser) validateSyncGroups() {
	member := map[string]*SyncGroup{}
	for _, g := range p.cfg.SyncGroups {
		c := checker{d: p.d, prefix: "vrrp_sync_group " + g.Name + ": "}
		at := &node{file: g.File, line: g.Line}
		for _, name := range g.Group {
			in := p.cfg.Instance(name)
			switch other := member[name]; {
			case in == nil:
				c.errf(at, "group: no vrrp_instance named %s", name)
			case other == g:
				c.warnf(at, "group: %s listed twice", name)
			case other != nil:
				c.errf(at, "group: vrrp_instance %s is already in vrrp_sync_group %s", name, other.Name)
			default:
				member[name] = g
				in.SyncGroup = g.Name
			}
		}
	}
}

// lineOr is the line of keyword kw in the instance, or of its block.
func lineOr(in *Instance, kw string) int {
	if l, ok := in.Lines[kw]; ok {
		return l
	}
	return in.Line
}
