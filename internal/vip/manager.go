package vip

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// A Manager adds, removes and announces virtual IP addresses in the network
// namespace of the calling OS thread. Its methods are safe for concurrent
// use; the zero value logs nothing and sends gratuitous ARP requests only.
type Manager struct {
	log *slog.Logger

	// ARPReply, when set before use, follows every gratuitous ARP request
	// with a gratuitous ARP reply (RFC 5944 §4.6 allows either) for
	// equipment that learns only from replies. keepalived sends requests.
	ARPReply bool
}

// NewManager returns a Manager that logs to log at debug level; nil logs
// nothing.
func NewManager(log *slog.Logger) *Manager {
	return &Manager{log: log}
}

func (m *Manager) logger() *slog.Logger {
	if m.log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return m.log
}

// opError names the operation, address and interface.
func opError(op string, a Address, err error) error {
	return fmt.Errorf("%s %s on %s: %w", op, a.Prefix, a.Dev, err)
}

// Add puts a on its interface. An address that is already there (same
// address and prefix length) is left as it is. IPv4 gets no broadcast
// address unless a.Brd is set; IPv6 is added with IFA_F_NODAD so that it is
// usable, not tentative, as soon as Add returns.
func (m *Manager) Add(a Address) error {
	if err := a.check(); err != nil {
		return opError("add", a, err)
	}
	link, err := netlink.LinkByName(a.Dev)
	if err != nil {
		return opError("add", a, err)
	}
	if has, err := m.has(link, a); err != nil {
		return opError("add", a, err)
	} else if has {
		return nil
	}
	if err := netlink.AddrAdd(link, a.netlinkAddr()); err != nil {
		if errors.Is(err, unix.EEXIST) {
			if has, herr := m.has(link, a); herr == nil && has {
				return nil // added concurrently
			}
			err = fmt.Errorf("the address exists with another prefix length: %w", err)
		}
		return opError("add", a, err)
	}
	m.logger().Debug("vip added", "iface", a.Dev, "addr", a.Prefix.String())
	return nil
}

// Delete removes a (same address and prefix length, whatever its label)
// from its interface. An address or interface that is not there is not an
// error.
func (m *Manager) Delete(a Address) error {
	if err := a.check(); err != nil {
		return opError("delete", a, err)
	}
	link, err := netlink.LinkByName(a.Dev)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return opError("delete", a, err)
	}
	addrs, err := addrList(link, family(a))
	if err != nil {
		return opError("delete", a, err)
	}
	for _, na := range addrs {
		if !a.matches(na) {
			continue
		}
		del := a.netlinkAddr()
		del.Label = na.Label // the kernel matches the label on delete
		if err := netlink.AddrDel(link, del); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return opError("delete", a, err)
		}
		m.logger().Debug("vip deleted", "iface", a.Dev, "addr", a.Prefix.String())
		return nil
	}
	return nil
}

// Has reports whether a (same address and prefix length) is on its
// interface.
func (m *Manager) Has(a Address) (bool, error) {
	if err := a.check(); err != nil {
		return false, opError("look up", a, err)
	}
	link, err := netlink.LinkByName(a.Dev)
	if err != nil {
		return false, opError("look up", a, err)
	}
	has, err := m.has(link, a)
	if err != nil {
		return false, opError("look up", a, err)
	}
	return has, nil
}

func (m *Manager) has(link netlink.Link, a Address) (bool, error) {
	addrs, err := addrList(link, family(a))
	if err != nil {
		return false, err
	}
	for _, na := range addrs {
		if a.matches(na) {
			return true, nil
		}
	}
	return false, nil
}

func family(a Address) int {
	if a.Prefix.Addr().Is4() {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}

// addrList lists link's addresses, retrying when the kernel reports the
// dump interrupted by a concurrent change (the results are then unreliable).
func addrList(link netlink.Link, fam int) ([]netlink.Addr, error) {
	var err error
	for range 5 {
		var addrs []netlink.Addr
		addrs, err = netlink.AddrList(link, fam)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			if err != nil {
				return nil, fmt.Errorf("list addresses: %w", err)
			}
			return addrs, nil
		}
	}
	return nil, fmt.Errorf("list addresses: %w", err)
}
