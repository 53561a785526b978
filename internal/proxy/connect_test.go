package proxy

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

func deadServer(t *testing.T, name string) *haproxy.Server {
	return &haproxy.Server{Name: name, Host: "127.0.0.1", Port: refusedPort(t), Weight: 1}
}

func TestRefusedServerIsRetriedThenRedispatched(t *testing.T) {
	b := startServer(t, "b")
	cfg := config(deadServer(t, "a"), b.server())
	be := cfg.Backends[0]
	be.Retries, be.Redispatch = 2, true
	be.Timeouts.Connect = 50 * time.Millisecond
	p := startProxy(t, cfg)
	// Round robin starts with a, which refuses: 1 attempt + 1 retry on a,
	// then the last retry goes to b.
	start := time.Now()
	if got := greeting(t, p.addr); got != "b" {
		t.Fatalf("got %q, want the redispatch to b", got)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("retry came after %v, want the 50ms turn-around delay", el)
	}
	st := p.Snapshot().Backends[0]
	if st.Econ != 2 || st.Wretr != 2 || st.Wredis != 1 {
		t.Errorf("econ %d retries %d redispatches %d, want 2 2 1", st.Econ, st.Wretr, st.Wredis)
	}
}

func TestClientIsDroppedWhenEveryAttemptFails(t *testing.T) {
	for _, redispatch := range []bool{false, true} {
		name := "without redispatch"
		if redispatch {
			name = "with redispatch"
		}
		t.Run(name+" the client is closed after the last retry", func(t *testing.T) {
			cfg := config(deadServer(t, "a"), deadServer(t, "b"))
			be := cfg.Backends[0]
			be.Retries, be.Redispatch = 3, redispatch
			be.Timeouts.Connect = 20 * time.Millisecond
			p := startProxy(t, cfg)
			expectClosed(t, dial(t, p.addr), 3*time.Second)
			if st := p.Snapshot().Backends[0]; st.Econ != 4 {
				t.Errorf("connect errors %d, want 4 (1 attempt + 3 retries)", st.Econ)
			}
		})
	}
}

// blackhole returns a loopback port whose SYNs are dropped: a listener
// with a full accept queue (backlog 0 holds one connection) that never
// accepts.
func blackhole(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	port := sa.(*unix.SockaddrInet4).Port
	for i := 0; i < 2; i++ { // fill the queue; further SYNs are dropped
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		if c, err := d.Dial("tcp", "127.0.0.1:"+itoa(port)); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return port
}

func TestConnectTimeoutCountsAsAFailure(t *testing.T) {
	cfg := config(&haproxy.Server{Name: "hole", Host: "127.0.0.1", Port: blackhole(t), Weight: 1})
	be := cfg.Backends[0]
	be.Retries = 1
	be.Timeouts.Connect = 100 * time.Millisecond
	p := startProxy(t, cfg)
	start := time.Now()
	expectClosed(t, dial(t, p.addr), 3*time.Second)
	// 100ms attempt, 100ms turn-around, 100ms retry.
	if el := time.Since(start); el < 250*time.Millisecond || el > 1500*time.Millisecond {
		t.Errorf("gave up after %v, want about 300ms", el)
	}
	if st := p.Snapshot().Backends[0]; st.Econ != 2 {
		t.Errorf("connect errors %d, want 2", st.Econ)
	}
}

func TestSendProxyHeaderReachesTheServer(t *testing.T) {
	for _, v := range []int{1, 2} {
		t.Run("PROXY v"+itoa(v)+" header carries the client address", func(t *testing.T) {
			a := startServerOpts(t, "a", true)
			s := a.server()
			s.SendProxy = v
			p := startProxy(t, config(s))
			c := dial(t, p.addr)
			if got := c.mustLine(t); got != "a" {
				t.Fatalf("got %q", got)
			}
			h := <-a.headers
			if int(h.Version) != v {
				t.Errorf("header version %d, want %d", h.Version, v)
			}
			src, dst, ok := h.TCPAddrs()
			if !ok {
				t.Fatalf("header has no TCP addresses: %+v", h)
			}
			local := c.LocalAddr().String()
			if src.String() != local {
				t.Errorf("source %v, want the client's %v", src, local)
			}
			if dst.String() != p.addr {
				t.Errorf("destination %v, want the frontend's %v", dst, p.addr)
			}
		})
	}
}

func TestServerPortZeroUsesTheClientsPort(t *testing.T) {
	a := startServer(t, "a")
	s := a.server()
	s.Port = 0
	cfg := config(s)
	cfg.Frontends[0].Binds[0].Addr = "127.0.0.2:" + itoa(a.port())
	// The frontend listens on 127.0.0.2:P and the server on 127.0.0.1:P.
	p := startProxy(t, cfg)
	if got := greeting(t, p.addr); got != "a" {
		t.Fatalf("got %q", got)
	}
	if ap := netip.MustParseAddrPort(p.addr); ap.Port() != uint16(a.port()) {
		t.Fatalf("bound %v", ap)
	}
}
