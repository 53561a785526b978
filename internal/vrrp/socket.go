package vrrp

import (
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// socket is one family's raw IPPROTO_VRRP socket with its control messages.
type socket interface {
	// readFrom reads one IP payload into b with what the kernel tells of
	// it; a missing value is zero (ttl -1 when unknown).
	readFrom(b []byte) (n int, src, dst netip.Addr, ttl, ifindex int, err error)
	// writeTo sends b from src to dst out of interface ifindex.
	writeTo(b []byte, src, dst netip.Addr, ifindex int) error
	close() error
}

// openSocket4 opens and configures the IPv4 raw socket of Listen; a valid
// group is joined on ifi.
func openSocket4(ifi *net.Interface, group netip.Addr) (socket, error) {
	c, err := net.ListenPacket(fmt.Sprintf("ip4:%d", IPProtocol), "0.0.0.0")
	if err != nil {
		return nil, err
	}
	pc := ipv4.NewPacketConn(c)
	err = configure(
		// Outgoing TTL 255 for both group and unicast-peer destinations
		// (RFC 5798 section 5.1.1.3).
		step{"set multicast ttl", func() error { return pc.SetMulticastTTL(TTL) }},
		step{"set unicast ttl", func() error { return pc.SetTTL(TTL) }},
		// Our own multicast advertisements must not come back to us.
		step{"disable multicast loopback", func() error { return pc.SetMulticastLoopback(false) }},
		step{"set multicast interface", func() error { return pc.SetMulticastInterface(ifi) }},
		// Received TTL (IP_RECVTTL), destination and interface
		// (IP_PKTINFO): Read checks all three.
		step{"ask for ttl, destination and interface", func() error { return pc.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst|ipv4.FlagInterface, true) }},
		step{"join " + group.String(), func() error {
			if !group.IsValid() {
				return nil
			}
			return pc.JoinGroup(ifi, &net.IPAddr{IP: group.AsSlice()})
		}},
	)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &socket4{pc: pc}, nil
}

type socket4 struct{ pc *ipv4.PacketConn }

func (s *socket4) readFrom(b []byte) (n int, src, dst netip.Addr, ttl, ifindex int, err error) {
	n, cm, from, err := s.pc.ReadFrom(b)
	if err != nil {
		return 0, src, dst, 0, 0, err
	}
	if a, ok := from.(*net.IPAddr); ok {
		src, _ = netip.AddrFromSlice(a.IP)
	}
	ttl = -1
	if cm != nil {
		dst, _ = netip.AddrFromSlice(cm.Dst)
		ttl, ifindex = cm.TTL, cm.IfIndex
	}
	return n, src.Unmap(), dst.Unmap(), ttl, ifindex, nil
}

func (s *socket4) writeTo(b []byte, src, dst netip.Addr, ifindex int) error {
	// IP_PKTINFO names the interface and the source; the kernel fills in
	// the rest of the IPv4 header with the TTLs set in openSocket4.
	cm := &ipv4.ControlMessage{IfIndex: ifindex, Src: src.AsSlice()}
	_, err := s.pc.WriteTo(b, cm, &net.IPAddr{IP: dst.AsSlice()})
	return err
}

func (s *socket4) close() error { return s.pc.Close() }

// openSocket6 opens and configures the IPv6 raw socket of Listen.
//
// The checksum: a raw IPv6 socket for protocol 112 leaves it alone unless
// IPV6_CHECKSUM is set. halo does not set it and computes and verifies the
// checksum itself, with the pseudo-header built from the source it sends
// from and the destination IPV6_PKTINFO reports, so that a bad checksum is
// counted (the kernel would drop it silently) and IPv4 and IPv6 share one
// code path.
func openSocket6(ifi *net.Interface, group netip.Addr) (socket, error) {
	c, err := net.ListenPacket(fmt.Sprintf("ip6:%d", IPProtocol), "::")
	if err != nil {
		return nil, err
	}
	pc := ipv6.NewPacketConn(c)
	err = configure(
		step{"set multicast hop limit", func() error { return pc.SetMulticastHopLimit(TTL) }},
		step{"set unicast hop limit", func() error { return pc.SetHopLimit(TTL) }},
		step{"disable multicast loopback", func() error { return pc.SetMulticastLoopback(false) }},
		step{"set multicast interface", func() error { return pc.SetMulticastInterface(ifi) }},
		step{"ask for hop limit, destination and interface", func() error {
			return pc.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true)
		}},
		step{"join " + group.String(), func() error {
			if !group.IsValid() {
				return nil
			}
			return pc.JoinGroup(ifi, &net.IPAddr{IP: group.AsSlice()})
		}},
	)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &socket6{pc: pc}, nil
}

type socket6 struct{ pc *ipv6.PacketConn }

func (s *socket6) readFrom(b []byte) (n int, src, dst netip.Addr, ttl, ifindex int, err error) {
	n, cm, from, err := s.pc.ReadFrom(b)
	if err != nil {
		return 0, src, dst, 0, 0, err
	}
	if a, ok := from.(*net.IPAddr); ok {
		src, _ = netip.AddrFromSlice(a.IP)
	}
	ttl = -1
	if cm != nil {
		dst, _ = netip.AddrFromSlice(cm.Dst)
		ttl, ifindex = cm.HopLimit, cm.IfIndex
	}
	return n, src, dst, ttl, ifindex, nil
}

func (s *socket6) writeTo(b []byte, src, dst netip.Addr, ifindex int) error {
	// IPV6_PKTINFO names the interface (which also scopes a link-local
	// destination) and the source.
	cm := &ipv6.ControlMessage{IfIndex: ifindex, Src: src.AsSlice()}
	_, err := s.pc.WriteTo(b, cm, &net.IPAddr{IP: dst.AsSlice()})
	return err
}

func (s *socket6) close() error { return s.pc.Close() }

// A step is one named socket option of the setup.
type step struct {
	name string
	do   func() error
}

// configure runs the setup steps in order and stops at the first error.
func configure(steps ...step) error {
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}
