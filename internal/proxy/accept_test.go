package proxy

import (
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

// acceptOne accepts the connection a client just made to l.
func acceptOne(t *testing.T, l *listener) (int, netip.AddrPort) {
	t.Helper()
	var rsa unix.RawSockaddrAny
	for deadline := time.Now().Add(2 * time.Second); ; {
		fd, src, err := accept4(l.fd, &rsa)
		if err == nil {
			t.Cleanup(func() { unix.Close(fd) })
			return fd, src
		}
		if err != unix.EAGAIN || time.Now().After(deadline) {
			t.Fatalf("accept4: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAcceptedSocketsCarryPeerAddressAndNoDelay(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run("on "+addr+" the peer address is decoded and TCP_NODELAY is inherited", func(t *testing.T) {
			l, err := listen(haproxy.Bind{Addr: addr})
			if err != nil {
				t.Skipf("listen: %v", err)
			}
			t.Cleanup(l.close)
			c, err := net.Dial("tcp", l.addr.String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			fd, src := acceptOne(t, l)
			if want := c.LocalAddr().(*net.TCPAddr).AddrPort(); src != want {
				t.Errorf("peer %v, want %v", src, want)
			}
			if v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); err != nil || v == 0 {
				t.Errorf("TCP_NODELAY on the accepted socket = %d, %v; want it set", v, err)
			}
		})
	}
}

// testGate is a gate over one listener and one epoll set, without reactors.
func testGate(t *testing.T, feMax, globalMax int) (*gate, *listener, func() bool) {
	t.Helper()
	l, err := listen(haproxy.Bind{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	l.fe.Store(&frontend{lim: newLimiter(feMax)})
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{epfds: []int{epfd}, exclusive: true, global: newLimiter(globalMax)}
	g.lns.Store(&[]*listener{l})
	if err := g.watch(l); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.stop()
		l.close()
		unix.Close(epfd)
	})
	c, err := net.Dial("tcp", l.addr.String()) // stays in the backlog: the listener is readable
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	watched := func() bool {
		var ev [4]unix.EpollEvent
		n, _ := unix.EpollWait(epfd, ev[:], 0)
		return n > 0
	}
	return g, l, watched
}

func TestGatePausesAndResumesTheListener(t *testing.T) {
	t.Run("at the frontend's maxconn the listener is unwatched until a slot frees", func(t *testing.T) {
		g, l, watched := testGate(t, 1, 0)
		if !g.take(l, l.fe.Load()) {
			t.Fatal("the first slot was refused")
		}
		if g.take(l, l.fe.Load()) || !l.paused || watched() {
			t.Fatalf("second take: paused %v, watched %v; want paused and unwatched", l.paused, watched())
		}
		g.release(l.fe.Load())
		if l.paused || !watched() {
			t.Fatalf("after a release: paused %v, watched %v; want watched again", l.paused, watched())
		}
	})
	t.Run("at the global maxconn the listener is unwatched until a slot frees", func(t *testing.T) {
		g, l, watched := testGate(t, 0, 1)
		g.take(l, l.fe.Load())
		if g.take(l, l.fe.Load()) || watched() {
			t.Fatal("a second slot was given at global maxconn 1")
		}
		if n := l.fe.Load().lim.cur.Load(); n != 1 { // the one connection taken
			t.Errorf("the frontend counts %d connections, want 1: the refused take's slot was not given back", n)
		}
		g.release(l.fe.Load())
		if !watched() {
			t.Fatal("not watched again after a release")
		}
	})
	t.Run("after a failed accept the listener rests for acceptRetry", func(t *testing.T) {
		g, l, watched := testGate(t, 0, 0)
		g.pause(l, true)
		if watched() {
			t.Fatal("still watched right after a failed accept")
		}
		time.Sleep(acceptRetry + 50*time.Millisecond)
		if !watched() {
			t.Fatal("not watched again after acceptRetry")
		}
	})
	t.Run("after stop nothing resumes the listener", func(t *testing.T) {
		g, l, watched := testGate(t, 1, 0)
		g.take(l, l.fe.Load())
		g.stop()
		g.release(l.fe.Load())
		if watched() {
			t.Fatal("watched after stop")
		}
	})
}

// TestEarlyBytesWaitForTheNextAttempt: what a client sends at once is read
// with the connect; when the server refuses, the bytes reach the server of
// the next attempt.
func TestEarlyBytesWaitForTheNextAttempt(t *testing.T) {
	b := startServer(t, "b")
	cfg := config(deadServer(t, "a"), b.server())
	be := cfg.Backends[0]
	be.Retries, be.Redispatch = 2, true
	be.Timeouts.Connect = 50 * time.Millisecond
	p := startProxy(t, cfg)
	c := dial(t, p.addr)
	if _, err := c.Write([]byte("sent at once\n")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"b", "sent at once"} {
		if got := c.mustLine(t); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestABurstOfConnectionsSpreadsOverTheReactors(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // four reactors
	srv := startServer(t, "s1")
	p := startProxy(t, config(srv.server()))
	const n = 60
	var wg sync.WaitGroup
	for range n { // at once, as a client pool opens its connections
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, p.addr)
			if _, err := c.line(5 * time.Second); err != nil {
				t.Errorf("no greeting: %v", err)
			}
		}()
	}
	wg.Wait()
	rs := *p.active.Load()
	if len(rs) != 4 {
		t.Fatalf("%d reactors, want 4", len(rs))
	}
	loads, total, lo, hi := []int32{}, int32(0), int32(n), int32(0)
	for _, r := range rs {
		l := r.load.Load()
		loads = append(loads, l)
		total += l
		lo, hi = min(lo, l), max(hi, l)
	}
	if total != n || hi-lo > 5 {
		t.Errorf("connections per reactor %v (total %d): want %d, about %d each", loads, total, n, n/len(rs))
	}
}
