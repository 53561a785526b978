package keepalived

import (
	"math"
	"net/netip"
	"time"

	"github.com/halo-lb/halo/internal/config/diag"
)

// parser holds what the typed sections need while parsing and validating.
type parser struct {
	d    *diag.List
	cfg  *Config
	inst map[*Instance]*instanceRaw
	// globalSet records the global_defs keywords written, for defaults that
	// follow other keywords (vrrp_garp_lower_prio_* follow vrrp_garp_master_*).
	globalSet map[string]bool
}

// Defaults, each as keepalived documents it.
const (
	defaultVRRPVersion             = 2               // vrrp_version
	defaultGarpMasterDelay         = 5 * time.Second // second GARP burst after becoming master
	defaultGarpMasterRepeat        = 5               // GARPs per burst
	defaultGarpMasterRefreshRepeat = 1               // GARPs per periodic refresh
	defaultPriority                = 100
	defaultAdvertInt               = time.Second
	defaultScriptInterval          = time.Second
	defaultScriptRiseFall          = 1
	maxScriptWeight                = 253 // keepalived: -253..253
)

var (
	defaultMcastGroup4 = netip.MustParseAddr("224.0.0.18") // RFC 3768 section 5.2.2 / RFC 5798 section 5.1.1.2
	defaultMcastGroup6 = netip.MustParseAddr("ff02::12")   // RFC 5798 section 5.1.2.2
)

func newConfig(file string) *Config {
	return &Config{
		File: file,
		Global: GlobalDefs{
			VRRPVersion:             defaultVRRPVersion,
			GarpMasterDelay:         defaultGarpMasterDelay,
			GarpMasterRepeat:        defaultGarpMasterRepeat,
			GarpMasterRefreshRepeat: defaultGarpMasterRefreshRepeat,
			McastGroup4:             defaultMcastGroup4,
			McastGroup6:             defaultMcastGroup6,
			V3PseudoHeader:          true, // keepalived's behaviour
			// halo turns on keepalived's vrrp_higher_prio_send_advert by
			// default: a split brain heals within one advert (issue 7).
			HigherPrioSendAdvert: true,
		},
		Scripts: map[string]*Script{},
	}
}

// parseTree turns the top-level statements into a Config. Cross-checks
// between sections come later, in validate.
func (p *parser) parseTree(nodes []*node) {
	top := checker{d: p.d}
	for _, n := range nodes {
		switch n.key() {
		case "global_defs":
			if len(n.args) != 1 {
				top.errf(n, "usage: global_defs { ... }")
			} else if top.mustBlock(n) {
				p.parseGlobal(n)
			}
		case "vrrp_script":
			if name, ok := p.sectionName(n); ok {
				p.parseScript(n, name)
			}
		case "vrrp_instance":
			if name, ok := p.sectionName(n); ok {
				p.parseInstance(n, name)
			}
		case "vrrp_sync_group":
			if name, ok := p.sectionName(n); ok {
				p.parseSyncGroup(n, name)
			}
		case "bgp_speaker":
			if len(n.args) != 1 {
				top.errf(n, "usage: bgp_speaker { ... }")
			} else if top.mustBlock(n) {
				p.parseBGPSpeaker(n)
			}
		case "bgp_announce":
			if name, ok := p.sectionName(n); ok {
				p.parseBGPAnnounce(n, name)
			}
		case "static_ipaddress":
			p.cfg.StaticAddresses = append(p.cfg.StaticAddresses, parseStaticAddresses(checker{d: p.d, prefix: "static_ipaddress: "}, n)...)
		case "static_routes":
			p.cfg.StaticRoutes = append(p.cfg.StaticRoutes, parseRoutes(checker{d: p.d, prefix: "static_routes: "}, n)...)
		case "static_rules":
			p.cfg.StaticRules = append(p.cfg.StaticRules, parseRules(checker{d: p.d, prefix: "static_rules: "}, n)...)
		default:
			top.unknown("the top level", n)
		}
	}
}

// sectionName checks `KEYWORD NAME { ... }` and returns NAME.
func (p *parser) sectionName(n *node) (string, bool) {
	c := checker{d: p.d}
	if len(n.args) != 2 {
		c.errf(n, "usage: %s NAME { ... }", n.key())
		return "", false
	}
	if !c.mustBlock(n) {
		return "", false
	}
	return n.args[1].text, true
}

func (p *parser) markGlobal(n *node) {
	if p.globalSet == nil {
		p.globalSet = map[string]bool{}
	}
	p.globalSet[n.key()] = true
}

func (p *parser) parseGlobal(b *node) {
	g := &p.cfg.Global
	c := checker{d: p.d, prefix: "global_defs: "}
	for _, n := range b.children {
		switch n.key() {
		case "router_id":
			if c.args(n, 1, 1, "<STRING>") {
				g.RouterID = n.args[1].text
			}
		case "vrrp_version":
			if v, ok := c.intArg(n, 2, 3); ok {
				g.VRRPVersion = v
			}
		case "vrrp_garp_master_delay":
			if v, ok := c.intArg(n, 0, math.MaxInt32); ok {
				g.GarpMasterDelay = time.Duration(v) * time.Second
			}
		case "vrrp_garp_master_repeat":
			if v, ok := c.intArg(n, 1, math.MaxInt32); ok {
				g.GarpMasterRepeat = v
			}
		case "vrrp_garp_master_refresh":
			if v, ok := c.intArg(n, 0, math.MaxInt32); ok {
				g.GarpMasterRefresh = time.Duration(v) * time.Second
			}
		case "vrrp_garp_master_refresh_repeat":
			if v, ok := c.intArg(n, 1, math.MaxInt32); ok {
				g.GarpMasterRefreshRepeat = v
			}
		case "vrrp_garp_interval":
			if v, ok := c.timerArg(n, 0, time.Hour); ok {
				g.GarpInterval = v
			}
		case "vrrp_garp_lower_prio_delay":
			if v, ok := c.intArg(n, 0, math.MaxInt32); ok {
				p.markGlobal(n)
				g.GarpLowerPrioDelay = time.Duration(v) * time.Second
			}
		case "vrrp_garp_lower_prio_repeat":
			if v, ok := c.intArg(n, 0, math.MaxInt32); ok {
				p.markGlobal(n)
				g.GarpLowerPrioRepeat = v
			}
		case "vrrp_higher_prio_send_advert":
			if v, ok := c.boolArg(n); ok {
				g.HigherPrioSendAdvert = v
			}
		case "vrrp_gna_interval":
			if v, ok := c.timerArg(n, 0, time.Hour); ok {
				g.GNAInterval = v
			}
		case "vrrp_mcast_group4":
			if a, ok := c.addrArg(n); ok {
				if !a.Is4() || !a.IsMulticast() {
					c.errf(n, "vrrp_mcast_group4: %s is not an IPv4 multicast address", a)
				} else {
					g.McastGroup4 = a
				}
			}
		case "vrrp_mcast_group6":
			if a, ok := c.addrArg(n); ok {
				if !a.Is6() || !a.IsMulticast() {
					c.errf(n, "vrrp_mcast_group6: %s is not an IPv6 multicast address", a)
				} else {
					g.McastGroup6 = a
				}
			}
		case "vrrp_v3_checksum_pseudo_header":
			if v, ok := c.boolArg(n); ok {
				g.V3PseudoHeader = v
			}
		case "script_user":
			if c.args(n, 1, 2, "USER [GROUP]") {
				g.ScriptUser = n.args[1].text
				g.ScriptUserFile, g.ScriptUserLine = n.file, n.line
				if len(n.args) == 3 {
					g.ScriptGroup = n.args[2].text
				}
			}
		case "enable_script_security":
			if c.args(n, 0, 0, "") {
				g.EnableScriptSecurity = true
			}
		default:
			if !c.notApplicableKeyword("global_defs", n) {
				c.unknown("global_defs", n)
			}
		}
	}
}

func (p *parser) parseScript(b *node, name string) {
	c := checker{d: p.d, prefix: "vrrp_script " + name + ": "}
	if old := p.cfg.Scripts[name]; old != nil {
		c.errf(b, "defined twice (first at %s:%d)", old.File, old.Line)
		return
	}
	s := &Script{
		Name:     name,
		File:     b.file,
		Line:     b.line,
		Interval: defaultScriptInterval,
		Rise:     defaultScriptRiseFall,
		Fall:     defaultScriptRiseFall,
	}
	timeoutSet := false
	for _, n := range b.children {
		switch n.key() {
		case "script":
			if cmd, ok := c.command(n); ok {
				s.Command = cmd
			}
		case "interval":
			if v, ok := c.timerArg(n, time.Microsecond, 24*time.Hour); ok {
				s.Interval = v
			}
		case "timeout":
			if v, ok := c.timerArg(n, time.Microsecond, 24*time.Hour); ok {
				s.Timeout, timeoutSet = v, true
			}
		case "weight":
			if c.args(n, 1, 2, "<-253..253> [reverse]") {
				if v, ok := c.intValue(n, n.args[1].text, -maxScriptWeight, maxScriptWeight); ok {
					s.Weight = v
				}
				if len(n.args) == 3 {
					if n.args[2].text == "reverse" {
						s.WeightReverse = true
					} else {
						c.errf(n, "weight: %q where only \"reverse\" may follow the weight", n.args[2].text)
					}
				}
			}
		case "rise":
			if v, ok := c.intArg(n, 1, math.MaxInt32); ok {
				s.Rise = v
			}
		case "fall":
			if v, ok := c.intArg(n, 1, math.MaxInt32); ok {
				s.Fall = v
			}
		case "user":
			if c.args(n, 1, 2, "USER [GROUP]") {
				s.User = n.args[1].text
				if len(n.args) == 3 {
					s.Group = n.args[2].text
				}
			}
		case "init_fail":
			if c.args(n, 0, 0, "") {
				s.InitFail = true
			}
		default:
			c.unknown("vrrp_script", n)
		}
	}
	if !timeoutSet {
		s.Timeout = s.Interval // a run may take up to one interval
	}
	if s.Command == "" {
		c.errf(b, "no script: a vrrp_script needs `script \"COMMAND\"`")
	}
	p.cfg.Scripts[name] = s
}

func (p *parser) parseSyncGroup(b *node, name string) {
	c := checker{d: p.d, prefix: "vrrp_sync_group " + name + ": "}
	for _, old := range p.cfg.SyncGroups {
		if old.Name == name {
			c.errf(b, "defined twice (first at %s:%d)", old.File, old.Line)
			return
		}
	}
	g := &SyncGroup{Name: name, File: b.file, Line: b.line}
	seenGroup := false
	for _, n := range b.children {
		switch n.key() {
		case "group":
			if !c.mustBlock(n) {
				continue
			}
			seenGroup = true
			for _, m := range n.children {
				for _, t := range m.args {
					g.Group = append(g.Group, t.text)
				}
				if m.block {
					c.errf(m, "group: unexpected { } block")
				}
			}
		default:
			if !p.parseNotify(c, n, &g.Notify) && !c.notApplicableKeyword("vrrp_sync_group", n) {
				c.unknown("vrrp_sync_group", n)
			}
		}
	}
	if !seenGroup || len(g.Group) == 0 {
		c.errf(b, "no instances: a vrrp_sync_group needs `group { INSTANCE ... }`")
	}
	p.cfg.SyncGroups = append(p.cfg.SyncGroups, g)
}

// parseNotify handles the notify keywords shared by instances and sync
// groups, and reports whether n was one.
func (p *parser) parseNotify(c checker, n *node, nt *Notify) bool {
	var dst *string
	switch n.key() {
	case "notify_master":
		dst = &nt.Master
	case "notify_backup":
		dst = &nt.Backup
	case "notify_fault":
		dst = &nt.Fault
	case "notify_stop":
		dst = &nt.Stop
	case "notify":
		dst = &nt.Any
	default:
		return false
	}
	if cmd, ok := c.command(n); ok {
		*dst = cmd
	}
	return true
}
