package vip

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
)

// VMAC is a macvlan interface carrying a virtual router's MAC address
// (RFC 5798 section 7.3; keepalived's use_vmac), so that the VIPs on it
// keep their MAC when they move to another node.
type VMAC struct {
	Name   string // the macvlan, e.g. "vrrp.51"
	Parent string // the interface it sits on
	MAC    net.HardwareAddr
	// IPv6 is set for an IPv6 virtual router. An IPv4 VMAC gets no IPv6 at
	// all: its MLD reports, router solicitations and DAD would come from
	// the shared virtual MAC on every node and teach the switch the wrong
	// port.
	IPv6 bool
}

// The IPv4 interface options a VMAC and its parent get, after
// keepalived's NOTE_vrrp_vmac.txt: only the VMAC answers ARP for the VIPs
// it holds, and the parent only for its own addresses.
var (
	vmacSysctls = [][2]string{
		{"arp_ignore", "1"},   // answer only for addresses on this interface
		{"arp_announce", "1"}, // ARP requests from an address of this interface's subnet
		{"arp_filter", "0"},
		{"accept_local", "1"}, // the address owner case: our own source address arrives
		{"rp_filter", "0"},    // replies leave through the parent
	}
	parentSysctls = [][2]string{
		{"arp_ignore", "1"}, // do not answer for the VIPs, which live on the VMAC
		{"arp_filter", "1"},
		// Traffic from a VIP leaves through the parent; its own ARP
		// requests must not name the VIP as sender, or every client that
		// hears one learns the VIP at the parent's MAC.
		{"arp_announce", "2"},
	}
)

// VMACs creates and removes VMAC interfaces in the network namespace of
// the calling thread. A parent's changed options are restored when its
// last VMAC is removed. The zero value is ready; it is safe for concurrent
// use.
type VMACs struct {
	mu    sync.Mutex
	saved map[string][][2]string // parent -> its original options
	users map[string]int         // parent -> VMACs on it
}

// Add creates v (macvlan mode private, so the VMAC hears its own group
// traffic whatever the source MAC) and sets it up, with the interface
// options above. A VMAC of that name already on Parent with that MAC (a
// crash left it) is reused; any other interface of that name is an error.
func (vs *VMACs) Add(v VMAC) error {
	parent, err := netlink.LinkByName(v.Parent)
	if err != nil {
		return fmt.Errorf("vmac %s: parent: %w", v.Name, err)
	}
	link, err := netlink.LinkByName(v.Name)
	switch {
	case err == nil:
		mv, ok := link.(*netlink.Macvlan)
		if !ok || mv.ParentIndex != parent.Attrs().Index || mv.HardwareAddr.String() != v.MAC.String() {
			return fmt.Errorf("vmac %s: an interface of that name exists and is not this VMAC", v.Name)
		}
	case errors.As(err, new(netlink.LinkNotFoundError)):
		mv := &netlink.Macvlan{
			LinkAttrs: netlink.LinkAttrs{Name: v.Name, ParentIndex: parent.Attrs().Index, HardwareAddr: v.MAC},
			Mode:      netlink.MACVLAN_MODE_PRIVATE,
		}
		if err := netlink.LinkAdd(mv); err != nil {
			return fmt.Errorf("vmac %s on %s: %w", v.Name, v.Parent, err)
		}
		if link, err = netlink.LinkByName(v.Name); err != nil {
			return fmt.Errorf("vmac %s: %w", v.Name, err)
		}
	default:
		return fmt.Errorf("vmac %s: %w", v.Name, err)
	}
	for _, kv := range vmacSysctls {
		if err := writeConf(v.Name, kv[0], kv[1]); err != nil {
			return fmt.Errorf("vmac %s: %w", v.Name, err)
		}
	}
	for _, kv := range ipv6Sysctls(v.IPv6) {
		if err := writeConf6(v.Name, kv[0], kv[1]); err != nil {
			return fmt.Errorf("vmac %s: %w", v.Name, err)
		}
	}
	if err := vs.tuneParent(v.Parent); err != nil {
		return fmt.Errorf("vmac %s: parent %s: %w", v.Name, v.Parent, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("vmac %s: set up: %w", v.Name, err)
	}
	return nil
}

// Delete removes v; a VMAC that is already gone is not an error.
func (vs *VMACs) Delete(v VMAC) error {
	var errs []error
	if link, err := netlink.LinkByName(v.Name); err == nil {
		if err := netlink.LinkDel(link); err != nil {
			errs = append(errs, fmt.Errorf("vmac %s: %w", v.Name, err))
		}
	}
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if vs.users[v.Parent] == 0 {
		return errors.Join(errs...)
	}
	vs.users[v.Parent]--
	if vs.users[v.Parent] == 0 {
		for _, kv := range vs.saved[v.Parent] {
			if err := writeConf(v.Parent, kv[0], kv[1]); err != nil {
				errs = append(errs, fmt.Errorf("parent %s: restoring: %w", v.Parent, err))
			}
		}
		delete(vs.saved, v.Parent)
	}
	return errors.Join(errs...)
}

// tuneParent sets the parent's options, saving the originals for its
// first VMAC.
func (vs *VMACs) tuneParent(parent string) error {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if vs.users == nil {
		vs.users, vs.saved = map[string]int{}, map[string][][2]string{}
	}
	if vs.users[parent] == 0 {
		var orig [][2]string
		for _, kv := range parentSysctls {
			b, err := os.ReadFile(confPath(parent, kv[0]))
			if err != nil {
				return err
			}
			orig = append(orig, [2]string{kv[0], strings.TrimSpace(string(b))})
		}
		for _, kv := range parentSysctls {
			if err := writeConf(parent, kv[0], kv[1]); err != nil {
				return err
			}
		}
		vs.saved[parent] = orig
	}
	vs.users[parent]++
	return nil
}

func confPath(iface, key string) string {
	return filepath.Join("/proc/sys/net/ipv4/conf", iface, key)
}

func writeConf(iface, key, value string) error {
	return os.WriteFile(confPath(iface, key), []byte(value), 0o644)
}

// ipv6Sysctls are the IPv6 options of a VMAC: none at all for IPv4; for
// IPv6 no DAD (every node's VMAC has the same link-local address) and no
// router solicitations.
func ipv6Sysctls(ipv6 bool) [][2]string {
	if !ipv6 {
		return [][2]string{{"disable_ipv6", "1"}}
	}
	return [][2]string{{"accept_dad", "0"}, {"router_solicitations", "0"}, {"accept_ra", "0"}}
}

func writeConf6(iface, key, value string) error {
	err := os.WriteFile(filepath.Join("/proc/sys/net/ipv6/conf", iface, key), []byte(value), 0o644)
	if errors.Is(err, os.ErrNotExist) && key == "disable_ipv6" {
		return nil // a kernel without IPv6
	}
	return err
}
