package vrrp

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzPacket checks that whatever UnmarshalBinary accepts, MarshalBinary
// writes back byte for byte (but for the zeroed checksum and reserved bits),
// and that the result decodes to the same packet.
func FuzzPacket(f *testing.F) {
	for _, g := range goldens() {
		f.Add(g.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		if err := p.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of a decoded packet: %v", err)
		}
		want := bytes.Clone(b)
		want[6], want[7] = 0, 0 // checksum
		if p.Version == 3 {
			want[4] &= 0x0f // reserved bits
		}
		if !bytes.Equal(want, out) {
			t.Fatalf("round trip changed the bytes:\nin  %x\nout %x", want, out)
		}
		var q Packet
		if err := q.UnmarshalBinary(out); err != nil {
			t.Fatalf("UnmarshalBinary of MarshalBinary output: %v", err)
		}
		q.Checksum = p.Checksum
		if diff := cmp.Diff(p, q, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
		// A checksum computed by Marshal always verifies.
		src, dst := srcV4, GroupIPv4
		if p.is6() {
			src, dst = srcV6, GroupIPv6
		}
		signed, err := p.Marshal(src, dst, true)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if !VerifyChecksum(signed, src, dst, p.Version, true) {
			t.Fatalf("VerifyChecksum rejects Marshal output %x", signed)
		}
	})
}
