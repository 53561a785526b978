package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
)

// Protocol numbers, groups and field values of RFC 3768 and RFC 5798.
const (
	// IPProtocol is the IP protocol number of VRRP (RFC 5798 section 5.1.1.4).
	IPProtocol = 112

	// TTL is the only TTL / hop limit a VRRP packet may be sent or received
	// with (RFC 5798 sections 5.1.1.3 and 7.1).
	TTL = 255

	// TypeAdvertisement is the only VRRP packet type (RFC 5798 section 5.2.2).
	TypeAdvertisement = 1

	// AuthNone and AuthPass are the VRRPv2 authentication types of RFC 2338
	// section 5.3.6 kept by keepalived; RFC 3768 only defines AuthNone.
	AuthNone = 0
	AuthPass = 1

	// maxAdvertIntMask keeps the 12 bits of the VRRPv3 Max Advert Int field.
	maxAdvertIntMask = 0x0fff

	headerLen   = 8 // version/type, VRID, priority, count, 2 bytes, checksum
	authDataLen = 8 // VRRPv2 authentication data
)

// The VRRP multicast groups (RFC 5798 section 5.1.1.2 and 5.1.2.2).
var (
	GroupIPv4 = netip.MustParseAddr("224.0.0.18")
	GroupIPv6 = netip.MustParseAddr("ff02::12")
)

// Errors UnmarshalBinary returns besides io.ErrUnexpectedEOF; Conn counts each
// kind separately.
var (
	errVersion = errors.New("unsupported vrrp version")
	errType    = errors.New("unsupported vrrp packet type")
	errLength  = errors.New("vrrp length does not match address count")
)

// A Packet is a VRRP advertisement, version 2 (RFC 3768 section 5.1) or
// version 3 (RFC 5798 section 5.2).
type Packet struct {
	// Version is 2 or 3.
	Version uint8
	// Type is TypeAdvertisement.
	Type uint8
	// VRID is the virtual router identifier, 1..255.
	VRID uint8
	// Priority is the sender's priority: 255 the address owner, 0 a master
	// that stops.
	Priority uint8
	// AuthType is the VRRPv2 authentication type (AuthNone, AuthPass);
	// VRRPv3 has no such field.
	AuthType uint8
	// AdvertInt is the VRRPv2 advertisement interval in seconds.
	AdvertInt uint8
	// MaxAdvertInt is the VRRPv3 advertisement interval in centiseconds,
	// 12 bits (at most 4095).
	MaxAdvertInt uint16
	// Checksum is the checksum as read by UnmarshalBinary. MarshalBinary
	// writes 0 here on the wire; Marshal computes the real one and ignores
	// this field.
	Checksum uint16
	// Addresses are the virtual addresses: IPv4 for VRRPv2, all IPv4 or all
	// IPv6 for VRRPv3.
	Addresses []netip.Addr
	// AuthData is the VRRPv2 authentication data: the password for
	// AuthPass, zero-padded (see PassKey).
	AuthData [8]byte
}

// is6 reports whether p carries IPv6 addresses. A packet without
// addresses counts as IPv4. An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
// is IPv6 here: the family comes from the packet, where it took 16 bytes.
func (p *Packet) is6() bool {
	return len(p.Addresses) > 0 && p.Addresses[0].Is6()
}

// addrLen is the size of one address in p.
func (p *Packet) addrLen() int {
	if p.is6() {
		return 16
	}
	return 4
}

// validate checks what MarshalBinary cannot encode.
func (p *Packet) validate() error {
	if p.Version != 2 && p.Version != 3 {
		return fmt.Errorf("%w %d", errVersion, p.Version)
	}
	if p.Type != TypeAdvertisement {
		return fmt.Errorf("%w %d", errType, p.Type)
	}
	if len(p.Addresses) > 255 {
		return fmt.Errorf("vrrp packet has %d addresses, at most 255 fit", len(p.Addresses))
	}
	if p.Version == 3 && p.MaxAdvertInt > maxAdvertIntMask {
		return fmt.Errorf("vrrp max advert int %d does not fit in 12 bits", p.MaxAdvertInt)
	}
	is6 := p.is6()
	if p.Version == 2 && is6 {
		return errors.New("vrrp version 2 carries only ipv4 addresses")
	}
	for _, a := range p.Addresses {
		if !a.IsValid() || a.Is6() != is6 {
			return fmt.Errorf("vrrp address %v: all addresses must be valid and of one family", a)
		}
	}
	return nil
}

// Len is the length of p on the wire.
func (p *Packet) Len() int {
	n := headerLen + len(p.Addresses)*p.addrLen()
	if p.Version == 2 {
		n += authDataLen
	}
	return n
}

// MarshalBinary encodes p with a zero checksum; use Marshal to send it.
//
// VRRPv2 (RFC 3768 section 5.1), 8 + 4n + 8 bytes:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   Auth Type   |   Adver Int   |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 IPv4 Address (1) ... (n)                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|              Authentication Data (8 bytes)                    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// VRRPv3 (RFC 5798 section 5.1), 8 + 4n (IPv4) or 8 + 16n (IPv6) bytes:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|(rsvd) |     Max Adver Int     |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|               IPvX Address (1) ... (n)                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The rsvd bits are sent as zero.
func (p *Packet) MarshalBinary() ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, p.Len())
	b[0] = p.Version<<4 | p.Type
	b[1] = p.VRID
	b[2] = p.Priority
	b[3] = uint8(len(p.Addresses))
	if p.Version == 2 {
		b[4] = p.AuthType
		b[5] = p.AdvertInt
	} else {
		binary.BigEndian.PutUint16(b[4:6], p.MaxAdvertInt&maxAdvertIntMask)
	}
	// b[6:8], the checksum, stays zero.
	n := headerLen
	is6 := p.is6()
	for _, a := range p.Addresses {
		if !is6 {
			a4 := a.As4()
			n += copy(b[n:], a4[:])
		} else {
			a16 := a.As16()
			n += copy(b[n:], a16[:])
		}
	}
	if p.Version == 2 {
		copy(b[n:], p.AuthData[:])
	}
	return b, nil
}

// Marshal encodes p with its checksum filled in:
//   - version 2: over the VRRP message (RFC 3768 section 5.3.8);
//   - version 3 over IPv4: over the VRRP message, preceded by the IPv4
//     pseudo-header (source, destination, zero, protocol 112, length) when
//     pseudoHeader is true, as keepalived, FRR and tcpdump do, and without
//     it when false, as some routers following RFC 9568 do;
//   - version 3 over IPv6: always with the IPv6 pseudo-header of RFC 8200
//     section 8.1 (RFC 5798 section 5.2.8).
//
// src and dst are the IP source and destination the packet is sent with;
// version 2 ignores them.
func (p *Packet) Marshal(src, dst netip.Addr, pseudoHeader bool) ([]byte, error) {
	b, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	ph, err := pseudoHeaderFor(p.Version, src, dst, pseudoHeader, len(b))
	if err != nil {
		return nil, err
	}
	if p.Version == 3 && len(p.Addresses) > 0 && p.is6() != src.Unmap().Is6() {
		return nil, fmt.Errorf("vrrp addresses and source %v are of different families", src)
	}
	binary.BigEndian.PutUint16(b[6:8], ^onesSum(ph, b))
	return b, nil
}

// UnmarshalBinary decodes a VRRP advertisement, the IP payload b. A b too
// short for the fixed header or for the addresses the count announces gives
// io.ErrUnexpectedEOF; an unknown version or type, or a length that does not
// match the count exactly, an error. The family of VRRPv3 addresses follows
// from the length.
func (p *Packet) UnmarshalBinary(b []byte) error {
	return p.unmarshal(b, 0)
}

// unmarshal decodes b; family 4 or 6 fixes the family of VRRPv3 addresses,
// 0 infers it from the length.
func (p *Packet) unmarshal(b []byte, family int) error {
	if len(b) < headerLen {
		return io.ErrUnexpectedEOF
	}
	version, typ := b[0]>>4, b[0]&0x0f
	if version != 2 && version != 3 {
		return fmt.Errorf("%w %d", errVersion, version)
	}
	if typ != TypeAdvertisement {
		return fmt.Errorf("%w %d", errType, typ)
	}
	count := int(b[3])
	alen := 4
	switch {
	case version == 2 && family == 6:
		return fmt.Errorf("%w: version 2 over ipv6", errVersion)
	case version == 2:
		if want := headerLen + 4*count + authDataLen; len(b) != want {
			return lengthError(len(b), want, count)
		}
	case family == 6, family == 0 && count > 0 && len(b) >= headerLen+16*count:
		alen = 16
		fallthrough
	default:
		if want := headerLen + alen*count; len(b) != want {
			return lengthError(len(b), want, count)
		}
	}
	*p = Packet{
		Version:  version,
		Type:     typ,
		VRID:     b[1],
		Priority: b[2],
		Checksum: binary.BigEndian.Uint16(b[6:8]),
	}
	if version == 2 {
		p.AuthType, p.AdvertInt = b[4], b[5]
	} else {
		p.MaxAdvertInt = binary.BigEndian.Uint16(b[4:6]) & maxAdvertIntMask
	}
	if count > 0 {
		p.Addresses = make([]netip.Addr, count)
	}
	n := headerLen
	for i := range p.Addresses {
		if alen == 4 {
			p.Addresses[i] = netip.AddrFrom4([4]byte(b[n : n+4]))
		} else {
			p.Addresses[i] = netip.AddrFrom16([16]byte(b[n : n+16]))
		}
		n += alen
	}
	if version == 2 {
		copy(p.AuthData[:], b[n:])
	}
	return nil
}

func lengthError(got, want, count int) error {
	if got < want {
		return io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %d bytes, %d expected for %d addresses", errLength, got, want, count)
}
