package balance

import "net/netip"

// FNV-1a 32-bit parameters (FNV specification, draft-eastlake-fnv).
const (
	fnvOffset32 = 2166136261
	fnvPrime32  = 16777619
)

// fnv1a32 continues an FNV-1a hash h over b.
func fnv1a32(h uint32, b []byte) uint32 {
	for _, c := range b {
		h ^= uint32(c)
		h *= fnvPrime32
	}
	return h
}

// avalanche is MurmurHash3's 32-bit finalizer (fmix32): it spreads the
// low-entropy differences between neighbouring addresses over every bit.
func avalanche(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// AddrHash is the `balance source` hash of a client address: FNV-1a 32 over
// the 4 bytes of an IPv4 address (IPv4-mapped IPv6 addresses are unmapped
// first) or the 16 bytes of an IPv6 address, followed by avalanche. The zone
// is ignored. See docs/BALANCING.md.
func AddrHash(a netip.Addr) uint32 {
	a = a.Unmap()
	var h uint32 = fnvOffset32
	if a.Is4() {
		b := a.As4()
		h = fnv1a32(h, b[:])
	} else {
		b := a.As16()
		h = fnv1a32(h, b[:])
	}
	return avalanche(h)
}

// pointHash is the ring position of point i (0-based) of the server named
// name: FNV-1a 32 over the name's bytes, one 0x00 byte, and i as 4 bytes
// big-endian, followed by avalanche.
func pointHash(name string, i uint32) uint32 {
	var h uint32 = fnvOffset32
	for j := 0; j < len(name); j++ {
		h ^= uint32(name[j])
		h *= fnvPrime32
	}
	b := [5]byte{0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
	h = fnv1a32(h, b[:])
	return avalanche(h)
}
