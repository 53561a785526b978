package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// A Host is one network namespace of a Lab with an eth0 on the lab's bridge.
type Host struct {
	Name      string           // as given to AddHost
	Namespace string           // netns name, usable with `ip netns exec`
	MAC       net.HardwareAddr // eth0's hardware address

	lab  *Lab
	ns   netns.NsHandle
	nl   *netlink.Handle // netlink in ns
	peer string          // eth0's other end, on the bridge in the switch namespace
}

// Command returns a command that runs name inside the host's namespace (via
// `ip netns exec`, which also gives it the namespace's /sys). The lab kills
// it on Close. Start it before calling Close, not concurrently with it.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Namespace, name}, args...)...)
	h.lab.mu.Lock()
	h.lab.cmds = append(h.lab.cmds, cmd)
	h.lab.mu.Unlock()
	return cmd
}

// Do runs fn on the calling goroutine, locked to an OS thread that is inside
// the host's namespace, and restores the thread's namespace afterwards.
// Sockets fn creates stay in the host's namespace for their whole life and
// may be used from any goroutine later; goroutines fn starts do not run in
// the namespace.
func (h *Host) Do(fn func() error) error {
	if err := h.usable(); err != nil {
		return err
	}
	return enter(h.ns, fn)
}

// LinkDown pulls the host's cable: the bridge-side end of its veth goes
// down, so eth0 keeps its addresses and admin state but loses carrier
// (NO-CARRIER, operstate LOWERLAYERDOWN/DOWN), exactly as with an unplugged
// cable, and frames stop in both directions.
func (h *Host) LinkDown() error { return h.setPeer(false) }

// LinkUp plugs the cable back in.
func (h *Host) LinkUp() error { return h.setPeer(true) }

func (h *Host) setPeer(up bool) error {
	if err := h.usable(); err != nil {
		return err
	}
	l := h.lab
	link, err := l.swNL.LinkByName(h.peer)
	if err != nil {
		return fmt.Errorf("host %q: find %s: %w", h.Name, h.peer, err)
	}
	if up {
		err = l.swNL.LinkSetUp(link)
	} else {
		err = l.swNL.LinkSetDown(link)
	}
	if err != nil {
		return fmt.Errorf("host %q: set cable up=%t: %w", h.Name, up, err)
	}
	return nil
}

// Addrs returns the addresses on iface in the host, IPv4 first, each with
// its prefix length (not masked).
func (h *Host) Addrs(iface string) ([]netip.Prefix, error) {
	if err := h.usable(); err != nil {
		return nil, err
	}
	link, err := h.nl.LinkByName(iface)
	if err != nil {
		return nil, fmt.Errorf("host %q: find %s: %w", h.Name, iface, err)
	}
	var out []netip.Prefix
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		addrs, err := addrList(h.nl, link, fam)
		if err != nil {
			return nil, fmt.Errorf("host %q: list addresses of %s: %w", h.Name, iface, err)
		}
		for _, a := range addrs {
			if p, ok := ipNetToPrefix(a.IPNet); ok {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func (h *Host) usable() error {
	h.lab.mu.Lock()
	defer h.lab.mu.Unlock()
	if h.lab.closed {
		return fmt.Errorf("host %q: lab is closed", h.Name)
	}
	return nil
}

// addrList retries netlink's dump when the kernel reports it interrupted.
func addrList(nl *netlink.Handle, link netlink.Link, family int) ([]netlink.Addr, error) {
	var err error
	for range 5 {
		var addrs []netlink.Addr
		addrs, err = nl.AddrList(link, family)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return addrs, err
		}
	}
	return nil, err
}

func ipNetToPrefix(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a, ones), true
}

func prefixToIPNet(p netip.Prefix) *net.IPNet {
	bits := 128
	if p.Addr().Is4() {
		bits = 32
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}
}
