package keepalived

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// BGP defaults (halo's own keywords; see docs/COMPATIBILITY.md).
const (
	defaultBGPHoldTime        = 90 * time.Second // RFC 4271 section 10
	defaultBGPConnectRetry    = 5 * time.Second
	defaultGracefulShutdown   = 3 * time.Second
	defaultBGPPort            = 179
	defaultEBGPMultihopTTL    = 255
	maxASPathPrepend          = 10
	minBGPHoldTime            = 3 * time.Second // RFC 4271 section 4.2: 0 or at least 3 s
	maxBGPHoldTime            = 65535 * time.Second
	maxGracefulShutdownDelay  = 10 * time.Minute
	maxBGPConnectRetry        = time.Hour
	communityGracefulShutdown = 0xFFFF0000 // RFC 8326
)

// wellKnownCommunities are the names accepted in `communities`.
var wellKnownCommunities = map[string]uint32{
	"graceful-shutdown":   communityGracefulShutdown,
	"blackhole":           0xFFFF029A, // RFC 7999
	"no-export":           0xFFFFFF01, // RFC 1997
	"no-advertise":        0xFFFFFF02,
	"no-export-subconfed": 0xFFFFFF03,
	"local-as":            0xFFFFFF03,
	"no-peer":             0xFFFFFF04, // RFC 3765
}

func (p *parser) parseBGPSpeaker(b *node) {
	c := checker{d: p.d, prefix: "bgp_speaker: "}
	if old := p.cfg.BGP; old != nil {
		c.errf(b, "defined twice (first at %s:%d): one speaker per node", old.File, old.Line)
		return
	}
	s := &BGPSpeaker{File: b.file, Line: b.line, GracefulShutdownDelay: defaultGracefulShutdown, ListenPort: -1}
	for _, n := range b.children {
		switch n.key() {
		case "router_id":
			if a, ok := c.addrArg(n); ok {
				if !a.Is4() {
					c.errf(n, "router_id: %s is not an IPv4 address (a BGP identifier is 32 bits)", a)
				} else {
					s.RouterID = a
				}
			}
		case "local_as":
			if v, ok := c.asArg(n); ok {
				s.LocalAS = v
			}
		case "listen_port":
			if v, ok := c.intArg(n, 0, 65535); ok {
				s.ListenPort = v
			}
		case "graceful_shutdown_delay":
			if v, ok := c.timerArg(n, 0, maxGracefulShutdownDelay); ok {
				s.GracefulShutdownDelay = v
			}
		case "neighbor":
			if nb, ok := p.parseNeighbor(c, n); ok {
				for _, old := range s.Neighbors {
					if old.Addr == nb.Addr {
						c.errf(n, "neighbor %s defined twice (first at line %d)", nb.Addr, old.Line)
						ok = false
					}
				}
				if ok {
					s.Neighbors = append(s.Neighbors, nb)
				}
			}
		default:
			c.unknown("bgp_speaker", n)
		}
	}
	if !s.RouterID.IsValid() {
		c.errf(b, "no router_id: add `router_id IPV4-ADDRESS` (this node's BGP identifier)")
	}
	if s.LocalAS == 0 {
		c.errf(b, "no local_as: add `local_as ASN`")
	}
	if len(s.Neighbors) == 0 {
		c.errf(b, "no neighbor: add `neighbor ADDRESS { remote_as ASN }`")
	}
	if s.ListenPort < 0 {
		s.ListenPort = 0
		for _, nb := range s.Neighbors {
			if nb.Passive {
				s.ListenPort = defaultBGPPort
			}
		}
	}
	p.cfg.BGP = s
}

func (p *parser) parseNeighbor(sc checker, b *node) (*BGPNeighbor, bool) {
	if len(b.args) != 2 || !b.block {
		sc.errf(b, "usage: neighbor ADDRESS { remote_as ASN ... }")
		return nil, false
	}
	a, ok := sc.addrValue(b, b.args[1].text)
	if !ok {
		return nil, false
	}
	c := checker{d: p.d, prefix: sc.prefix + "neighbor " + a.String() + ": "}
	nb := &BGPNeighbor{Addr: a, File: b.file, Line: b.line, HoldTime: defaultBGPHoldTime, ConnectRetry: defaultBGPConnectRetry}
	for _, n := range b.children {
		switch n.key() {
		case "remote_as":
			if v, ok := c.asArg(n); ok {
				nb.RemoteAS = v
			}
		case "hold_time":
			if v, ok := c.intArg(n, 0, int(maxBGPHoldTime/time.Second)); ok {
				if d := time.Duration(v) * time.Second; d != 0 && d < minBGPHoldTime {
					c.errf(n, "hold_time: %d is neither 0 nor at least 3 seconds (RFC 4271 section 4.2)", v)
				} else {
					nb.HoldTime = d
				}
			}
		case "connect_retry":
			if v, ok := c.timerArg(n, time.Second, maxBGPConnectRetry); ok {
				nb.ConnectRetry = v
			}
		case "password":
			if c.args(n, 1, 1, "<STRING>") {
				if pw := n.args[1].text; len(pw) > 80 { // TCP_MD5SIG_MAXKEYLEN
					c.errf(n, "password: %d bytes, at most 80", len(pw))
				} else {
					nb.Password = pw
				}
			}
		case "passive":
			if c.args(n, 0, 0, "") {
				nb.Passive = true
			}
		case "ebgp_multihop":
			if !c.args(n, 0, 1, "[TTL 1..255]") {
				continue
			}
			nb.EBGPMultihop = defaultEBGPMultihopTTL
			if len(n.args) == 2 {
				if v, ok := c.intValue(n, n.args[1].text, 1, 255); ok {
					nb.EBGPMultihop = v
				}
			}
		case "port":
			if v, ok := c.intArg(n, 1, 65535); ok {
				nb.Port = v
			}
		case "local_address":
			if la, ok := c.addrArg(n); ok {
				nb.LocalAddress = la
			}
		default:
			c.unknown("neighbor", n)
		}
	}
	if nb.RemoteAS == 0 {
		c.errf(b, "no remote_as: add `remote_as ASN`")
	}
	if nb.LocalAddress.IsValid() && nb.LocalAddress.Is4() != a.Is4() {
		c.errf(b, "local_address %s and the neighbor are not of one address family", nb.LocalAddress)
	}
	return nb, true
}

func (p *parser) parseBGPAnnounce(b *node, name string) {
	c := checker{d: p.d, prefix: "bgp_announce " + name + ": "}
	for _, old := range p.cfg.Announces {
		if old.Name == name {
			c.errf(b, "defined twice (first at %s:%d)", old.File, old.Line)
			return
		}
	}
	a := &BGPAnnounce{Name: name, File: b.file, Line: b.line}
	sawPrefix := false // a bad prefix line has its own error
	for _, n := range b.children {
		switch n.key() {
		case "prefix":
			sawPrefix = true
			if !c.args(n, 1, 1, "ADDRESS/LENGTH") {
				continue
			}
			pf, err := netip.ParsePrefix(n.args[1].text)
			if err != nil {
				// A bare address means a host route, as in virtual_ipaddress.
				if ad, aerr := netip.ParseAddr(n.args[1].text); aerr == nil && ad.Zone() == "" {
					pf, err = netip.PrefixFrom(ad, ad.BitLen()), nil
				}
			}
			switch {
			case err != nil:
				c.errf(n, "prefix: %q is not an ADDRESS/LENGTH", n.args[1].text)
			case pf.Masked() != pf:
				c.errf(n, "prefix: %s has host bits set (the network is %s)", pf, pf.Masked())
			default:
				a.Prefixes = append(a.Prefixes, pf)
			}
		case "track_script", "track_interface", "track_backend":
			parseTrackBlock(c, n, "a tracker in bgp_announce takes no weight (any failed tracker withdraws the prefixes)",
				&a.TrackScripts, &a.TrackInterfaces, &a.TrackBackends)
		case "communities":
			if !c.args(n, 1, 32, "ASN:VALUE|no-export|... ...") {
				continue
			}
			for _, w := range n.words() {
				if v, ok := parseCommunity(w); ok {
					a.Attrs.Communities = append(a.Attrs.Communities, v)
				} else {
					c.errf(n, "communities: %q is neither ASN:VALUE (each 0..65535) nor a well-known community name", w)
				}
			}
		case "med":
			if v, ok := c.intArg(n, 0, math.MaxUint32); ok {
				a.Attrs.MED, a.Attrs.HasMED = uint32(v), true
			}
		case "as_path_prepend":
			if v, ok := c.intArg(n, 0, maxASPathPrepend); ok {
				a.Attrs.ASPathPrepend = v
			}
		default:
			c.unknown("bgp_announce", n)
		}
	}
	if !sawPrefix {
		c.errf(b, "no prefix: add `prefix ADDRESS/LENGTH`")
	}
	p.cfg.Announces = append(p.cfg.Announces, a)
}

// parseCommunity reads "ASN:VALUE" or a well-known name (RFC 1997).
func parseCommunity(s string) (uint32, bool) {
	if v, ok := wellKnownCommunities[strings.ToLower(s)]; ok {
		return v, true
	}
	hi, lo, ok := strings.Cut(s, ":")
	if !ok {
		return 0, false
	}
	h, err1 := strconv.ParseUint(hi, 10, 16)
	l, err2 := strconv.ParseUint(lo, 10, 16)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return uint32(h)<<16 | uint32(l), true
}

// asArg reads an AS number, plain (1..4294967295) or asdot ("1.10").
func (c checker) asArg(n *node) (uint32, bool) {
	if !c.args(n, 1, 1, "<ASN 1..4294967295>") {
		return 0, false
	}
	s := n.args[1].text
	var v uint64
	var err error
	if hi, lo, dot := strings.Cut(s, "."); dot {
		var h, l uint64
		if h, err = strconv.ParseUint(hi, 10, 16); err == nil {
			if l, err = strconv.ParseUint(lo, 10, 16); err == nil {
				v = h<<16 | l
			}
		}
	} else {
		v, err = strconv.ParseUint(s, 10, 32)
	}
	if err != nil || v == 0 {
		c.errf(n, "%s: %q is not an AS number in 1..4294967295", n.key(), s)
		return 0, false
	}
	return uint32(v), true
}

// validateBGP checks the BGP blocks against each other and the rest.
func (p *parser) validateBGP() {
	cfg := p.cfg
	for _, a := range cfg.Announces {
		c := checker{d: p.d, prefix: "bgp_announce " + a.Name + ": "}
		if cfg.BGP == nil {
			c.errf(&node{file: a.File, line: a.Line}, "no bgp_speaker: add a bgp_speaker block with this node's AS and its neighbors")
		}
		for i := range a.TrackScripts {
			t := &a.TrackScripts[i]
			if s := cfg.Scripts[t.Name]; s == nil {
				c.errf(&node{file: t.File, line: t.Line}, "track_script %s: no vrrp_script of that name", t.Name)
			} else {
				t.Script = s
			}
		}
		p.checkAnnounceFamilies(c, a)
	}
	for _, in := range cfg.Instances {
		if in.BGPAnnounceVIPs && cfg.BGP == nil {
			p.d.Errorf(in.File, in.Lines["bgp_announce_vips"], "vrrp_instance %s: bgp_announce_vips needs a bgp_speaker block", in.Name)
		}
	}
	if s := cfg.BGP; s != nil && len(cfg.Announces) == 0 && !anyAnnouncesVIPs(cfg) {
		p.d.Warnf(s.File, s.Line, "bgp_speaker: nothing to announce: add a bgp_announce block or bgp_announce_vips in a vrrp_instance")
	}
	seen := map[netip.Prefix]string{}
	for _, a := range cfg.Announces {
		for _, pf := range a.Prefixes {
			if other, dup := seen[pf]; dup {
				p.d.Errorf(a.File, a.Line, "bgp_announce %s: prefix %s is also announced by bgp_announce %s", a.Name, pf, other)
			}
			seen[pf] = a.Name
		}
	}
}

// checkAnnounceFamilies warns about a prefix no neighbor can carry: halo
// opens each session for its neighbor's address family only.
func (p *parser) checkAnnounceFamilies(c checker, a *BGPAnnounce) {
	if p.cfg.BGP == nil {
		return
	}
	for _, pf := range a.Prefixes {
		ok := false
		for _, nb := range p.cfg.BGP.Neighbors {
			if nb.Addr.Is4() == pf.Addr().Is4() {
				ok = true
			}
		}
		if !ok && len(p.cfg.BGP.Neighbors) > 0 {
			c.warnf(&node{file: a.File, line: a.Line}, "prefix %s: no neighbor of its address family; it is not announced", pf)
		}
	}
}

func anyAnnouncesVIPs(cfg *Config) bool {
	for _, in := range cfg.Instances {
		if in.BGPAnnounceVIPs {
			return true
		}
	}
	return false
}
