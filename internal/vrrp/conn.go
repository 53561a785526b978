package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// ListenOptions tune Listen. The zero value listens for unicast peers only,
// sends from the interface's primary address and checks VRRPv3-over-IPv4
// checksums with the pseudo-header, as keepalived does.
type ListenOptions struct {
	// SrcIP is the source of sent packets (keepalived's unicast_src_ip or
	// mcast_src_ip). Zero means the interface's primary address: its first
	// IPv4 address, or its IPv6 link-local address as RFC 5798 section
	// 5.1.2.1 requires.
	SrcIP netip.Addr
	// SrcInterface, when SrcIP is zero, is the interface whose primary
	// address is the source instead of the listening one (use_vmac: the
	// VMAC holds only VIPs, its parent the node's own address). IPv6 keeps
	// the listening interface's link-local address, which must be on the
	// interface it leaves from.
	SrcInterface string
	// Multicast joins the VRRP group (224.0.0.18 or ff02::12, or Group)
	// on the interface. False receives only packets sent to one of the
	// host's unicast addresses (unicast_peer mode).
	Multicast bool
	// Group is the multicast group to join (keepalived's vrrp_mcast_group4
	// or vrrp_mcast_group6); zero means the RFC group of the family.
	Group netip.Addr
	// NoPseudoHeader verifies received VRRPv3-over-IPv4 checksums without
	// the IPv4 pseudo-header (RFC 9568 routers). It does not change what
	// WriteTo sends, which its own argument chooses.
	NoPseudoHeader bool
}

// Received is one valid VRRP packet as Read returns it.
type Received struct {
	Packet *Packet
	// Src and Dst are the IP source and destination; Src of an IPv6
	// packet is usually link-local, without zone (the zone is the Conn's
	// interface).
	Src, Dst netip.Addr
	// TTL is the received TTL or hop limit: always 255 for a multicast
	// advert; as received (-1 when not reported) for a unicast one.
	TTL int
	// IfIndex is the receiving interface, always the Conn's.
	IfIndex int
}

// Counters count what a Conn sent, received and dropped. Each received
// packet is counted once: as Received or under the first check it failed.
type Counters struct {
	Received       uint64 // valid packets returned by Read
	Sent           uint64 // packets WriteTo sent
	SendErrors     uint64 // WriteTo calls that failed after marshaling
	OtherInterface uint64 // arrived on another interface than the Conn's
	BadTTL         uint64 // multicast with a TTL / hop limit other than 255, or not reported
	BadVersion     uint64 // version not 2 or 3, or 2 over IPv6
	BadType        uint64 // type not advertisement
	BadLength      uint64 // IP payload too short or not matching the address count
	BadChecksum    uint64
}

// Conn is a raw IPPROTO_VRRP socket for one address family and one
// interface. Read and WriteTo may be called concurrently; Read by one
// goroutine at a time.
type Conn struct {
	family         int
	ifindex        int
	src            netip.Addr
	noPseudoHeader bool
	sock           socket

	readMu sync.Mutex
	buf    []byte // guarded by readMu

	received, sent, sendErrors, otherInterface, badTTL, badVersion,
	badType, badLength, badChecksum atomic.Uint64
}

// Listen opens a raw IPPROTO_VRRP socket for family 4 or 6 on the interface
// ifname, in the network namespace of the calling thread. The socket sends
// with TTL / hop limit 255 to groups and unicast peers alike, does not loop
// its multicast back, and joins the VRRP group when opts.Multicast is set.
//
// Checksums are computed and verified here, for IPv6 too: the socket does
// not set IPV6_CHECKSUM, because the kernel would then drop bad packets
// without a trace, where Read counts them as BadChecksum.
func Listen(family int, ifname string, opts ListenOptions) (*Conn, error) {
	if family != 4 && family != 6 {
		return nil, fmt.Errorf("vrrp listen on %q: address family %d is not 4 or 6", ifname, family)
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("vrrp listen: %w", err)
	}
	src := opts.SrcIP.Unmap()
	if !src.IsValid() {
		srcIf := ifi
		if opts.SrcInterface != "" && family == 4 {
			if srcIf, err = net.InterfaceByName(opts.SrcInterface); err != nil {
				return nil, fmt.Errorf("vrrp listen on %q: source interface: %w", ifname, err)
			}
		}
		if src, err = primaryAddr(srcIf, family); err != nil {
			return nil, fmt.Errorf("vrrp listen on %q: %w", ifname, err)
		}
	} else if src.Is4() != (family == 4) {
		return nil, fmt.Errorf("vrrp listen on %q: source %v is not an ipv%d address", ifname, src, family)
	}
	group := netip.Addr{}
	if opts.Multicast {
		if group, err = groupOf(family, opts.Group); err != nil {
			return nil, fmt.Errorf("vrrp listen on %q: %w", ifname, err)
		}
	}
	var sock socket
	if family == 4 {
		sock, err = openSocket4(ifi, group)
	} else {
		sock, err = openSocket6(ifi, group)
	}
	if err != nil {
		return nil, fmt.Errorf("vrrp listen on %q (ipv%d): %w", ifname, family, err)
	}
	return &Conn{
		family:         family,
		ifindex:        ifi.Index,
		src:            src.WithZone(""),
		noPseudoHeader: opts.NoPseudoHeader,
		sock:           sock,
		// The largest VRRP packet is 8 + 16×255 bytes; anything longer is
		// read whole and rejected by length.
		buf: make([]byte, 65536),
	}, nil
}

// groupOf is the multicast group a Conn of family joins: g, or the RFC
// group when g is zero.
func groupOf(family int, g netip.Addr) (netip.Addr, error) {
	g = g.Unmap()
	switch {
	case !g.IsValid() && family == 4:
		return GroupIPv4, nil
	case !g.IsValid():
		return GroupIPv6, nil
	case !g.IsMulticast() || g.Is4() != (family == 4):
		return netip.Addr{}, fmt.Errorf("group %v is not an ipv%d multicast address", g, family)
	}
	return g, nil
}

// primaryAddr is the address VRRP sends from by default: the interface's
// first IPv4 address, or its first IPv6 link-local address.
func primaryAddr(ifi *net.Interface, family int) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if family == 4 && ip.Is4() || family == 6 && ip.Is6() && ip.IsLinkLocalUnicast() {
			return ip, nil
		}
	}
	if family == 4 {
		return netip.Addr{}, errors.New("interface has no ipv4 address")
	}
	return netip.Addr{}, errors.New("interface has no ipv6 link-local address")
}

// PrimaryAddr is the source address of the packets c sends:
// ListenOptions.SrcIP, or the interface's primary address. It is also the
// address that breaks a priority tie (RFC 5798 section 6.4.3).
func (c *Conn) PrimaryAddr() netip.Addr { return c.src }

// IfIndex is the index of the Conn's interface.
func (c *Conn) IfIndex() int { return c.ifindex }

// WriteTo sends p from PrimaryAddr to dst, the VRRP group or a unicast
// peer, with the checksum computed as Packet.Marshal describes.
func (c *Conn) WriteTo(p *Packet, dst netip.Addr, pseudoHeader bool) error {
	dst = dst.Unmap()
	if dst.Is4() != (c.family == 4) {
		return fmt.Errorf("vrrp send to %v: not an ipv%d address", dst, c.family)
	}
	b, err := p.Marshal(c.src, dst, pseudoHeader)
	if err != nil {
		return fmt.Errorf("vrrp send to %v: %w", dst, err)
	}
	if err := c.sock.writeTo(b, c.src, dst, c.ifindex); err != nil {
		c.sendErrors.Add(1)
		return fmt.Errorf("vrrp send to %v: %w", dst, err)
	}
	c.sent.Add(1)
	return nil
}

// Read blocks until the next valid VRRP packet arrives on the Conn's
// interface and returns it. Packets that fail a check of RFC 5798 section
// 7.1 that needs no instance state — TTL / hop limit 255 (multicast), version, type,
// length, checksum — or arrive on another interface are dropped and
// counted, never returned. Read returns an error when the socket fails;
// after Close the error satisfies errors.Is(err, net.ErrClosed).
func (c *Conn) Read() (Received, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for {
		n, src, dst, ttl, ifindex, err := c.sock.readFrom(c.buf)
		if err != nil {
			return Received{}, fmt.Errorf("vrrp read: %w", err)
		}
		if r, ok := c.check(c.buf[:n], src, dst, ttl, ifindex); ok {
			c.received.Add(1)
			return r, nil
		}
	}
}

// check applies the per-packet checks in RFC order after the interface
// filter, counting the first failure.
func (c *Conn) check(b []byte, src, dst netip.Addr, ttl, ifindex int) (Received, bool) {
	if ifindex != c.ifindex {
		// One raw socket sees VRRP from every interface of the namespace.
		c.otherInterface.Add(1)
		return Received{}, false
	}
	if dst.IsMulticast() && ttl != TTL {
		// RFC 5798 section 7.1. A unicast advert may come from a peer
		// behind a router (keepalived's rule): its TTL is the instance's
		// to check against the peer's min_ttl/max_ttl.
		c.badTTL.Add(1)
		return Received{}, false
	}
	p := new(Packet)
	if err := p.unmarshal(b, c.family); err != nil {
		switch {
		case errors.Is(err, errVersion):
			c.badVersion.Add(1)
		case errors.Is(err, errType):
			c.badType.Add(1)
		default: // errLength, io.ErrUnexpectedEOF
			c.badLength.Add(1)
		}
		return Received{}, false
	}
	if !VerifyChecksum(b, src, dst, p.Version, !c.noPseudoHeader) {
		c.badChecksum.Add(1)
		return Received{}, false
	}
	return Received{Packet: p, Src: src.WithZone(""), Dst: dst, TTL: ttl, IfIndex: ifindex}, true
}

// Counters returns a snapshot of c's counters.
func (c *Conn) Counters() Counters {
	return Counters{
		Received:       c.received.Load(),
		Sent:           c.sent.Load(),
		SendErrors:     c.sendErrors.Load(),
		OtherInterface: c.otherInterface.Load(),
		BadTTL:         c.badTTL.Load(),
		BadVersion:     c.badVersion.Load(),
		BadType:        c.badType.Load(),
		BadLength:      c.badLength.Load(),
		BadChecksum:    c.badChecksum.Load(),
	}
}

// Close closes the socket; a blocked Read returns.
func (c *Conn) Close() error { return c.sock.close() }
