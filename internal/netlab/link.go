package netlab

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// Link joins two hosts with a veth pair of their own, beside the lab's
// bridge: a point-to-point segment, as between a router and the hosts of
// other subnets. aIf in a carries aAddrs, bIf in b carries bAddrs
// ("198.51.100.65/28"); both ends are up. The namespaces' removal at
// Close removes the pair.
func (l *Lab) Link(a *Host, aIf string, aAddrs []string, b *Host, bIf string, bAddrs []string) error {
	for _, h := range []*Host{a, b} {
		if err := h.usable(); err != nil {
			return err
		}
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: aIf},
		PeerName:      bIf,
		PeerNamespace: netlink.NsFd(int(b.ns)),
	}
	if err := a.nl.LinkAdd(veth); err != nil {
		return fmt.Errorf("link %s:%s-%s:%s: %w", a.Name, aIf, b.Name, bIf, err)
	}
	for _, end := range []struct {
		h     *Host
		name  string
		addrs []string
	}{{a, aIf, aAddrs}, {b, bIf, bAddrs}} {
		link, err := end.h.nl.LinkByName(end.name)
		if err != nil {
			return fmt.Errorf("host %q: find %s: %w", end.h.Name, end.name, err)
		}
		for _, s := range end.addrs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return fmt.Errorf("host %q: %w", end.h.Name, err)
			}
			if err := end.h.nl.AddrAdd(link, toNetlinkAddr(p)); err != nil {
				return fmt.Errorf("host %q: add %s to %s: %w", end.h.Name, p, end.name, err)
			}
		}
		if err := end.h.nl.LinkSetUp(link); err != nil {
			return fmt.Errorf("host %q: set %s up: %w", end.h.Name, end.name, err)
		}
	}
	return nil
}

// SetLink sets interface iface of h administratively up or down.
func (h *Host) SetLink(iface string, up bool) error {
	if err := h.usable(); err != nil {
		return err
	}
	link, err := h.nl.LinkByName(iface)
	if err != nil {
		return fmt.Errorf("host %q: find %s: %w", h.Name, iface, err)
	}
	if up {
		err = h.nl.LinkSetUp(link)
	} else {
		err = h.nl.LinkSetDown(link)
	}
	if err != nil {
		return fmt.Errorf("host %q: set %s up=%t: %w", h.Name, iface, up, err)
	}
	return nil
}

// AddRoute adds a route to dst via gw in h ("default" for dst is 0.0.0.0/0).
func (h *Host) AddRoute(dst string, gw netip.Addr) error {
	if err := h.usable(); err != nil {
		return err
	}
	if dst == "default" {
		dst = "0.0.0.0/0"
		if gw.Is6() {
			dst = "::/0"
		}
	}
	p, err := netip.ParsePrefix(dst)
	if err != nil {
		return err
	}
	r := &netlink.Route{Dst: prefixToIPNet(p), Gw: gw.AsSlice()}
	if err := h.nl.RouteAdd(r); err != nil {
		return fmt.Errorf("host %q: route %s via %s: %w", h.Name, dst, gw, err)
	}
	return nil
}

// Sysctl writes /proc/sys/KEY (slashes or dots) inside h.
func (h *Host) Sysctl(key, value string) error {
	return h.Do(func() error { return writeSysctl(dotsToSlashes(key), value) })
}

func dotsToSlashes(k string) string {
	b := []byte(k)
	for i, c := range b {
		if c == '.' {
			b[i] = '/'
		}
	}
	return string(b)
}
