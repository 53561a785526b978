package proxy

import (
	"fmt"
	"net"
	"os"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

// reusePort sets SO_REUSEPORT when the bind asks for it (HAProxy's default,
// off with global `noreuseport`): then 0.0.0.0:P and a dual-stack :::P bind
// together, as do several halo processes on one port during a handover.
// Linux shares the connections of sockets bound to the same address and
// port, and gives a connection to the most specific socket otherwise (an
// IPv4 socket before a dual-stack one for IPv4 clients).
func reusePort(fd int, b haproxy.Bind) error {
	if !b.ReusePort {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fmt.Errorf("SO_REUSEPORT: %w", err)
	}
	return nil
}

// v6only is the IPV6_V6ONLY value of a bind: `v6only` says 1, `v4v6` (and
// halo's default) say 0, so that ":::P" takes IPv4 clients too.
func v6only(b haproxy.Bind) int {
	if b.V6Only {
		return 1
	}
	return 0
}

// ListenHTTP opens a bind exactly as the proxy opens its own (SO_REUSEPORT,
// IPV6_V6ONLY, IP_FREEBIND for specific addresses) and returns it as a
// net.Listener for an http.Server: the statistics page, monitor-uri and
// prometheus-exporter frontends. Using it keeps `halo check`'s bind
// conflict rules true for those frontends too.
func ListenHTTP(b haproxy.Bind) (net.Listener, error) {
	l, err := listen(b)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(l.fd), "listener "+b.Addr)
	defer f.Close() // FileListener holds its own descriptor
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", b.Addr, err)
	}
	return ln, nil
}
