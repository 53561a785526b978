package vrrp

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Addresses used by the golden packets.
var (
	srcV4  = netip.MustParseAddr("192.0.2.1")
	vipV4  = netip.MustParseAddr("192.0.2.100")
	srcV6  = netip.MustParseAddr("fe80::1")
	vipV6  = netip.MustParseAddr("2001:db8::100")
	passV2 = PassKey("1cee4b6e-2cdc-48bf-83b2-01a96d1593e4") // the seed's auth_pass
)

// golden is one hand-built packet: its fields, the IP source and
// destination it travels with, and its exact bytes with the checksum filled.
type golden struct {
	name         string
	packet       Packet
	src, dst     netip.Addr
	pseudoHeader bool
	wire         []byte
}

func goldens() []golden {
	return []golden{
		{
			name: "a VRRPv2 advertisement with PASS authentication",
			packet: Packet{Version: 2, Type: 1, VRID: 51, Priority: 100, AuthType: AuthPass,
				AdvertInt: 1, Checksum: 0xb5d5, Addresses: []netip.Addr{vipV4}, AuthData: passV2},
			src: srcV4, dst: GroupIPv4,
			wire: []byte{
				0x21,       // version 2, type 1 (advertisement)
				51,         // VRID
				100,        // priority
				1,          // count IP addrs
				1,          // auth type 1 (simple text password)
				1,          // advert int 1 s
				0xb5, 0xd5, // checksum over these 20 bytes only
				192, 0, 2, 100, // 192.0.2.100
				'1', 'c', 'e', 'e', '4', 'b', '6', 'e', // first 8 characters of auth_pass
			},
		},
		{
			name: "a VRRPv3 IPv4 advertisement with the pseudo-header (keepalived)",
			packet: Packet{Version: 3, Type: 1, VRID: 51, Priority: 100, MaxAdvertInt: 100,
				Checksum: 0x0572, Addresses: []netip.Addr{vipV4}},
			src: srcV4, dst: GroupIPv4, pseudoHeader: true,
			wire: []byte{
				0x31,      // version 3, type 1
				51,        // VRID
				100,       // priority
				1,         // count IPv4 addrs
				0x00, 100, // rsvd 0, max advert int 100 cs = 1 s
				0x05, 0x72, // checksum over 192.0.2.1, 224.0.0.18, 0, 112, length 12, then these 12 bytes
				192, 0, 2, 100,
			},
		},
		{
			name: "a VRRPv3 IPv4 advertisement without the pseudo-header (RFC 9568 routers)",
			packet: Packet{Version: 3, Type: 1, VRID: 51, Priority: 100, MaxAdvertInt: 100,
				Checksum: 0xa802, Addresses: []netip.Addr{vipV4}},
			src: srcV4, dst: GroupIPv4, pseudoHeader: false,
			wire: []byte{
				0x31, 51, 100, 1, // version 3, type 1, VRID 51, priority 100, 1 address
				0x00, 100, // max advert int 100 cs
				0xa8, 0x02, // checksum over these 12 bytes only
				192, 0, 2, 100,
			},
		},
		{
			name: "a VRRPv3 IPv6 advertisement",
			packet: Packet{Version: 3, Type: 1, VRID: 51, Priority: 100, MaxAdvertInt: 100,
				Checksum: 0x3d8f, Addresses: []netip.Addr{vipV6}},
			src: srcV6, dst: GroupIPv6, pseudoHeader: false, // ignored: IPv6 always has one
			wire: []byte{
				0x31, 51, 100, 1, // version 3, type 1, VRID 51, priority 100, 1 address
				0x00, 100, // max advert int 100 cs
				0x3d, 0x8f, // checksum over fe80::1, ff02::12, length 24, 0, 0, 0, 112, then these 24 bytes
				0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, // 2001:db8::100
			},
		},
	}
}

// refChecksum is a deliberately plain RFC 1071 checksum, independent of
// onesSum: sum every big-endian 16-bit word into a wide integer, fold once
// at the end, complement.
func refChecksum(parts ...[]byte) uint16 {
	var all []byte
	for _, p := range parts {
		all = append(all, p...)
	}
	if len(all)%2 == 1 {
		all = append(all, 0)
	}
	var sum uint64
	for i := 0; i < len(all); i += 2 {
		sum += uint64(all[i])<<8 + uint64(all[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// refPseudoHeader builds the pseudo-header by hand for refChecksum.
func refPseudoHeader(g golden) []byte {
	if g.packet.Version == 2 {
		return nil
	}
	n := len(g.wire)
	if g.src.Is4() {
		if !g.pseudoHeader {
			return nil
		}
		s, d := g.src.As4(), g.dst.As4()
		return append(append(s[:], d[:]...), 0, IPProtocol, byte(n>>8), byte(n))
	}
	s, d := g.src.As16(), g.dst.As16()
	return append(append(s[:], d[:]...), byte(n>>24), byte(n>>16), byte(n>>8), byte(n), 0, 0, 0, IPProtocol)
}

func TestGoldenChecksumsAreIndependentlyRight(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			zeroed := bytes.Clone(g.wire)
			zeroed[6], zeroed[7] = 0, 0
			want := refChecksum(refPseudoHeader(g), zeroed)
			if got := uint16(g.wire[6])<<8 | uint16(g.wire[7]); got != want {
				t.Errorf("golden checksum %#04x, reference computes %#04x", got, want)
			}
		})
	}
}

func TestMarshalProducesTheGoldenBytes(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			got, err := g.packet.Marshal(g.src, g.dst, g.pseudoHeader)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if diff := cmp.Diff(g.wire, got); diff != "" {
				t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
			}
			bin, err := g.packet.MarshalBinary()
			if err != nil {
				t.Fatalf("MarshalBinary: %v", err)
			}
			zeroed := bytes.Clone(g.wire)
			zeroed[6], zeroed[7] = 0, 0
			if diff := cmp.Diff(zeroed, bin); diff != "" {
				t.Errorf("MarshalBinary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnmarshalReadsTheGoldenBytes(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			var got Packet
			if err := got.UnmarshalBinary(g.wire); err != nil {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			if diff := cmp.Diff(g.packet, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("UnmarshalBinary mismatch (-want +got):\n%s", diff)
			}
			if !VerifyChecksum(g.wire, g.src, g.dst, g.packet.Version, g.pseudoHeader) {
				t.Error("VerifyChecksum rejects the golden packet")
			}
			bad := bytes.Clone(g.wire)
			bad[len(bad)-1] ^= 0x01
			if VerifyChecksum(bad, g.src, g.dst, g.packet.Version, g.pseudoHeader) {
				t.Error("VerifyChecksum accepts a packet with a flipped bit")
			}
		})
	}
}

func TestThePseudoHeaderChoiceChangesTheIPv4Checksum(t *testing.T) {
	g := goldens()[1]
	if VerifyChecksum(g.wire, g.src, g.dst, 3, false) {
		t.Error("a checksum made with the pseudo-header verifies without it")
	}
	g = goldens()[2]
	if VerifyChecksum(g.wire, g.src, g.dst, 3, true) {
		t.Error("a checksum made without the pseudo-header verifies with it")
	}
}

func TestUnmarshalRejects(t *testing.T) {
	v2 := goldens()[0].wire
	v3 := goldens()[1].wire
	with := func(b []byte, i int, v byte) []byte {
		b = bytes.Clone(b)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"an empty packet is short", nil, io.ErrUnexpectedEOF},
		{"a 7-byte header is short", v3[:7], io.ErrUnexpectedEOF},
		{"a v2 packet without its auth data is short", v2[:12], io.ErrUnexpectedEOF},
		{"a v3 packet missing an address byte is short", v3[:11], io.ErrUnexpectedEOF},
		{"a count larger than the addresses present is short", with(v3, 3, 2), io.ErrUnexpectedEOF},
		{"version 1 is unsupported", with(v3, 0, 0x11), errVersion},
		{"version 4 is unsupported", with(v3, 0, 0x41), errVersion},
		{"type 2 is unsupported", with(v3, 0, 0x32), errType},
		{"trailing bytes after a v2 packet are a bad length", append(bytes.Clone(v2), 0), errLength},
		{"trailing bytes after a v3 packet are a bad length", append(bytes.Clone(v3), 0, 0), errLength},
		{"a count smaller than the addresses present is a bad length", with(v3, 3, 0), errLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Packet
			if err := p.UnmarshalBinary(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("UnmarshalBinary error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestUnmarshalWithAFamilyRejectsTheOther(t *testing.T) {
	var p Packet
	if err := p.unmarshal(goldens()[3].wire, 4); !errors.Is(err, errLength) {
		t.Errorf("an IPv6 VRRPv3 packet read as IPv4: error = %v, want %v", err, errLength)
	}
	if err := p.unmarshal(goldens()[0].wire, 6); !errors.Is(err, errVersion) {
		t.Errorf("a VRRPv2 packet read as IPv6: error = %v, want %v", err, errVersion)
	}
}

func TestMarshalRejects(t *testing.T) {
	tests := []struct {
		name string
		p    Packet
	}{
		{"version 4", Packet{Version: 4, Type: 1}},
		{"type 0", Packet{Version: 3, Type: 0}},
		{"VRRPv2 with an IPv6 address", Packet{Version: 2, Type: 1, Addresses: []netip.Addr{vipV6}}},
		{"VRRPv3 with mixed families", Packet{Version: 3, Type: 1, Addresses: []netip.Addr{vipV4, vipV6}}},
		{"an invalid address", Packet{Version: 3, Type: 1, Addresses: []netip.Addr{{}}}},
		{"a max advert int above 12 bits", Packet{Version: 3, Type: 1, MaxAdvertInt: 4096}},
		{"256 addresses", Packet{Version: 3, Type: 1, Addresses: make([]netip.Addr, 256)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := tt.p.MarshalBinary(); err == nil {
				t.Errorf("MarshalBinary = %x, want an error", b)
			}
		})
	}
	p := goldens()[3].packet
	if _, err := p.Marshal(srcV4, GroupIPv4, true); err == nil {
		t.Error("Marshal of IPv6 addresses from an IPv4 source succeeded")
	}
	p = goldens()[1].packet
	if _, err := p.Marshal(netip.Addr{}, GroupIPv4, true); err == nil {
		t.Error("Marshal of VRRPv3 without a source succeeded")
	}
}

func TestPassKeyKeepsTheFirstEightBytes(t *testing.T) {
	tests := []struct {
		in   string
		want [8]byte
	}{
		{"1cee4b6e-2cdc-48bf-83b2-01a96d1593e4", [8]byte{'1', 'c', 'e', 'e', '4', 'b', '6', 'e'}},
		{"abc", [8]byte{'a', 'b', 'c'}},
		{"", [8]byte{}},
	}
	for _, tt := range tests {
		if got := PassKey(tt.in); got != tt.want {
			t.Errorf("PassKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckAuth(t *testing.T) {
	v2 := goldens()[0].packet
	none := v2
	none.AuthType, none.AuthData = AuthNone, [8]byte{}
	v3 := goldens()[1].packet
	tests := []struct {
		name     string
		p        Packet
		authType uint8
		pass     [8]byte
		want     bool
	}{
		{"a PASS packet with the right password passes", v2, AuthPass, PassKey("1cee4b6e"), true},
		{"a PASS packet with a wrong password fails", v2, AuthPass, PassKey("1cee4b6f"), false},
		{"a PASS packet fails an instance without authentication", v2, AuthNone, [8]byte{}, false},
		{"an unauthenticated packet fails a PASS instance", none, AuthPass, passV2, false},
		{"an unauthenticated packet passes an instance without authentication", none, AuthNone, [8]byte{}, true},
		{"a VRRPv3 packet always passes", v3, AuthPass, passV2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.CheckAuth(tt.authType, tt.pass); got != tt.want {
				t.Errorf("CheckAuth = %v, want %v", got, tt.want)
			}
		})
	}
}

// A VRRPv3 advert over IPv6 may carry an IPv4-mapped address: it is
// 16 bytes on the wire and stays 16 bytes when written back.
func TestIPv4MappedAddressKeepsItsFamily(t *testing.T) {
	p := Packet{Version: 3, Type: TypeAdvertisement, VRID: 1, Priority: 100, MaxAdvertInt: 100,
		Addresses: []netip.Addr{netip.MustParseAddr("::ffff:192.0.2.1")}}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != headerLen+16 {
		t.Fatalf("%d bytes, want %d", len(b), headerLen+16)
	}
	var q Packet
	if err := q.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	out, err := q.MarshalBinary()
	if err != nil || !bytes.Equal(out, b) {
		t.Fatalf("round trip: %x, %v; want %x", out, err, b)
	}
}
