package proxy

import (
	"bytes"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestIdleConnectionsCostTwoDescriptors checks haproxy.FDsPerConn, the
// per-connection cost halo check plans with: a proxied idle connection
// holds its client and its server socket, nothing else.
func TestIdleConnectionsCostTwoDescriptors(t *testing.T) {
	const n = 200
	port, held := rawListener(t)
	cfg := config(&haproxy.Server{Name: "raw", Host: "127.0.0.1", Port: port, Weight: 1})
	cfg.Global.HardStopAfter = 50 * time.Millisecond // the raw server never closes
	p := startProxy(t, cfg)
	proxyPort := p.Addrs()[0].(*net.TCPAddr).Port
	before := openFDs(t)
	var fds []int
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	for range n {
		fds = append(fds, rawDial(t, proxyPort))
	}
	deadline := time.Now().Add(5 * time.Second)
	for held() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// The test's clients (n) and the raw server's sockets (n) are ours.
	proxyFDs := openFDs(t) - before - 2*n
	t.Logf("%d descriptors for %d idle proxied connections", proxyFDs, n)
	if proxyFDs > haproxy.FDsPerConn*n+4 {
		t.Errorf("the proxy holds %d descriptors for %d connections, want at most %d per connection", proxyFDs, n, haproxy.FDsPerConn)
	}
}

// TestMaxpipesBoundsSplicePipes: with maxpipes 4, sixteen bulk transfers at
// once never hold more than four pipes, and every byte arrives (the flows
// without a pipe copy through buffers).
func TestMaxpipesBoundsSplicePipes(t *testing.T) {
	a := startServer(t, "a")
	cfg := config(a.server())
	cfg.Global.MaxPipes = 4
	p := startProxy(t, cfg)
	if !p.splice {
		t.Skip("splice(2) is not available here")
	}
	if p.pipeBudget.max != 4 {
		t.Fatalf("pipe budget %d, want 4", p.pipeBudget.max)
	}
	payload := bytes.Repeat([]byte("0123456789abcdef"), 128<<10) // 2 MiB
	stop := make(chan struct{})
	var peak int64
	var mon sync.WaitGroup
	mon.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			peak = max(peak, p.pipeBudget.open.Load())
			time.Sleep(time.Millisecond)
		}
	})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		c := dial(t, p.addr)
		c.mustLine(t)
		wg.Go(func() {
			go func() { c.Write(payload); c.Conn.(*net.TCPConn).CloseWrite() }()
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			got, err := io.ReadAll(c.br)
			if err == nil && !bytes.Equal(bytes.TrimSuffix(got, []byte("EOF\n")), payload) {
				err = io.ErrShortBuffer
			}
			errs <- err
		})
	}
	wg.Wait()
	close(stop)
	mon.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("transfer: %v", err)
		}
	}
	t.Logf("at most %d pipes open", peak)
	if peak > 4 {
		t.Errorf("%d pipes open at once, want at most maxpipes 4", peak)
	}
}

func TestDualStackBindsShareAPortWithReusePort(t *testing.T) {
	a := startServer(t, "a")
	port := refusedPort(t)
	mk := func(reuse bool) *haproxy.Config {
		cfg := config(a.server())
		cfg.Frontends[0].Binds = []haproxy.Bind{
			{Addr: "0.0.0.0:" + itoa(port), ReusePort: reuse},
			{Addr: "[::]:" + itoa(port), ReusePort: reuse},
		}
		return cfg
	}
	px, err := New(mk(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Listen(); err == nil {
		px.Close()
		t.Fatal("0.0.0.0:P and dual-stack [::]:P bound together without SO_REUSEPORT")
	}
	p := startProxy(t, mk(true))
	if got := greeting(t, "127.0.0.1:"+itoa(port)); got != "a" {
		t.Errorf("IPv4 client served by %q", got)
	}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		ln.Close()
		if got := greeting(t, "[::1]:"+itoa(port)); got != "a" {
			t.Errorf("IPv6 client served by %q", got)
		}
	}
	_ = p
}

func TestListenHTTPBindsLikeTheProxy(t *testing.T) {
	port := refusedPort(t)
	b := haproxy.Bind{Addr: "127.0.0.1:" + itoa(port), ReusePort: true}
	l1, err := ListenHTTP(b)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	l2, err := ListenHTTP(b) // SO_REUSEPORT: a second socket on the same port
	if err != nil {
		t.Fatalf("second listener: %v", err)
	}
	l2.Close()
	go func() {
		if c, err := l1.Accept(); err == nil {
			c.Write([]byte("hi\n"))
			c.Close()
		}
	}()
	if got := greeting(t, l1.Addr().String()); got != "hi" {
		t.Errorf("got %q", got)
	}
}

func TestPipePoolKeepsToItsBudget(t *testing.T) {
	b := &pipeBudget{max: 2}
	pool := pipePool{budget: b}
	p1, err1 := pool.get()
	p2, err2 := pool.get()
	if err1 != nil || err2 != nil {
		t.Fatalf("two pipes within a budget of two: %v, %v", err1, err2)
	}
	if _, err := pool.get(); err != unix.EMFILE {
		t.Fatalf("a third pipe: %v, want EMFILE (the flow copies instead)", err)
	}
	pool.put(p1) // pooled pipes still count: they hold descriptors
	p3, err := pool.get()
	if err != nil {
		t.Fatalf("reusing the pooled pipe: %v", err)
	}
	pool.destroy(p2)
	if b.open.Load() != 1 {
		t.Fatalf("%d pipes counted after destroying one, want 1", b.open.Load())
	}
	pool.destroy(p3)
	pool.closeAll()
}
