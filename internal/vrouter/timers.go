package vrouter

import (
	"net/netip"
	"time"
)

// ownerPriority is the priority of the router that owns the virtual
// addresses (RFC 5798 §5.2.4); it becomes Master at once and always preempts.
const ownerPriority = 255

// skewTime is Skew_Time: RFC 3768 §6.1 (v2) (256 − Priority) / 256 seconds,
// RFC 5798 §6.1 (v3) ((256 − Priority) × Master_Adver_Interval) / 256.
// priority is the effective priority. Durations are exact: 158/256 s is
// 617.1875 ms, no rounding to centiseconds.
func skewTime(version int, priority uint8, masterAdverInterval time.Duration) time.Duration {
	n := time.Duration(256 - int(priority))
	if version == 3 {
		return n * masterAdverInterval / 256
	}
	return n * time.Second / 256
}

// masterDownInterval is Master_Down_Interval = 3 × Master_Adver_Interval +
// Skew_Time (RFC 5798 §6.1; RFC 3768 §6.1 with Advertisement_Interval).
func masterDownInterval(version int, priority uint8, masterAdverInterval time.Duration) time.Duration {
	return 3*masterAdverInterval + skewTime(version, priority, masterAdverInterval)
}

// winsTie reports whether a router with address a beats one with address b
// at equal priority: the higher primary address, compared as an unsigned
// big-endian integer, wins (RFC 5798 §6.4.3).
func winsTie(a, b netip.Addr) bool {
	return a.Unmap().Compare(b.Unmap()) > 0
}

// clampPriority keeps an effective priority in 1..254, or 255 for the
// configured address owner. Trackers already clamp; this is the defence.
func clampPriority(p uint8, owner bool) uint8 {
	switch {
	case owner:
		return ownerPriority
	case p == 0:
		return 1
	case p == ownerPriority:
		return ownerPriority - 1
	}
	return p
}
