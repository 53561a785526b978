package netlab

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// bridgeName is the bridge inside the switch namespace that every host's
// eth0 is plugged into.
const bridgeName = "br0"

// switchHost is the host part of the switch namespace's name.
const switchHost = "switch"

var hostNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// A Lab is a set of hosts on one Ethernet segment. Its zero value is not
// usable: call New. All methods are safe for concurrent use.
type Lab struct {
	prefix string
	pid    int

	mu     sync.Mutex
	closed bool
	sw     netns.NsHandle  // the switch namespace
	swName string          // its name
	swNL   *netlink.Handle // netlink in the switch namespace
	brIdx  int             // ifindex of the bridge there
	hosts  []*Host
	cmds   []*exec.Cmd
}

// New creates the switch namespace "<prefix>-<pid>-switch" holding an
// up bridge with STP and multicast snooping off, so multicast (VRRP, NDP)
// reaches every port at once.
func New(prefix string) (*Lab, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	l := &Lab{prefix: prefix, pid: os.Getpid(), sw: netns.None()}
	l.swName = l.nsName(switchHost)
	sw, err := addNamespace(l.swName)
	if err != nil {
		return nil, fmt.Errorf("create switch namespace: %w", err)
	}
	l.sw = sw
	if err := l.setupSwitch(); err != nil {
		return nil, errors.Join(fmt.Errorf("set up switch namespace %q: %w", l.swName, err), l.Close())
	}
	return l, nil
}

func (l *Lab) setupSwitch() error {
	h, err := netlink.NewHandleAt(l.sw)
	if err != nil {
		return fmt.Errorf("netlink handle: %w", err)
	}
	l.swNL = h
	off := false
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridgeName}, MulticastSnooping: &off}
	if err := h.LinkAdd(br); err != nil {
		return fmt.Errorf("add bridge %s: %w", bridgeName, err)
	}
	link, err := h.LinkByName(bridgeName)
	if err != nil {
		return fmt.Errorf("find bridge %s: %w", bridgeName, err)
	}
	l.brIdx = link.Attrs().Index
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("set bridge %s up: %w", bridgeName, err)
	}
	return nil
}

// nsName is the namespace name of host.
func (l *Lab) nsName(host string) string {
	return fmt.Sprintf("%s-%d-%s", l.prefix, l.pid, host)
}

// Host returns the host called name, or nil.
func (l *Lab) Host(name string) *Host {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range l.hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// AddHost creates a host: namespace "<prefix>-<pid>-<name>" with lo up and
// an eth0 plugged into the lab's bridge, carrying addrs ("192.0.2.11/24",
// "2001:db8::11/64"). IPv6 duplicate address detection is off in the host
// (accept_dad=0, and addresses are added with nodad), so every address,
// link-local included, is usable at once.
func (l *Lab) AddHost(name string, addrs ...string) (*Host, error) {
	if !hostNameRE.MatchString(name) || name == switchHost {
		return nil, fmt.Errorf("invalid host name %q", name)
	}
	prefixes := make([]netip.Prefix, 0, len(addrs))
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return nil, fmt.Errorf("host %q: %w", name, err)
		}
		prefixes = append(prefixes, p)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("host %q: lab is closed", name)
	}
	for _, h := range l.hosts {
		if h.Name == name {
			return nil, fmt.Errorf("host %q already exists", name)
		}
	}
	h := &Host{
		Name:      name,
		Namespace: l.nsName(name),
		lab:       l,
		ns:        netns.None(),
		peer:      truncate(fmt.Sprintf("v%d-%s", len(l.hosts), name), 15),
	}
	ns, err := addNamespace(h.Namespace)
	if err != nil {
		return nil, fmt.Errorf("host %q: %w", name, err)
	}
	h.ns = ns
	// Registered before setup so that Close removes a half-built host.
	l.hosts = append(l.hosts, h)
	if err := l.setupHost(h, prefixes); err != nil {
		return nil, fmt.Errorf("host %q: %w", name, err)
	}
	return h, nil
}

func (l *Lab) setupHost(h *Host, prefixes []netip.Prefix) error {
	// Before eth0 exists, so that it inherits "default".
	err := enter(h.ns, func() error {
		for _, k := range []string{"all", "default"} {
			if err := writeSysctl("net/ipv6/conf/"+k+"/accept_dad", "0"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	nl, err := netlink.NewHandleAt(h.ns)
	if err != nil {
		return fmt.Errorf("netlink handle: %w", err)
	}
	h.nl = nl

	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: h.peer, MasterIndex: l.brIdx},
		PeerName:      "eth0",
		PeerNamespace: netlink.NsFd(int(h.ns)),
	}
	if err := l.swNL.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth %s: %w", h.peer, err)
	}
	if err := l.swNL.LinkSetUp(veth); err != nil {
		return fmt.Errorf("set %s up: %w", h.peer, err)
	}
	for _, ifname := range []string{"lo", "eth0"} {
		link, err := nl.LinkByName(ifname)
		if err != nil {
			return fmt.Errorf("find %s: %w", ifname, err)
		}
		if err := nl.LinkSetUp(link); err != nil {
			return fmt.Errorf("set %s up: %w", ifname, err)
		}
		if ifname == "eth0" {
			h.MAC = link.Attrs().HardwareAddr
			for _, p := range prefixes {
				if err := nl.AddrAdd(link, toNetlinkAddr(p)); err != nil {
					return fmt.Errorf("add %s to eth0: %w", p, err)
				}
			}
		}
	}
	return nil
}

// toNetlinkAddr converts a host address; IPv6 gets IFA_F_NODAD.
func toNetlinkAddr(p netip.Prefix) *netlink.Addr {
	a := &netlink.Addr{IPNet: prefixToIPNet(p)}
	if p.Addr().Is6() {
		a.Flags = 0x02 // IFA_F_NODAD
	}
	return a
}

// Close kills every process started through the lab or still living in one
// of its namespaces, and deletes the namespaces (which destroys the veths
// and the bridge). It is idempotent; later calls return nil.
func (l *Lab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	for _, c := range l.cmds {
		if c.Process != nil {
			_ = c.Process.Kill() // pidfd-backed: never hits a reused pid
		}
	}
	var errs []error
	for _, h := range l.hosts {
		if h.nl != nil {
			h.nl.Close()
		}
		_ = h.ns.Close()
		if err := deleteNamespace(h.Namespace); err != nil {
			errs = append(errs, fmt.Errorf("host %q: %w", h.Name, err))
		}
	}
	if l.swNL != nil {
		l.swNL.Close()
	}
	_ = l.sw.Close()
	if err := deleteNamespace(l.swName); err != nil {
		errs = append(errs, fmt.Errorf("switch: %w", err))
	}
	return errors.Join(errs...)
}

func writeSysctl(key, value string) error {
	path := "/proc/sys/" + key
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, value, err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
