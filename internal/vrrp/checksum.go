package vrrp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// pseudoHeaderFor returns the bytes that precede a VRRP message of length n
// in its checksum (see Marshal): none for version 2 and for version 3 over
// IPv4 without pseudo-header, the IPv4 pseudo-header of RFC 768 / RFC 793
// form, or the IPv6 one of RFC 8200 section 8.1.
func pseudoHeaderFor(version uint8, src, dst netip.Addr, pseudoHeader bool, n int) ([]byte, error) {
	if version != 3 {
		return nil, nil
	}
	src, dst = src.Unmap(), dst.Unmap()
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return nil, fmt.Errorf("vrrp version 3 checksum needs a source and destination of one family, have %v and %v", src, dst)
	}
	if src.Is4() {
		if !pseudoHeader {
			return nil, nil
		}
		// source (4), destination (4), zero (1), protocol (1), VRRP length (2)
		ph := make([]byte, 12)
		s, d := src.As4(), dst.As4()
		copy(ph[0:4], s[:])
		copy(ph[4:8], d[:])
		ph[9] = IPProtocol
		binary.BigEndian.PutUint16(ph[10:12], uint16(n))
		return ph, nil
	}
	// source (16), destination (16), upper-layer length (4), zero (3),
	// next header (1)
	ph := make([]byte, 40)
	s, d := src.As16(), dst.As16()
	copy(ph[0:16], s[:])
	copy(ph[16:32], d[:])
	binary.BigEndian.PutUint32(ph[32:36], uint32(n))
	ph[39] = IPProtocol
	return ph, nil
}

// onesSum is the 16-bit ones' complement sum (RFC 1071) of ph followed by
// b. Both hold whole 16-bit words except possibly the last byte of b.
func onesSum(ph, b []byte) uint16 {
	var sum uint32
	for _, buf := range [][]byte{ph, b} {
		for len(buf) >= 2 {
			sum += uint32(buf[0])<<8 | uint32(buf[1])
			buf = buf[2:]
		}
		if len(buf) == 1 {
			sum += uint32(buf[0]) << 8
		}
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

// VerifyChecksum reports whether the VRRP message b, received from src to
// dst, carries a correct checksum for the given VRRP version; pseudoHeader
// selects the VRRPv3-over-IPv4 variant as in Marshal.
func VerifyChecksum(b []byte, src, dst netip.Addr, version uint8, pseudoHeader bool) bool {
	if len(b) < headerLen {
		return false
	}
	ph, err := pseudoHeaderFor(version, src, dst, pseudoHeader, len(b))
	if err != nil {
		return false
	}
	return onesSum(ph, b) == 0xffff
}
