package proxy

import (
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halo-lb/halo/internal/balance"
	"github.com/halo-lb/halo/internal/config/haproxy"
)

func TestRoundRobinSpreadsConnections(t *testing.T) {
	a, b, c := startServer(t, "a"), startServer(t, "b"), startServer(t, "c")
	p := startProxy(t, config(a.server(), b.server(), c.server()))
	var got []string
	for i := 0; i < 9; i++ {
		got = append(got, greeting(t, p.addr))
	}
	if diff := cmp.Diff(map[string]int{"a": 3, "b": 3, "c": 3}, count(got)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestWeightsShareConnections(t *testing.T) {
	a, b := startServer(t, "a"), startServer(t, "b")
	sa, sb := a.server(), b.server()
	sa.Weight = 3
	p := startProxy(t, config(sa, sb))
	var got []string
	for i := 0; i < 8; i++ {
		got = append(got, greeting(t, p.addr))
	}
	if diff := cmp.Diff(map[string]int{"a": 6, "b": 2}, count(got)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if err := p.SetServerWeight("be", "a", 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if got := greeting(t, p.addr); got != "b" {
			t.Fatalf("with a at weight 0 got %q", got)
		}
	}
}

func TestBackupServesOnlyWhenPrimariesAreDown(t *testing.T) {
	a, b, k1, k2 := startServer(t, "a"), startServer(t, "b"), startServer(t, "k1"), startServer(t, "k2")
	s1, s2 := k1.server(), k2.server()
	s1.Backup, s2.Backup = true, true
	p := startProxy(t, config(a.server(), b.server(), s1, s2))
	steps := []struct {
		name   string
		change func()
		want   map[string]int
	}{
		{"primaries serve while up", func() {}, map[string]int{"a": 2, "b": 2}},
		{"one primary down leaves the other", func() { p.SetServerHealth("be", "a", false) }, map[string]int{"b": 4}},
		{"the first backup takes over when every primary is down", func() { p.SetServerHealth("be", "b", false) }, map[string]int{"k1": 4}},
		{"allbackups is not set, so maintenance of the first backup moves to the second", func() { p.SetServerAdmin("be", "k1", Maint) }, map[string]int{"k2": 4}},
		{"a primary coming back takes over again", func() { p.SetServerHealth("be", "a", true) }, map[string]int{"a": 4}},
	}
	for _, st := range steps {
		st.change()
		var got []string
		for i := 0; i < 4; i++ {
			got = append(got, greeting(t, p.addr))
		}
		if diff := cmp.Diff(st.want, count(got)); diff != "" {
			t.Errorf("%s (-want +got)\n%s", st.name, diff)
		}
	}
	snap := p.Snapshot()
	var status []string
	for _, s := range snap.Backends[0].Servers {
		status = append(status, s.Status)
	}
	if diff := cmp.Diff([]string{"no check", "DOWN", "MAINT", "no check"}, status); diff != "" {
		t.Errorf("server status (-want +got)\n%s", diff)
	}
}

func TestAllBackupsShareTheLoad(t *testing.T) {
	a, k1, k2 := startServer(t, "a"), startServer(t, "k1"), startServer(t, "k2")
	s1, s2 := k1.server(), k2.server()
	s1.Backup, s2.Backup = true, true
	cfg := config(a.server(), s1, s2)
	cfg.Backends[0].AllBackups = true
	p := startProxy(t, cfg)
	p.SetServerHealth("be", "a", false)
	var got []string
	for i := 0; i < 4; i++ {
		got = append(got, greeting(t, p.addr))
	}
	if diff := cmp.Diff(map[string]int{"k1": 2, "k2": 2}, count(got)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestDownServerGetsNoNewConnections(t *testing.T) {
	a, b := startServer(t, "a"), startServer(t, "b")
	p := startProxy(t, config(a.server(), b.server()))
	p.SetServerHealth("be", "b", false)
	before := b.accepted.Load()
	for i := 0; i < 6; i++ {
		if got := greeting(t, p.addr); got != "a" {
			t.Fatalf("connection %d went to %q", i, got)
		}
	}
	if n := b.accepted.Load() - before; n != 0 {
		t.Errorf("DOWN server accepted %d connections", n)
	}
	if err := p.SetServerHealth("be", "nope", true); err == nil {
		t.Error("unknown server accepted")
	}
}

func TestNoUsableServerClosesTheClient(t *testing.T) {
	a := startServer(t, "a")
	p := startProxy(t, config(a.server()))
	p.SetServerAdmin("be", "a", Drain)
	expectClosed(t, dial(t, p.addr), 2*time.Second)
}

// TestSourceKeepsClientsOnTheirServer connects from several loopback source
// addresses and checks each lands where internal/balance says it should.
func TestSourceKeepsClientsOnTheirServer(t *testing.T) {
	for _, ht := range []haproxy.HashType{haproxy.MapBased, haproxy.Consistent, haproxy.Maglev} {
		t.Run(string(ht)+" source hashing is stable per client", func(t *testing.T) {
			a, b, c := startServer(t, "a"), startServer(t, "b"), startServer(t, "c")
			cfg := config(a.server(), b.server(), c.server())
			cfg.Backends[0].Balance = haproxy.Balance{Algorithm: haproxy.Source, HashType: ht}
			p := startProxy(t, cfg)
			sel, _ := balance.New(balance.Source, string(ht))
			set := &balance.Set{Gen: 1, Servers: []balance.Server{
				{ID: 0, Name: "a", Weight: 1}, {ID: 1, Name: "b", Weight: 1}, {ID: 2, Name: "c", Weight: 1},
			}}
			for i := 2; i < 12; i++ {
				src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(i))}
				want := set.Servers[sel.Select(set, src.AddrPort().Addr())].Name
				for k := 0; k < 2; k++ {
					d := net.Dialer{LocalAddr: src, Timeout: 2 * time.Second}
					nc, err := d.Dial("tcp", p.addr)
					if err != nil {
						t.Fatal(err)
					}
					c := &client{Conn: nc, br: newReader(nc)}
					got := c.mustLine(t)
					nc.Close()
					if got != want {
						t.Fatalf("client %v went to %s, want %s", src.IP, got, want)
					}
				}
			}
		})
	}
}
