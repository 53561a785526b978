package vrrp

import (
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// openRawSender opens a raw socket for protocol 112 that sends whatever
// bytes it is given, with TTL / hop limit ttl, out of ifi.
func openRawSender(family int, ifi *net.Interface, ttl int) (send func([]byte, netip.Addr) error, closeFn func() error, err error) {
	if family == 4 {
		c, err := net.ListenPacket(fmt.Sprintf("ip4:%d", IPProtocol), "0.0.0.0")
		if err != nil {
			return nil, nil, err
		}
		pc := ipv4.NewPacketConn(c)
		if err := pc.SetMulticastTTL(ttl); err != nil {
			c.Close()
			return nil, nil, err
		}
		if err := pc.SetTTL(ttl); err != nil {
			c.Close()
			return nil, nil, err
		}
		send = func(b []byte, dst netip.Addr) error {
			_, err := pc.WriteTo(b, &ipv4.ControlMessage{IfIndex: ifi.Index}, &net.IPAddr{IP: dst.AsSlice()})
			return err
		}
		return send, c.Close, nil
	}
	c, err := net.ListenPacket(fmt.Sprintf("ip6:%d", IPProtocol), "::")
	if err != nil {
		return nil, nil, err
	}
	pc := ipv6.NewPacketConn(c)
	if err := pc.SetMulticastHopLimit(ttl); err != nil {
		c.Close()
		return nil, nil, err
	}
	if err := pc.SetHopLimit(ttl); err != nil {
		c.Close()
		return nil, nil, err
	}
	send = func(b []byte, dst netip.Addr) error {
		_, err := pc.WriteTo(b, &ipv6.ControlMessage{IfIndex: ifi.Index}, &net.IPAddr{IP: dst.AsSlice()})
		return err
	}
	return send, c.Close, nil
}
