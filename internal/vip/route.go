package vip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// A Route is one route of keepalived's static_routes or virtual_routes.
type Route struct {
	Dst    netip.Prefix
	Src    netip.Addr // preferred source; invalid = none
	Via    netip.Addr // gateway; invalid = none
	Dev    string     // "" = the kernel finds it from Via
	Scope  string     // "" = the kernel's default
	Table  int        // 0 = main
	Metric int
	Type   string // "", "blackhole", "unreachable", "prohibit"
}

func (r Route) String() string {
	s := r.Dst.String()
	if r.Type != "" {
		s = r.Type + " " + s
	}
	if r.Via.IsValid() {
		s += " via " + r.Via.String()
	}
	if r.Dev != "" {
		s += " dev " + r.Dev
	}
	if r.Table != 0 {
		s += fmt.Sprintf(" table %d", r.Table)
	}
	return s
}

// A Rule is one policy routing rule of static_rules or virtual_rules.
type Rule struct {
	From, To netip.Prefix // invalid = all
	Family   int          // 4 or 6
	Iif, Oif string
	Priority int // 0 = the kernel picks
	Table    int
}

func (r Rule) String() string {
	from, to := "all", "all"
	if r.From.IsValid() {
		from = r.From.String()
	}
	if r.To.IsValid() {
		to = r.To.String()
	}
	return fmt.Sprintf("from %s to %s table %d", from, to, r.Table)
}

func ipNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func (r Route) netlinkRoute() (*netlink.Route, error) {
	nr := &netlink.Route{Dst: ipNet(r.Dst), Table: r.Table, Priority: r.Metric}
	if r.Dev != "" {
		link, err := netlink.LinkByName(r.Dev)
		if err != nil {
			return nil, err
		}
		nr.LinkIndex = link.Attrs().Index
	}
	if r.Via.IsValid() {
		nr.Gw = r.Via.AsSlice()
	}
	if r.Src.IsValid() {
		nr.Src = r.Src.AsSlice()
	}
	if r.Scope != "" {
		sc, err := parseScope(r.Scope)
		if err != nil {
			return nil, err
		}
		nr.Scope = netlink.Scope(sc)
	}
	switch r.Type {
	case "blackhole":
		nr.Type = unix.RTN_BLACKHOLE
	case "unreachable":
		nr.Type = unix.RTN_UNREACHABLE
	case "prohibit":
		nr.Type = unix.RTN_PROHIBIT
	}
	if r.Dst.Addr().Is4() {
		nr.Family = netlink.FAMILY_V4
	} else {
		nr.Family = netlink.FAMILY_V6
	}
	return nr, nil
}

// AddRoute puts r in the routing table, replacing a route to the same
// destination (as `ip route replace`), so that adding twice is harmless.
func (m *Manager) AddRoute(r Route) error {
	nr, err := r.netlinkRoute()
	if err == nil {
		err = netlink.RouteReplace(nr)
	}
	if err != nil {
		return fmt.Errorf("add route %s: %w", r, err)
	}
	m.logger().Debug("route added", "route", r.String())
	return nil
}

// DeleteRoute removes r; a route that is not there is not an error.
func (m *Manager) DeleteRoute(r Route) error {
	nr, err := r.netlinkRoute()
	if err == nil {
		err = netlink.RouteDel(nr)
	}
	if err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete route %s: %w", r, err)
	}
	return nil
}

func (r Rule) netlinkRule() *netlink.Rule {
	nr := netlink.NewRule()
	nr.Table = r.Table
	nr.Family = netlink.FAMILY_V4
	if r.Family == 6 {
		nr.Family = netlink.FAMILY_V6
	}
	if r.From.IsValid() {
		nr.Src = ipNet(r.From)
	}
	if r.To.IsValid() {
		nr.Dst = ipNet(r.To)
	}
	nr.IifName, nr.OifName = r.Iif, r.Oif
	if r.Priority > 0 {
		nr.Priority = r.Priority
	}
	return nr
}

// AddRule adds r unless an equal rule is there.
func (m *Manager) AddRule(r Rule) error {
	if err := netlink.RuleAdd(r.netlinkRule()); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add rule %s: %w", r, err)
	}
	m.logger().Debug("rule added", "rule", r.String())
	return nil
}

// DeleteRule removes r; a rule that is not there is not an error.
func (m *Manager) DeleteRule(r Rule) error {
	if err := netlink.RuleDel(r.netlinkRule()); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete rule %s: %w", r, err)
	}
	return nil
}
