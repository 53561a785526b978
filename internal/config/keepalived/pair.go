package keepalived

import (
	"fmt"
	"slices"
	"strings"

	"github.com/halo-lb/halo/internal/config/diag"
)

// CheckPair compares the keepalived configs of the two nodes of a pair (a is
// this node's, b the one given with --peer). Instances are paired by name,
// else by VRID and family. Diagnostics point at the relevant keyword in a's
// file and name the peer's file and line. Mismatches that make the nodes
// ignore each other's adverts (both become MASTER) are errors; the rest are
// warnings, among them every tracking outcome where the effective
// priorities tie or where a node whose check failed still beats a healthy
// peer.
func CheckPair(a, b *Config) diag.List {
	var d diag.List
	if a == nil || b == nil {
		return d
	}
	paired := map[*Instance]bool{}
	for _, x := range a.Instances {
		y := b.Instance(x.Name)
		if y == nil {
			for _, cand := range b.Instances {
				if !paired[cand] && cand.VRID == x.VRID && cand.Family() == x.Family() {
					y = cand
					break
				}
			}
		}
		if y == nil || paired[y] {
			d.Warnf(x.File, x.Line, "vrrp_instance %s: the peer %s has no instance of this name or with virtual_router_id %d: this node will always be MASTER for it", x.Name, b.File, x.VRID)
			continue
		}
		paired[y] = true
		pc := pairChecker{d: &d, x: x, y: y}
		pc.compare()
		pc.priorities()
	}
	for _, y := range b.Instances {
		if !paired[y] {
			d.Warnf(a.File, 0, "vrrp_instance %s of the peer (%s:%d) has no counterpart here: the peer will always be MASTER for it", y.Name, y.File, y.Line)
		}
	}
	return d
}

// pairChecker compares one instance x of this node with its peer y.
type pairChecker struct {
	d    *diag.List
	x, y *Instance
}

func (pc pairChecker) errf(kw, format string, args ...any) {
	pc.d.Errorf(pc.x.File, lineOr(pc.x, kw), "vrrp_instance %s: %s (peer: %s:%d)", pc.x.Name, fmt.Sprintf(format, args...), pc.y.File, lineOr(pc.y, kw))
}

func (pc pairChecker) warnf(kw, format string, args ...any) {
	pc.d.Warnf(pc.x.File, lineOr(pc.x, kw), "vrrp_instance %s: %s (peer: %s:%d)", pc.x.Name, fmt.Sprintf(format, args...), pc.y.File, lineOr(pc.y, kw))
}

const bothMaster = "so both nodes become MASTER"

func (pc pairChecker) compare() {
	x, y := pc.x, pc.y
	if x.VRID != y.VRID {
		pc.errf("virtual_router_id", "virtual_router_id %d here, %d on the peer: they are different virtual routers, %s", x.VRID, y.VRID, bothMaster)
	}
	if x.Family() != y.Family() {
		pc.errf("virtual_ipaddress", "IPv%d VIPs here, IPv%d on the peer: the adverts never meet, %s", x.Family(), y.Family(), bothMaster)
		return
	}
	if x.Version != y.Version {
		pc.errf("version", "VRRP version %d here, %d on the peer: each drops the other's adverts, %s", x.Version, y.Version, bothMaster)
	}
	if x.AdvertInt != y.AdvertInt {
		if x.Version == 2 && y.Version == 2 {
			pc.errf("advert_int", "advert_int %s here, %s on the peer: VRRPv2 drops adverts with another interval (RFC 3768 section 7.1), %s", seconds(x.AdvertInt), seconds(y.AdvertInt), bothMaster)
		} else {
			pc.warnf("advert_int", "advert_int %s here, %s on the peer: a VRRPv3 backup adopts the master's interval, so failover time depends on which node is master", seconds(x.AdvertInt), seconds(y.AdvertInt))
		}
	}
	if vx, vy := vipSet(x), vipSet(y); !slices.Equal(vx, vy) {
		pc.warnf("virtual_ipaddress", "virtual_ipaddress differs: %s here, %s on the peer; the VIPs move only as listed on the node that becomes MASTER", strings.Join(vx, " "), strings.Join(vy, " "))
	}
	switch {
	case x.AuthType != y.AuthType:
		pc.errf("authentication", "auth_type %q here, %q on the peer: each drops the other's adverts, %s", x.AuthType, y.AuthType, bothMaster)
	case x.AuthPass != y.AuthPass:
		pc.errf("auth_pass", "auth_pass differs from the peer's (compared on the first 8 characters, all VRRP carries): each drops the other's adverts, %s", bothMaster)
	}
	if (len(x.UnicastPeers) > 0) != (len(y.UnicastPeers) > 0) {
		pc.errf("unicast_peer", "one node uses unicast_peer and the other multicast: the adverts never meet, %s", bothMaster)
	} else if len(y.UnicastPeers) > 0 && x.UnicastSrcIP.IsValid() && !slices.Contains(y.UnicastPeers, x.UnicastSrcIP) {
		pc.warnf("unicast_src_ip", "unicast_src_ip %s is not in the peer's unicast_peer list: the peer will not hear this node", x.UnicastSrcIP)
	}
	if x.InitialState == StateMaster && y.InitialState == StateMaster {
		pc.warnf("state", "state MASTER on both nodes: both start as MASTER and the election settles it at the first advert")
	}
	if x.Priority == 255 && y.Priority == 255 {
		pc.errf("priority", "priority 255 (address owner) on both nodes: only one node can own the addresses")
	}
}

func vipSet(in *Instance) []string {
	out := make([]string, 0, len(in.VIPs))
	for _, v := range in.VIPs {
		out = append(out, v.Prefix.String())
	}
	slices.Sort(out)
	return out
}

// outcome is one tracking situation of one node: every check passing, or
// exactly one weighted check failing.
type outcome struct {
	failed   string // "" = every check passes, else e.g. "vrrp_script chk fails"
	priority uint8
	delta    int
}

// outcomes lists the situations of in: all checks up, then each weighted
// check down on its own (a weight-0 check going down means FAULT, which
// leaves the election and cannot tie).
func outcomes(in *Instance) []outcome {
	type tr struct {
		t    Track
		desc string
	}
	var all []tr
	for _, t := range in.TrackScripts {
		all = append(all, tr{t.Track, "vrrp_script " + t.Name + " fails"})
	}
	for _, t := range in.TrackInterfaces {
		all = append(all, tr{t, "track_interface " + t.Name + " is down"})
	}
	for _, t := range in.TrackBackends {
		all = append(all, tr{t, "track_backend " + t.Name + " has no server up"})
	}
	sum := func(down int) int {
		s := 0
		for i, e := range all {
			delta, _ := e.t.Delta(i != down)
			s += delta
		}
		return s
	}
	healthy := sum(-1)
	out := []outcome{{priority: in.EffectivePriority(healthy), delta: healthy}}
	for i, e := range all {
		if e.t.Weight == 0 {
			continue
		}
		s := sum(i)
		out = append(out, outcome{failed: e.desc, priority: in.EffectivePriority(s), delta: s})
	}
	return out
}

// priorities reports equal base priorities, and every combination of
// tracking outcomes where the effective priorities tie (the higher IP
// address wins, RFC 5798 section 6.4.3) or where a node with a failed check
// still beats its healthy peer.
func (pc pairChecker) priorities() {
	x, y := pc.x, pc.y
	if x.Priority == y.Priority {
		pc.warnf("priority", "priority %d on both nodes: the election is decided by IP address (the higher primary IP wins), not by configuration", x.Priority)
	}
	if x.Priority == 255 || y.Priority == 255 || x.Family() != y.Family() {
		return
	}
	for _, ox := range outcomes(x) {
		for _, oy := range outcomes(y) {
			when := fmt.Sprintf("when %s here and %s on the peer", describe(ox), describe(oy))
			switch {
			case ox.priority == oy.priority:
				if x.Priority == y.Priority && ox.failed == oy.failed && ox.delta == oy.delta {
					continue // the same situation on both nodes: implied by the warning above
				}
				pc.warnf("priority", "%s, both have priority %d (%s here, %s on the peer): a tie, the winner is decided by IP address (the higher primary IP wins)%s",
					when, ox.priority, formula(x, ox), formula(y, oy), tieHint(ox, oy))
			case ox.failed != "" && oy.failed == "" && ox.priority > oy.priority:
				pc.warnf("priority", "%s, this node still wins with priority %d (%s) against %d (%s): the VIP stays on the node whose check failed",
					when, ox.priority, formula(x, ox), oy.priority, formula(y, oy))
			case oy.failed != "" && ox.failed == "" && oy.priority > ox.priority:
				pc.warnf("priority", "%s, the peer still wins with priority %d (%s) against %d (%s): the VIP stays on the node whose check failed",
					when, oy.priority, formula(y, oy), ox.priority, formula(x, ox))
			}
		}
	}
}

func describe(o outcome) string {
	if o.failed == "" {
		return "every check passes"
	}
	return o.failed
}

func formula(in *Instance, o outcome) string {
	switch {
	case o.delta > 0:
		return fmt.Sprintf("%d+%d", in.Priority, o.delta)
	case o.delta < 0:
		return fmt.Sprintf("%d%d", in.Priority, o.delta)
	}
	return fmt.Sprintf("%d", in.Priority)
}

func tieHint(ox, oy outcome) string {
	if (ox.failed == "") == (oy.failed == "") {
		return ""
	}
	return "; a failed check should cost more than the gap between the priorities (a larger weight, or a negative one)"
}
