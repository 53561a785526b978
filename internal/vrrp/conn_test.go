package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	hostA4   = netip.MustParseAddr("192.0.2.1")
	hostB4   = netip.MustParseAddr("192.0.2.2")
	hostA6   = netip.MustParseAddr("2001:db8::1")
	hostB6   = netip.MustParseAddr("2001:db8::2")
	hostB4_2 = netip.MustParseAddr("198.51.100.2")
)

const waitFor = 3 * time.Second

func advert(version uint8, addrs ...netip.Addr) *Packet {
	p := &Packet{Version: version, Type: TypeAdvertisement, VRID: 51, Priority: 100, Addresses: addrs}
	if version == 2 {
		p.AuthType, p.AdvertInt, p.AuthData = AuthPass, 1, PassKey("1cee4b6e")
	} else {
		p.MaxAdvertInt = 100
	}
	return p
}

func TestConnCarriesAdvertisementsBetweenHosts(t *testing.T) {
	h := newTwoHosts(t)
	tests := []struct {
		name         string
		family       int
		sendOpts     ListenOptions
		recvOpts     ListenOptions
		packet       *Packet
		dst          netip.Addr
		pseudoHeader bool
		wantSrc      netip.Addr // zero: the sender's link-local address
	}{
		{
			name: "a VRRPv2 advertisement reaches the group", family: 4,
			recvOpts: ListenOptions{Multicast: true},
			packet:   advert(2, vipV4), dst: GroupIPv4, wantSrc: hostA4,
		},
		{
			name: "a VRRPv3 IPv4 advertisement with the pseudo-header reaches the group", family: 4,
			recvOpts: ListenOptions{Multicast: true},
			packet:   advert(3, vipV4), dst: GroupIPv4, pseudoHeader: true, wantSrc: hostA4,
		},
		{
			name: "a VRRPv3 IPv4 advertisement without the pseudo-header reaches a listener expecting none", family: 4,
			recvOpts: ListenOptions{Multicast: true, NoPseudoHeader: true},
			packet:   advert(3, vipV4), dst: GroupIPv4, pseudoHeader: false, wantSrc: hostA4,
		},
		{
			name: "a VRRPv2 advertisement reaches a unicast peer that joined no group", family: 4,
			packet: advert(2, vipV4), dst: hostB4, wantSrc: hostA4,
		},
		{
			name: "a VRRPv3 advertisement reaches a unicast peer from a chosen source", family: 4,
			sendOpts: ListenOptions{SrcIP: hostA4},
			packet:   advert(3, vipV4), dst: hostB4, pseudoHeader: true, wantSrc: hostA4,
		},
		{
			name: "a VRRPv3 IPv6 advertisement reaches the group from the link-local address", family: 6,
			recvOpts: ListenOptions{Multicast: true},
			packet:   advert(3, vipV6), dst: GroupIPv6,
		},
		{
			name: "a VRRPv3 IPv6 advertisement reaches a unicast peer", family: 6,
			sendOpts: ListenOptions{SrcIP: hostA6},
			packet:   advert(3, vipV6), dst: hostB6, wantSrc: hostA6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			send := listen(t, h.a, tt.family, "va", tt.sendOpts)
			recv := listen(t, h.b, tt.family, "vb", tt.recvOpts)
			got := reader(t, recv)
			wantSrc := tt.wantSrc
			if !wantSrc.IsValid() {
				wantSrc = send.PrimaryAddr()
				if !wantSrc.IsLinkLocalUnicast() {
					t.Fatalf("IPv6 PrimaryAddr = %v, want a link-local address", wantSrc)
				}
			}
			if err := send.WriteTo(tt.packet, tt.dst, tt.pseudoHeader); err != nil {
				t.Fatalf("WriteTo: %v", err)
			}
			select {
			case r := <-got:
				want := Received{Packet: tt.packet, Src: wantSrc, Dst: tt.dst, TTL: 255, IfIndex: recv.IfIndex()}
				opts := cmp.Options{
					cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
					cmpopts.IgnoreFields(Packet{}, "Checksum"),
				}
				if diff := cmp.Diff(want, r, opts); diff != "" {
					t.Errorf("Read mismatch (-want +got):\n%s", diff)
				}
			case <-time.After(waitFor):
				t.Fatalf("nothing read within %v; receiver counters %+v", waitFor, recv.Counters())
			}
			if c := send.Counters(); c.Sent != 1 {
				t.Errorf("sender counters %+v, want Sent 1", c)
			}
			if c := recv.Counters(); c != (Counters{Received: 1}) {
				t.Errorf("receiver counters %+v, want only Received 1", c)
			}
		})
	}
}

func TestConnDropsAndCountsBadPackets(t *testing.T) {
	h := newTwoHosts(t)
	tests := []struct {
		name    string
		family  int
		ttl     int
		via     string // sender interface in A
		dst     netip.Addr
		payload func(src netip.Addr) []byte // src: the sender's primary address
		want    Counters
	}{
		{
			name: "an IPv4 advertisement with TTL 64 is a bad TTL", family: 4, ttl: 64, via: "va", dst: GroupIPv4,
			payload: func(src netip.Addr) []byte { return mustMarshal(t, advert(3, vipV4), src, GroupIPv4) },
			want:    Counters{BadTTL: 1},
		},
		{
			name: "an IPv6 advertisement with hop limit 1 is a bad TTL", family: 6, ttl: 1, via: "va", dst: GroupIPv6,
			payload: func(src netip.Addr) []byte { return mustMarshal(t, advert(3, vipV6), src, GroupIPv6) },
			want:    Counters{BadTTL: 1},
		},
		{
			name: "an IPv4 advertisement with a flipped checksum is a bad checksum", family: 4, ttl: 255, via: "va", dst: GroupIPv4,
			payload: func(src netip.Addr) []byte { return flipChecksum(mustMarshal(t, advert(2, vipV4), src, GroupIPv4)) },
			want:    Counters{BadChecksum: 1},
		},
		{
			name: "an IPv6 advertisement with a flipped checksum is a bad checksum", family: 6, ttl: 255, via: "va", dst: GroupIPv6,
			payload: func(src netip.Addr) []byte { return flipChecksum(mustMarshal(t, advert(3, vipV6), src, GroupIPv6)) },
			want:    Counters{BadChecksum: 1},
		},
		{
			name: "version 1 is a bad version", family: 4, ttl: 255, via: "va", dst: GroupIPv4,
			payload: func(netip.Addr) []byte { return []byte{0x11, 51, 100, 0, 0, 100, 0, 0} },
			want:    Counters{BadVersion: 1},
		},
		{
			name: "VRRPv2 over IPv6 is a bad version", family: 6, ttl: 255, via: "va", dst: GroupIPv6,
			payload: func(src netip.Addr) []byte { return mustMarshal(t, advert(2, vipV4), src, GroupIPv6) },
			want:    Counters{BadVersion: 1},
		},
		{
			name: "type 2 is a bad type", family: 4, ttl: 255, via: "va", dst: GroupIPv4,
			payload: func(netip.Addr) []byte { return []byte{0x32, 51, 100, 0, 0, 100, 0, 0} },
			want:    Counters{BadType: 1},
		},
		{
			name: "a payload shorter than its address count is a bad length", family: 4, ttl: 255, via: "va", dst: GroupIPv4,
			payload: func(netip.Addr) []byte { return []byte{0x31, 51, 100, 2, 0, 100, 0, 0, 192, 0, 2, 100} },
			want:    Counters{BadLength: 1},
		},
		{
			name: "IPv4 addresses in an IPv6 packet are a bad length", family: 6, ttl: 255, via: "va", dst: GroupIPv6,
			payload: func(src netip.Addr) []byte { return mustMarshal(t, advert(3, vipV4), hostA4, GroupIPv4) },
			want:    Counters{BadLength: 1},
		},
		{
			name: "an advertisement arriving on another interface is dropped", family: 4, ttl: 255, via: "va2", dst: hostB4_2,
			payload: func(netip.Addr) []byte { return mustMarshal(t, advert(2, vipV4), netip.Addr{}, netip.Addr{}) },
			want:    Counters{OtherInterface: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := listen(t, h.a, tt.family, "va", ListenOptions{})
			recv := listen(t, h.b, tt.family, "vb", ListenOptions{Multicast: true})
			got := reader(t, recv)
			bad := rawSender(t, h.a, tt.family, tt.via, tt.ttl)

			bad(tt.payload(good.PrimaryAddr()), tt.dst)
			// A valid packet after the bad one proves the socket still
			// delivers, and Read skipped the bad one.
			group := GroupIPv4
			if tt.family == 6 {
				group = GroupIPv6
			}
			if err := good.WriteTo(advert(3, addrOf(tt.family)), group, true); err != nil {
				t.Fatalf("WriteTo: %v", err)
			}
			select {
			case r := <-got:
				if r.Packet.Version != 3 {
					t.Fatalf("Read returned %+v, want the valid VRRPv3 packet", r.Packet)
				}
			case <-time.After(waitFor):
				t.Fatalf("valid packet not read within %v; counters %+v", waitFor, recv.Counters())
			}
			// Packets from two sockets may be reordered on the way; the
			// reader goroutine keeps reading until both are accounted for.
			tt.want.Received = 1
			deadline := time.Now().Add(waitFor)
			for recv.Counters() != tt.want && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if diff := cmp.Diff(tt.want, recv.Counters()); diff != "" {
				t.Errorf("counters mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListenRejects(t *testing.T) {
	h := newTwoHosts(t)
	tests := []struct {
		name   string
		family int
		ifname string
		opts   ListenOptions
	}{
		{"family 5", 5, "va", ListenOptions{}},
		{"a missing interface", 4, "nosuch0", ListenOptions{}},
		{"an IPv6 source for IPv4", 4, "va", ListenOptions{SrcIP: hostA6}},
		{"an interface without IPv6 link-local address", 6, "lo", ListenOptions{}},
		{"a unicast address as the group", 4, "va", ListenOptions{Multicast: true, Group: hostB4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			inNS(t, h.a, func() {
				var c *Conn
				if c, err = Listen(tt.family, tt.ifname, tt.opts); err == nil {
					c.Close()
				}
			})
			if err == nil {
				t.Error("Listen succeeded, want an error")
			}
		})
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	h := newTwoHosts(t)
	c := listen(t, h.b, 4, "vb", ListenOptions{Multicast: true})
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read()
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("Read after Close returned no error")
		}
	case <-time.After(waitFor):
		t.Fatal("Read still blocked after Close")
	}
}

func addrOf(family int) netip.Addr {
	if family == 6 {
		return vipV6
	}
	return vipV4
}

func mustMarshal(t *testing.T, p *Packet, src, dst netip.Addr) []byte {
	t.Helper()
	if p.Version == 2 {
		b, err := p.Marshal(src, dst, true)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if src.Is4() != dst.Is4() { // a deliberately mismatched packet: no checksum needed
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b, err := p.Marshal(src, dst, true)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func flipChecksum(b []byte) []byte {
	b[6] ^= 0xff
	return b
}
