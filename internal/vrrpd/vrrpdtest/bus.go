// Package vrrpdtest provides in-memory stand-ins for the world a
// vrrpd.Router acts on: a Bus that carries VRRP adverts between routers of
// one test (one segment per interface name), and Links whose state the
// test sets. With viptest.Fake for the addresses, routers elect, fail over
// and reload without root or sockets.
package vrrpdtest

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/halo-lb/halo/internal/vrrp"
	"github.com/halo-lb/halo/internal/vrrpd"
)

// Bus is a set of segments, one per interface name: a packet written on
// "eth0" reaches every other conn on "eth0" that joined the destination
// group (multicast) or the conn whose host address is the destination
// (unicast). Its zero value is ready.
type Bus struct {
	mu    sync.Mutex
	conns []*conn
	cut   map[netip.Addr]bool
}

// Host returns the network of one router on the bus; its adverts come
// from addr.
func (b *Bus) Host(addr netip.Addr) *Network { return &Network{bus: b, addr: addr} }

// Cut isolates a host (true) or reconnects it (false): nothing it sends
// arrives, nothing sent reaches it — a pulled cable.
func (b *Bus) Cut(addr netip.Addr, cut bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cut == nil {
		b.cut = map[netip.Addr]bool{}
	}
	b.cut[addr] = cut
}

// Network opens conns of one host on the bus. It implements vrrpd.Network.
type Network struct {
	bus  *Bus
	addr netip.Addr
	// Fail, when set, makes Listen fail with it.
	Fail error
}

// Listen implements vrrpd.Network.
func (n *Network) Listen(family int, iface string, opts vrrp.ListenOptions) (vrrpd.Conn, error) {
	if n.Fail != nil {
		return nil, n.Fail
	}
	src := n.addr
	if opts.SrcIP.IsValid() {
		src = opts.SrcIP
	}
	c := &conn{bus: n.bus, iface: iface, family: family, src: src, in: make(chan vrrp.Received, 256), closed: make(chan struct{})}
	if opts.Multicast {
		c.group = opts.Group
		if !c.group.IsValid() {
			c.group = vrrp.GroupIPv4
			if family == 6 {
				c.group = vrrp.GroupIPv6
			}
		}
	}
	n.bus.mu.Lock()
	n.bus.conns = append(n.bus.conns, c)
	n.bus.mu.Unlock()
	return c, nil
}

type conn struct {
	bus    *Bus
	iface  string
	family int
	src    netip.Addr
	group  netip.Addr // joined multicast group; invalid: none
	in     chan vrrp.Received
	closed chan struct{}
	once   sync.Once

	mu sync.Mutex
	n  vrrp.Counters
}

func (c *conn) Read() (vrrp.Received, error) {
	select {
	case r := <-c.in:
		c.mu.Lock()
		c.n.Received++
		c.mu.Unlock()
		return r, nil
	case <-c.closed:
		return vrrp.Received{}, net.ErrClosed
	}
}

func (c *conn) WriteTo(p *vrrp.Packet, dst netip.Addr, _ bool) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	cp := *p
	cp.Addresses = slices.Clone(p.Addresses)
	c.mu.Lock()
	c.n.Sent++
	c.mu.Unlock()
	b := c.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cut[c.src] {
		return nil
	}
	multicast := dst.IsMulticast()
	for _, o := range b.conns {
		if o == c || o.iface != c.iface || o.family != c.family || b.cut[o.src] {
			continue
		}
		if multicast && o.group != dst || !multicast && o.src != dst {
			continue // only members of the group hear a multicast advert
		}
		pc := cp
		select {
		case o.in <- vrrp.Received{Packet: &pc, Src: c.src, Dst: dst, TTL: 255}:
		case <-o.closed:
		default: // a full queue drops, as a socket buffer would
		}
	}
	return nil
}

func (c *conn) PrimaryAddr() netip.Addr { return c.src }

func (c *conn) Counters() vrrp.Counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *conn) Close() error {
	c.once.Do(func() {
		close(c.closed)
		b := c.bus
		b.mu.Lock()
		b.conns = slices.DeleteFunc(b.conns, func(o *conn) bool { return o == c })
		b.mu.Unlock()
	})
	return nil
}

func (c *conn) String() string { return fmt.Sprintf("%s on %s", c.src, c.iface) }
