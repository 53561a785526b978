package vip

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// An Address is one virtual IP as keepalived.conf's virtual_ipaddress lists
// it: "<IP>[/<len>] [brd <IP>] [dev <IFACE>] [scope <SCOPE>] [label <LABEL>]".
type Address struct {
	// Prefix is the address with its prefix length (not masked); a bare
	// VIP is /32 or /128.
	Prefix netip.Prefix
	// Dev is the interface that carries the address.
	Dev string
	// Label is the IPv4 address label ("eth0:1"); empty means the device
	// name. The kernel keeps no labels for IPv6, so it is ignored there.
	Label string
	// Brd is the IPv4 broadcast address. The zero value means none, as
	// with keepalived and `ip addr add` (netlink would invent one).
	Brd netip.Addr
	// Scope is "global" (the default when empty), "site", "link", "host",
	// "nowhere", or a number 0..255, as in iproute2.
	Scope string
}

// String formats a in keepalived's syntax.
func (a Address) String() string {
	s := a.Prefix.String()
	if a.Brd.IsValid() {
		s += " brd " + a.Brd.String()
	}
	s += " dev " + a.Dev
	if a.Scope != "" && a.Scope != "global" {
		s += " scope " + a.Scope
	}
	if a.Label != "" {
		s += " label " + a.Label
	}
	return s
}

// scopes are iproute2's names for rtnetlink scopes (/etc/iproute2/rt_scopes).
var scopes = map[string]int{
	"":        unix.RT_SCOPE_UNIVERSE,
	"global":  unix.RT_SCOPE_UNIVERSE,
	"site":    unix.RT_SCOPE_SITE,
	"link":    unix.RT_SCOPE_LINK,
	"host":    unix.RT_SCOPE_HOST,
	"nowhere": unix.RT_SCOPE_NOWHERE,
}

// ifaFNoDAD is IFA_F_NODAD: the kernel skips duplicate address detection
// and the IPv6 address is usable at once instead of tentative for a second
// or two.
const ifaFNoDAD = 0x02

// check reports what makes a unusable.
func (a Address) check() error {
	if !a.Prefix.IsValid() {
		return fmt.Errorf("invalid prefix %v", a.Prefix)
	}
	if ip := a.Prefix.Addr(); ip.Is4In6() || ip.Zone() != "" {
		return fmt.Errorf("address %s must be plain IPv4 or IPv6", ip)
	}
	if a.Dev == "" {
		return fmt.Errorf("no interface")
	}
	if a.Brd.IsValid() && (!a.Prefix.Addr().Is4() || !a.Brd.Is4()) {
		return fmt.Errorf("broadcast %s needs an IPv4 address and broadcast", a.Brd)
	}
	if len(a.Label) >= unix.IFNAMSIZ {
		return fmt.Errorf("label %q longer than %d bytes", a.Label, unix.IFNAMSIZ-1)
	}
	if _, err := parseScope(a.Scope); err != nil {
		return err
	}
	return nil
}

func parseScope(s string) (int, error) {
	if v, ok := scopes[s]; ok {
		return v, nil
	}
	n, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, fmt.Errorf("unknown scope %q", s)
	}
	return int(n), nil
}

// netlinkAddr builds the rtnetlink request for a, which must pass check.
func (a Address) netlinkAddr() *netlink.Addr {
	ip := a.Prefix.Addr()
	bits := 128
	if ip.Is4() {
		bits = 32
	}
	scope, _ := parseScope(a.Scope)
	na := &netlink.Addr{
		IPNet: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(a.Prefix.Bits(), bits)},
		Label: a.Label,
		Scope: scope,
	}
	if ip.Is4() {
		// net.IPv4zero tells netlink "no broadcast"; nil would make it
		// compute one from the prefix.
		na.Broadcast = net.IPv4zero
		if a.Brd.IsValid() {
			na.Broadcast = a.Brd.AsSlice()
		}
	} else {
		na.Flags = ifaFNoDAD
	}
	return na
}

// matches reports whether the kernel's address na is a: same address and
// prefix length. Label, scope and broadcast do not take part.
func (a Address) matches(na netlink.Addr) bool {
	if na.IPNet == nil {
		return false
	}
	ip, ok := netip.AddrFromSlice(na.IP)
	if !ok {
		return false
	}
	ones, _ := na.Mask.Size()
	return ip.Unmap() == a.Prefix.Addr() && ones == a.Prefix.Bits()
}
