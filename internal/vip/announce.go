package vip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// ndpListenTimeout bounds how long Announce waits for the interface's
// link-local address to leave the tentative state (ndp.Listen cannot bind
// to it before).
const ndpListenTimeout = 3 * time.Second

// allNodes is the destination of unsolicited Neighbor Advertisements
// (RFC 4861 §7.2.6).
var allNodes = netip.MustParseAddr("ff02::1")

// Announce tells the segment that a's address now lives at the hardware
// address of a.Dev: count frames, interval apart (the first at once).
//
// IPv4 sends gratuitous ARP requests as keepalived does: Ethernet
// broadcast, sender and target protocol address both the VIP, sender
// hardware address the interface's, target hardware address broadcast
// (plus a reply after each when ARPReply is set). The frames are written
// to an AF_PACKET socket, so the interface needs no IPv4 address of its own.
//
// IPv6 sends unsolicited Neighbor Advertisements to ff02::1 from the
// interface's link-local address, hop limit 255, Override set, Solicited
// clear, Router set when the interface forwards, with a Target Link-Layer
// Address option.
//
// Announce returns early with ctx's error when ctx ends. count < 1 sends
// nothing.
func (m *Manager) Announce(ctx context.Context, a Address, count int, interval time.Duration) error {
	if err := a.check(); err != nil {
		return opError("announce", a, err)
	}
	if count < 1 {
		return nil
	}
	ifi, err := net.InterfaceByName(a.Dev)
	if err != nil {
		return opError("announce", a, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return opError("announce", a, fmt.Errorf("interface has no Ethernet address"))
	}
	var send func() error
	var closeFn func() error
	if a.Prefix.Addr().Is4() {
		send, closeFn, err = m.garpSender(ifi, a.Prefix.Addr())
	} else {
		send, closeFn, err = naSender(ctx, ifi, a.Prefix.Addr())
	}
	if err != nil {
		return opError("announce", a, err)
	}
	defer closeFn()

	var timer *time.Timer
	for i := range count {
		if i > 0 {
			if timer == nil {
				timer = time.NewTimer(interval)
				defer timer.Stop()
			} else {
				timer.Reset(interval)
			}
			select {
			case <-ctx.Done():
				return opError("announce", a, ctx.Err())
			case <-timer.C:
			}
		} else if err := ctx.Err(); err != nil {
			return opError("announce", a, err)
		}
		if err := send(); err != nil {
			return opError("announce", a, err)
		}
	}
	m.logger().Debug("vip announced", "iface", a.Dev, "addr", a.Prefix.String(), "count", count)
	return nil
}

// garpSender opens an AF_PACKET socket on ifi and returns a function that
// writes one gratuitous ARP request (and reply, if m.ARPReply) for vip.
func (m *Manager) garpSender(ifi *net.Interface, vip netip.Addr) (func() error, func() error, error) {
	frames, err := garpFrames(ifi.HardwareAddr, vip, m.ARPReply)
	if err != nil {
		return nil, nil, err
	}
	c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ARP, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("open packet socket: %w", err)
	}
	dst := &packet.Addr{HardwareAddr: ethernet.Broadcast}
	send := func() error {
		for _, f := range frames {
			if _, err := c.WriteTo(f, dst); err != nil {
				return fmt.Errorf("send gratuitous ARP: %w", err)
			}
		}
		return nil
	}
	return send, c.Close, nil
}

// garpFrames builds the Ethernet frames of one gratuitous ARP burst.
func garpFrames(mac net.HardwareAddr, vip netip.Addr, withReply bool) ([][]byte, error) {
	type arpSpec struct {
		op  arp.Operation
		tha net.HardwareAddr
	}
	specs := []arpSpec{{arp.OperationRequest, ethernet.Broadcast}}
	if withReply {
		// RFC 5944 §4.6: in a reply the target hardware address is also
		// the address the cache entry should be updated to.
		specs = append(specs, arpSpec{arp.OperationReply, mac})
	}
	var frames [][]byte
	for _, s := range specs {
		p, err := arp.NewPacket(s.op, mac, vip, s.tha, vip)
		if err != nil {
			return nil, fmt.Errorf("build ARP packet: %w", err)
		}
		pb, err := p.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("marshal ARP packet: %w", err)
		}
		f := &ethernet.Frame{
			Destination: ethernet.Broadcast,
			Source:      mac,
			EtherType:   ethernet.EtherTypeARP,
			Payload:     pb,
		}
		fb, err := f.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("marshal Ethernet frame: %w", err)
		}
		frames = append(frames, fb)
	}
	return frames, nil
}

// naSender opens an NDP socket on ifi and returns a function that sends one
// unsolicited Neighbor Advertisement for vip.
func naSender(ctx context.Context, ifi *net.Interface, vip netip.Addr) (func() error, func() error, error) {
	c, err := listenNDP(ctx, ifi)
	if err != nil {
		return nil, nil, err
	}
	msg := unsolicitedNA(ifi.HardwareAddr, vip, forwarding(ifi.Name))
	send := func() error {
		if err := c.WriteTo(msg, nil, allNodes); err != nil {
			return fmt.Errorf("send neighbor advertisement: %w", err)
		}
		return nil
	}
	return send, c.Close, nil
}

// unsolicitedNA is the advertisement of RFC 4861 §7.2.6.
func unsolicitedNA(mac net.HardwareAddr, vip netip.Addr, router bool) *ndp.NeighborAdvertisement {
	return &ndp.NeighborAdvertisement{
		Router:        router,
		Solicited:     false,
		Override:      true,
		TargetAddress: vip,
		Options: []ndp.Option{
			&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac},
		},
	}
}

// listenNDP opens an NDP socket bound to ifi's link-local address, retrying
// while that address does not exist yet or is still tentative.
func listenNDP(ctx context.Context, ifi *net.Interface) (*ndp.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, ndpListenTimeout)
	defer cancel()
	for {
		c, _, err := ndp.Listen(ifi, ndp.LinkLocal)
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("open NDP socket (is the link-local address tentative?): %w",
				errors.Join(err, ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// forwarding reports whether iface forwards IPv6, which makes the node a
// router and sets the R flag in its advertisements.
func forwarding(iface string) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + iface + "/forwarding")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}
