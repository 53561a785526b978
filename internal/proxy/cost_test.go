package proxy

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

// rawListener accepts connections with plain syscalls and keeps them, so
// that it adds no goroutine or Go allocation per connection to a
// measurement of the proxy.
func rawListener(t testing.TB) (port int, held func() int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	unix.Listen(fd, 4096)
	sa, _ := unix.Getsockname(fd)
	var conns []int
	t.Cleanup(func() {
		unix.Close(fd)
		for _, c := range conns {
			unix.Close(c)
		}
	})
	unix.SetNonblock(fd, true)
	return sa.(*unix.SockaddrInet4).Port, func() int {
		for {
			c, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
			if err != nil {
				return len(conns)
			}
			conns = append(conns, c)
		}
	}
}

func rawDial(t testing.TB, port int) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	return fd
}

func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// TestIdleConnectionMemory measures the Go memory (heap and stacks) the
// proxy holds per idle connection; the kernel's socket buffers come on top.
func TestIdleConnectionMemory(t *testing.T) {
	const n = 1000
	port, held := rawListener(t)
	cfg := config(&haproxy.Server{Name: "raw", Host: "127.0.0.1", Port: port, Weight: 1})
	cfg.Global.HardStopAfter = 50 * time.Millisecond // the raw server never closes
	p := startProxy(t, cfg)
	before := memInUse()
	var fds []int
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	proxyPort := p.Addrs()[0].(*net.TCPAddr).Port
	for i := 0; i < n; i++ {
		fds = append(fds, rawDial(t, proxyPort))
	}
	deadline := time.Now().Add(5 * time.Second)
	for held() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := held(); got != n {
		t.Fatalf("server holds %d connections, want %d", got, n)
	}
	after := memInUse()
	per := float64(int64(after)-int64(before)) / n
	t.Logf("Go memory per idle proxied connection: %.0f bytes", per)
	if per > 2048 {
		t.Errorf("%.0f bytes per idle connection, want under 2 KiB", per)
	}
}

// BenchmarkConnection reports allocations per proxied connection: compare
// allocs/op of "direct" (the benchmark's own client and server) with
// "proxied"; the difference is the proxy's.
func BenchmarkConnection(b *testing.B) {
	port, held := rawListener(b)
	run := func(b *testing.B, target int) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			fd := rawDial(b, target)
			unix.Close(fd)
			if i%256 == 0 {
				held()
			}
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, port) })
	b.Run("proxied", func(b *testing.B) {
		cfg := config(&haproxy.Server{Name: "raw", Host: "127.0.0.1", Port: port, Weight: 1})
		cfg.Global.HardStopAfter = 50 * time.Millisecond
		p := startProxy(b, cfg)
		run(b, p.Addrs()[0].(*net.TCPAddr).Port)
	})
}
