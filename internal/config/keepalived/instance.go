package keepalived

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// instanceRaw keeps what validation needs to know about how an instance was
// written: the statements whose meaning depends on other settings.
type instanceRaw struct {
	advert       *node // advert_int, resolved once the version is known
	advertVal    time.Duration
	version      *node // `version` written in the instance
	state        *node
	priority     *node
	nopreempt    *node
	preemptDelay *node
	authType     *node
	authPass     *node
	vrid         *node
	checksumAsV2 *bool // v3_checksum_as_v2
	// higher_prio_send_advert written in the instance
	higherPrioSendAdvert *bool
	vmac, vmacXmitBase   *node   // use_vmac, vmac_xmit_base; resolved once the VRID and family are known
	peers                []*node // the line of each UnicastPeers entry
	badVIP               bool    // a VIP line was rejected (and reported)
	garpSet              map[string]bool
}

func (p *parser) parseInstance(b *node, name string) {
	c := checker{d: p.d, prefix: "vrrp_instance " + name + ": "}
	for _, old := range p.cfg.Instances {
		if old.Name == name {
			c.errf(b, "defined twice (first at %s:%d)", old.File, old.Line)
			return
		}
	}
	in := &Instance{
		Name:         name,
		File:         b.file,
		Line:         b.line,
		InitialState: StateBackup,
		Priority:     defaultPriority,
		AdvertInt:    defaultAdvertInt,
		Lines:        map[string]int{},
	}
	raw := &instanceRaw{garpSet: map[string]bool{}}
	for _, n := range b.children {
		in.Lines[n.key()] = n.line
		switch n.key() {
		case "state":
			if !c.args(n, 1, 1, "MASTER|BACKUP") {
				continue
			}
			s := strings.ToUpper(n.args[1].text)
			if s != StateMaster && s != StateBackup {
				c.errf(n, "state: %q is neither MASTER nor BACKUP", n.args[1].text)
				continue
			}
			if s != n.args[1].text {
				c.warnf(n, "state: %q taken as %s (keepalived writes it in capitals)", n.args[1].text, s)
			}
			in.InitialState, raw.state = s, n
		case "interface":
			if c.args(n, 1, 1, "<IFNAME>") {
				in.Interface = n.args[1].text
			}
		case "virtual_router_id":
			if v, ok := c.intArg(n, 1, 255); ok {
				in.VRID, raw.vrid = uint8(v), n
			}
		case "priority":
			if v, ok := c.intArg(n, 1, 255); ok {
				in.Priority, raw.priority = uint8(v), n
			}
		case "advert_int":
			if v, ok := c.timerArg(n, time.Microsecond, 255*time.Second); ok {
				raw.advert, raw.advertVal = n, v
			}
		case "version":
			if v, ok := c.intArg(n, 2, 3); ok {
				in.Version, raw.version = v, n
			}
		case "virtual_ipaddress", "virtual_ipaddress_excluded":
			if !c.mustBlock(n) {
				continue
			}
			for _, m := range n.children {
				v, ok := parseVIP(c, m)
				raw.badVIP = raw.badVIP || !ok
				if ok {
					if n.key() == "virtual_ipaddress" {
						in.VIPs = append(in.VIPs, v)
					} else {
						in.ExcludedVIPs = append(in.ExcludedVIPs, v)
					}
				}
			}
		case "nopreempt":
			if c.args(n, 0, 0, "") {
				in.NoPreempt, raw.nopreempt = true, n
			}
		case "virtual_routes":
			in.VirtualRoutes = append(in.VirtualRoutes, parseRoutes(c, n)...)
		case "virtual_rules":
			in.VirtualRules = append(in.VirtualRules, parseRules(c, n)...)
		case "accept":
			c.args(n, 0, 0, "") // halo always accepts the VIPs' traffic on the master
		case "no_accept":
			if c.args(n, 0, 0, "") {
				c.warnf(n, "no_accept is ignored: halo accepts traffic to the VIPs on the master (its own listeners serve them)")
			}
		case "preempt":
			if c.args(n, 0, 0, "") { // the default, written out
				in.NoPreempt, raw.nopreempt = false, nil
			}
		case "preempt_delay":
			if v, ok := c.timerArg(n, 0, 1000*time.Second); ok {
				in.PreemptDelay, raw.preemptDelay = v, n
			}
		case "authentication":
			p.parseAuth(c, n, in, raw)
		case "unicast_src_ip":
			if a, ok := c.addrArg(n); ok {
				in.UnicastSrcIP = a
			}
		case "mcast_src_ip":
			if a, ok := c.addrArg(n); ok {
				in.MulticastSrcIP = a
			}
		case "unicast_peer":
			if !c.mustBlock(n) {
				continue
			}
			for _, m := range n.children {
				if a, ttl, ok := parsePeer(c, m); ok {
					in.UnicastPeers = append(in.UnicastPeers, a)
					raw.peers = append(raw.peers, m)
					if ttl != nil {
						in.PeerTTLs = append(in.PeerTTLs, *ttl)
					}
				}
			}
		case "bgp_announce_vips":
			if c.args(n, 0, 0, "") {
				in.BGPAnnounceVIPs = true
			}
		case "track_script", "track_interface", "track_backend":
			parseTrackBlock(c, n, "", &in.TrackScripts, &in.TrackInterfaces, &in.TrackBackends)
		case "garp_master_delay", "garp_master_refresh":
			if v, ok := c.intArg(n, 0, math.MaxInt32); ok {
				raw.garpSet[n.key()] = true
				if n.key() == "garp_master_delay" {
					in.GarpMasterDelay = time.Duration(v) * time.Second
				} else {
					in.GarpMasterRefresh = time.Duration(v) * time.Second
				}
			}
		case "garp_master_repeat", "garp_master_refresh_repeat":
			if v, ok := c.intArg(n, 1, math.MaxInt32); ok {
				raw.garpSet[n.key()] = true
				if n.key() == "garp_master_repeat" {
					in.GarpMasterRepeat = v
				} else {
					in.GarpMasterRefreshRepeat = v
				}
			}
		case "garp_lower_prio_delay":
			if v, ok := c.intArg(n, 0, math.MaxInt32); ok {
				raw.garpSet[n.key()] = true
				in.GarpLowerPrioDelay = time.Duration(v) * time.Second
			}
		case "garp_lower_prio_repeat":
			if v, ok := c.intArg(n, 0, math.MaxInt32); ok {
				raw.garpSet[n.key()] = true
				in.GarpLowerPrioRepeat = v
			}
		case "higher_prio_send_advert":
			if v, ok := c.boolArg(n); ok {
				raw.higherPrioSendAdvert = &v
			}
		case "use_vmac":
			raw.vmac = n
			in.UseVMAC = true
		case "vmac_xmit_base":
			if c.args(n, 0, 0, "") {
				raw.vmacXmitBase = n
				in.VMACXmitBase = true
			}
		case "v3_checksum_as_v2":
			if v, ok := c.boolArg(n); ok {
				raw.checksumAsV2 = &v
			}
		default:
			if !p.parseNotify(c, n, &in.Notify) && !c.notApplicableKeyword("vrrp_instance", n) {
				c.unknown("vrrp_instance", n)
			}
		}
	}
	p.cfg.Instances = append(p.cfg.Instances, in)
	p.inst[in] = raw
}

func (p *parser) parseAuth(c checker, b *node, in *Instance, raw *instanceRaw) {
	if !c.mustBlock(b) {
		return
	}
	for _, n := range b.children {
		in.Lines[n.key()] = n.line
		switch n.key() {
		case "auth_type":
			if !c.args(n, 1, 1, "PASS|AH") {
				continue
			}
			t := strings.ToUpper(n.args[1].text)
			if t != "PASS" && t != "AH" {
				c.errf(n, "auth_type: %q is neither PASS nor AH", n.args[1].text)
				continue
			}
			in.AuthType, raw.authType = t, n
		case "auth_pass":
			if c.args(n, 1, 1, "<PASSWORD>") {
				in.AuthPass, raw.authPass = n.args[1].text, n
			}
		default:
			c.unknown("authentication", n)
		}
	}
}

// parseVIP reads `ADDR[/PREFIX] [dev X] [label Y] [brd Z] [scope S]`.
func parseVIP(c checker, n *node) (VIP, bool) {
	if !c.notBlock(n) {
		return VIP{}, false
	}
	v := VIP{File: n.file, Line: n.line, Scope: "global"}
	s := n.key()
	var err error
	if strings.Contains(s, "/") {
		v.Prefix, err = netip.ParsePrefix(s)
	} else {
		var a netip.Addr
		a, err = netip.ParseAddr(s)
		if err == nil {
			v.Prefix = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil || v.Prefix.Addr().Zone() != "" {
		c.errf(n, "%q is not an IP address or ADDRESS/PREFIX", s)
		return VIP{}, false
	}
	ok := true
	for i := 1; i < len(n.args); i += 2 {
		opt := n.args[i].text
		if i+1 >= len(n.args) {
			c.errf(n, "%s: %q needs a value", s, opt)
			return VIP{}, false
		}
		val := n.args[i+1].text
		switch opt {
		case "dev":
			v.Dev = val
		case "label":
			v.Label = val
		case "brd":
			a, err := netip.ParseAddr(val)
			if err != nil || !a.Is4() || !v.Prefix.Addr().Is4() {
				c.errf(n, "%s: brd %q is not an IPv4 address for an IPv4 VIP", s, val)
				ok = false
			}
			v.Brd = a
		case "scope":
			if num, err := strconv.Atoi(val); !vipScopes[val] && (err != nil || num < 0 || num > 255) {
				c.errf(n, "%s: scope %q is not global, site, link, host, nowhere or 0..255", s, val)
				ok = false
			}
			v.Scope = val
		default:
			c.errf(n, "%s: unknown option %q (dev, label, brd and scope are supported)", s, opt)
			return VIP{}, false
		}
	}
	return v, ok
}

// parseTrackBlock reads a track_script, track_interface or track_backend
// block into the list of its kind. noWeight, when not "", is why a weight
// is refused there.
func parseTrackBlock(c checker, n *node, noWeight string, scripts *[]TrackScript, ifaces, backends *[]Track) {
	if !c.mustBlock(n) {
		return
	}
	for _, m := range n.children {
		t, ok := parseTrack(c, n.key(), m)
		if !ok {
			continue
		}
		if t.HasWeight && noWeight != "" {
			c.errf(m, "%s %s: %s", n.key(), t.Name, noWeight)
			continue
		}
		switch n.key() {
		case "track_script":
			*scripts = append(*scripts, TrackScript{Track: t})
		case "track_interface":
			*ifaces = append(*ifaces, t)
		default:
			*backends = append(*backends, t)
		}
	}
}

// parseTrack reads `NAME [weight N [reverse]]`.
func parseTrack(c checker, kw string, n *node) (Track, bool) {
	if !c.notBlock(n) {
		return Track{}, false
	}
	t := Track{Name: n.key(), File: n.file, Line: n.line}
	a := n.args[1:]
	if len(a) == 0 {
		return t, true
	}
	if len(a) < 2 || len(a) > 3 || a[0].text != "weight" || (len(a) == 3 && a[2].text != "reverse") {
		c.errf(n, "%s: usage: NAME [weight <-253..253> [reverse]]", kw)
		return Track{}, false
	}
	w, err := strconv.Atoi(a[1].text)
	if err != nil || w < -maxScriptWeight || w > maxScriptWeight {
		c.errf(n, "%s %s: weight %q is not an integer in -253..253", kw, t.Name, a[1].text)
		return Track{}, false
	}
	t.Weight, t.HasWeight, t.Reverse = w, true, len(a) == 3
	return t, true
}
