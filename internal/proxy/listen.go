package proxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

// listener is one bound socket. It belongs to the Proxy, not to a
// configuration: fe says which frontend it currently feeds. While Serve
// runs, the reactors accept on it (accept.go); it is not registered with
// Go's poller, which would wake up for every connection for nothing.
type listener struct {
	fe   atomic.Pointer[frontend] // the frontend it feeds; a reload may change it
	bind haproxy.Bind             // as opened; key() says which binds can share it
	fd   int                      // the listening socket; -1 once closed
	addr net.Addr
	idx  int         // position among the listeners being served
	gone atomic.Bool // removed by a reload: the reactors must not accept on it

	next *frontend // the frontend it feeds once an Apply commits; guarded by Proxy.mu

	// guarded by gate.mu
	paused    bool
	removed   bool        // gone, and unwatched
	retry     *time.Timer // resumes after a failed accept(2) or a maxconnrate rest
	restUntil int64       // monotime until which maxconnrate keeps it paused (ratelimit.go)
}

// parseBind resolves a bind's address. An empty host means every address.
func parseBind(b haproxy.Bind) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(b.Addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	pn, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", port)
	}
	if host == "" || host == "*" {
		return netip.AddrPortFrom(netip.Addr{}, uint16(pn)), nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		as, lerr := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if lerr != nil || len(as) == 0 {
			return netip.AddrPort{}, fmt.Errorf("cannot resolve %q: %v", host, lerr)
		}
		a = as[0]
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(pn)), nil
}

// listen opens a bind: SO_REUSEADDR always, SO_REUSEPORT unless
// noreuseport (sockopt.go); IP_FREEBIND for every specific
// address (so a VIP that is not, or not yet, on this host can be bound on a
// backup node); an unspecified address listens on IPv4 and IPv6 at once
// unless V6Only. TCP_NODELAY is set on the listener: accepted sockets
// inherit it, which saves a setsockopt(2) per connection.
func listen(b haproxy.Bind) (*listener, error) {
	ap, err := parseBind(b)
	if err != nil {
		return nil, err
	}
	family := unix.AF_INET6
	if ap.Addr().Is4() {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil && !ap.Addr().IsValid() && family == unix.AF_INET6 {
		family = unix.AF_INET // no IPv6 on this host
		fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	fail := func(what string, err error) (*listener, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("SO_REUSEADDR", err)
	}
	if err := reusePort(fd, b); err != nil { // sockopt.go
		return fail("setsockopt", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fail("TCP_NODELAY", err)
	}
	var sa unix.Sockaddr
	if family == unix.AF_INET {
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
		if ap.Addr().IsValid() && !ap.Addr().IsUnspecified() {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_FREEBIND, 1); err != nil {
				return fail("IP_FREEBIND", err)
			}
		}
	} else {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only(b)); err != nil {
			return fail("IPV6_V6ONLY", err)
		}
		var a16 [16]byte
		if ap.Addr().IsValid() {
			a16 = ap.Addr().As16()
			if !ap.Addr().IsUnspecified() {
				if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_FREEBIND, 1); err != nil {
					return fail("IPV6_FREEBIND", err)
				}
			}
		}
		sa = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a16}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(fd, 4096); err != nil {
		return fail("listen", err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	return &listener{fd: fd, bind: b, addr: net.TCPAddrFromAddrPort(addrPort(bound))}, nil
}

// bindKey says which binds can share one socket across a reload: the
// socket-level settings, not the line or what is done with a connection.
func bindKey(b haproxy.Bind) string {
	b.Line = 0
	b.AcceptProxy = false
	return fmt.Sprintf("%+v", b)
}

func (l *listener) key() string { return bindKey(l.bind) }

func (l *listener) close() {
	if l.fd >= 0 {
		unix.Close(l.fd)
		l.fd = -1
	}
}
