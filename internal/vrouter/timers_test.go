package vrouter

import (
	"net/netip"
	"testing"
	"time"
)

func TestMasterDownInterval(t *testing.T) {
	tests := []struct {
		name     string
		version  int
		priority uint8
		interval time.Duration
		skew     time.Duration
		down     time.Duration
	}{
		{"v2 priority 98 with 1 s adverts waits 3 s plus 158/256 s", 2, 98, time.Second,
			617187500 * time.Nanosecond, 3617187500 * time.Nanosecond},
		{"v2 priority 100 with 1 s adverts waits 3 s plus 156/256 s", 2, 100, time.Second,
			609375000 * time.Nanosecond, 3609375000 * time.Nanosecond},
		{"v2 skew ignores the advert interval", 2, 100, 3 * time.Second,
			609375000 * time.Nanosecond, 9609375000 * time.Nanosecond},
		{"v3 priority 100 with 100 ms adverts waits 300 ms plus 60.9375 ms", 3, 100, 100 * time.Millisecond,
			60937500 * time.Nanosecond, 360937500 * time.Nanosecond},
		{"v3 skew scales with the master's interval", 3, 100, time.Second,
			609375000 * time.Nanosecond, 3609375000 * time.Nanosecond},
		{"v3 address owner has the shortest skew", 3, 255, time.Second,
			3906250 * time.Nanosecond, 3003906250 * time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := skewTime(tt.version, tt.priority, tt.interval); got != tt.skew {
				t.Errorf("skewTime = %v, want %v", got, tt.skew)
			}
			if got := masterDownInterval(tt.version, tt.priority, tt.interval); got != tt.down {
				t.Errorf("masterDownInterval = %v, want %v", got, tt.down)
			}
		})
	}
}

func TestWinsTie(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"a higher last octet wins", "192.0.2.10", "192.0.2.9", true},
		{"a lower address loses", "192.0.2.9", "192.0.2.10", false},
		{"addresses compare as unsigned integers, not strings", "192.0.2.200", "192.0.2.30", true},
		{"an address does not beat itself", "192.0.2.1", "192.0.2.1", false},
		{"an IPv4-mapped address compares as IPv4", "::ffff:192.0.2.2", "192.0.2.1", true},
		{"IPv6 compares all 128 bits", "2001:db8::1:0", "2001:db8::ffff", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := winsTie(netip.MustParseAddr(tt.a), netip.MustParseAddr(tt.b)); got != tt.want {
				t.Errorf("winsTie(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestClampPriority(t *testing.T) {
	tests := []struct {
		name  string
		in    uint8
		owner bool
		want  uint8
	}{
		{"zero becomes one", 0, false, 1},
		{"255 without ownership becomes 254", 255, false, 254},
		{"a normal priority is kept", 98, false, 98},
		{"the address owner stays at 255 whatever tracking says", 40, true, 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clampPriority(tt.in, tt.owner); got != tt.want {
				t.Errorf("clampPriority(%d, %v) = %d, want %d", tt.in, tt.owner, got, tt.want)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	for s := Init; s <= Fault; s++ {
		if got := s.String(); got == "" || got[0] == 'S' {
			t.Errorf("State(%d).String() = %q", int(s), got)
		}
	}
	for r := ReasonStartup; r <= ReasonShutdown; r++ {
		if got := r.String(); got == "" || got[0] == 'R' {
			t.Errorf("Reason(%d).String() = %q", int(r), got)
		}
	}
	if got := State(9).String(); got != "State(9)" {
		t.Errorf("unknown state = %q", got)
	}
}
