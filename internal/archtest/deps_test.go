package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/halo-lb/halo/"

// The rules of docs/ARCHITECTURE.md: codecs, parsers and algorithms import
// nothing internal beyond diagnostics; the VRRP state machine never touches
// netlink or sockets; only the daemon connects state changes to VIPs and
// the proxy.
var rules = []struct {
	pkg     string
	allowed []string // internal packages it may import; others are violations
	banned  []string // external packages it must not import
}{
	{pkg: "internal/vrrp", banned: []string{"github.com/vishvananda/netlink"}},
	{pkg: "internal/vrouter", banned: []string{"github.com/vishvananda/netlink", "golang.org/x/net/ipv4", "golang.org/x/net/ipv6", "golang.org/x/sys/unix"}},
	{pkg: "internal/balance"},
	{pkg: "internal/config/haproxy", allowed: []string{"internal/config/diag"}},
	{pkg: "internal/config/keepalived", allowed: []string{"internal/config/diag"}},
	{pkg: "internal/health", allowed: []string{"internal/config/haproxy", "internal/config/diag", "internal/rawsock"}},
	{pkg: "internal/proxy", allowed: []string{"internal/config/haproxy", "internal/config/diag", "internal/balance", "internal/rawsock"}},
	// rawsock is system calls only.
	{pkg: "internal/rawsock", allowed: []string{}},
	// stats renders stats.Snapshot; the daemon builds it from the live parts.
	{pkg: "internal/stats", allowed: []string{"internal/config/haproxy", "internal/config/diag"}},
	{pkg: "internal/vip"},
	{pkg: "internal/track", allowed: []string{"internal/config/keepalived", "internal/config/diag"}},
	// vrrpd wires VRRP to addresses and trackers; it never reaches the
	// daemon, the control socket or the proxy's runtime.
	{pkg: "internal/vrrpd", allowed: []string{"internal/config/keepalived", "internal/config/haproxy", "internal/config/diag", "internal/balance", "internal/proxy", "internal/stats", "internal/track", "internal/vip", "internal/vrouter", "internal/vrrp", "internal/rawsock"}},
	// priv decides accounts from both configurations and runs scripts; it
	// knows nothing of the parts that serve.
	{pkg: "internal/priv", allowed: []string{"internal/config/haproxy", "internal/config/keepalived", "internal/config/diag", "internal/track"}},
	// The BGP speaker announces what the daemon tells it; it knows no VRRP.
	{pkg: "internal/bgp", allowed: []string{"internal/config/keepalived", "internal/config/haproxy", "internal/config/diag", "internal/stats"}},
	// The control socket speaks to a Node interface, never to the daemon.
	{pkg: "internal/ctl", allowed: []string{"internal/config/haproxy", "internal/config/diag", "internal/balance", "internal/proxy", "internal/stats", "internal/rawsock"}},
	// logs only formats and sends: it reads the proxy's connection records.
	{pkg: "internal/logs", allowed: []string{"internal/config/haproxy", "internal/config/diag", "internal/balance", "internal/proxy", "internal/rawsock"}},
}

func TestDependencyDirection(t *testing.T) {
	for _, r := range rules {
		t.Run(r.pkg+" imports only what it may", func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", mod+r.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if dep == mod+r.pkg {
					continue
				}
				if rel, ok := strings.CutPrefix(dep, mod); ok && !contains(r.allowed, rel) {
					t.Errorf("%s imports %s", r.pkg, rel)
				}
				if contains(r.banned, dep) {
					t.Errorf("%s imports %s", r.pkg, dep)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
