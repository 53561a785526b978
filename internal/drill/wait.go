package drill

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/halo-lb/halo/internal/netlab"
)

// WaitAddr polls every 5 ms until h holds addr (want true) or does not
// (want false), and returns how long that took.
func WaitAddr(h *netlab.Host, addr netip.Addr, want bool, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		if HasAddr(h, addr) == want {
			return time.Since(start), nil
		}
		if time.Since(start) > timeout {
			verb := "gain"
			if !want {
				verb = "lose"
			}
			return time.Since(start), fmt.Errorf("%s did not %s %s within %v", h.Name, verb, addr, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Holders returns which of hosts hold addr.
func Holders(addr netip.Addr, hosts ...*netlab.Host) []string {
	var out []string
	for _, h := range hosts {
		if HasAddr(h, addr) {
			out = append(out, h.Name)
		}
	}
	return out
}
