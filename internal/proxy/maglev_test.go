package proxy

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/balance"
	"github.com/halo-lb/halo/internal/config/haproxy"
)

// TestMaglevConfigPicksFromTheTable parses a haproxy.cfg with `hash-type
// maglev` and checks that each client lands on the owner of its slot in the
// Maglev table of the backend's servers.
func TestMaglevConfigPicksFromTheTable(t *testing.T) {
	a, b, c := startServer(t, "a"), startServer(t, "b"), startServer(t, "c")
	text := fmt.Sprintf(`defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s

listen fe
    bind 127.0.0.1:8080
    balance source
    hash-type maglev
    server a 127.0.0.1:%d weight 1
    server b 127.0.0.1:%d weight 2
    server c 127.0.0.1:%d weight 1
`, a.port(), b.port(), c.port())
	cfg, diags := haproxy.Parse("maglev.cfg", []byte(text))
	if cfg == nil || diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	if got := cfg.Backends[0].Balance.HashType; got != haproxy.Maglev {
		t.Fatalf("hash-type = %q, want maglev", got)
	}
	cfg.Frontends[0].Binds[0].Addr = "127.0.0.1:0" // any free port
	p := startProxy(t, cfg)
	servers := []balance.Server{{Name: "a", Weight: 1}, {Name: "b", Weight: 2}, {Name: "c", Weight: 1}}
	table := balance.MaglevTable(servers, balance.MaglevSize)
	seen := map[string]bool{}
	for i := 2; i < 40; i++ {
		src := netip.AddrFrom4([4]byte{127, 0, 0, byte(i)})
		want := servers[table[balance.AddrHash(src)%balance.MaglevSize]].Name
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Timeout: 2 * time.Second}
		nc, err := d.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		got := (&client{Conn: nc, br: newReader(nc)}).mustLine(t)
		nc.Close()
		if got != want {
			t.Fatalf("client %v went to %s, want %s (its Maglev slot's owner)", src, got, want)
		}
		seen[got] = true
	}
	if len(seen) < 3 {
		t.Errorf("38 clients reached only %v: test proves little", seen)
	}
}
