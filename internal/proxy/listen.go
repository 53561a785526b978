package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"golang.org/x/sys/unix"
)

// listener is one bound socket. It belongs to the Proxy, not to a
// configuration: fe says which frontend it currently feeds.
type listener struct {
	fe   *frontend
	file *os.File // the listening socket, registered with Go's poller
	raw  syscall.RawConn
	addr net.Addr

	// result of the last accept, written by acceptFn
	nfd      int
	sa       unix.Sockaddr
	err      error
	acceptFn func(fd uintptr) bool
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

// listen opens a bind: SO_REUSEADDR always; IP_FREEBIND for every specific
// address (so a VIP that is not, or not yet, on this host can be bound on a
// backup node); an unspecified address listens on IPv4 and IPv6 at once
// unless V6Only.
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
	var sa unix.Sockaddr
	if family == unix.AF_INET {
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
		if ap.Addr().IsValid() && !ap.Addr().IsUnspecified() {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_FREEBIND, 1); err != nil {
				return fail("IP_FREEBIND", err)
			}
		}
	} else {
		v6only := 0
		if b.V6Only {
			v6only = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
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
	bap := addrPort(bound)
	l := &listener{
		file: os.NewFile(uintptr(fd), "listen "+b.Addr),
		addr: net.TCPAddrFromAddrPort(bap),
	}
	if l.raw, err = l.file.SyscallConn(); err != nil {
		l.file.Close()
		return nil, err
	}
	l.acceptFn = func(fd uintptr) bool {
		l.nfd, l.sa, l.err = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		return l.err != unix.EAGAIN
	}
	return l, nil
}

func (l *listener) close() { l.file.Close() }

// acceptLoop takes a frontend slot and a global slot before each accept(2):
// at maxconn it simply stops accepting, so clients wait in the kernel's
// backlog and are accepted when a connection ends.
func (p *Proxy) acceptLoop(l *listener, stop <-chan struct{}) {
	fe := l.fe
	for {
		if !fe.lim.acquire(stop) {
			return
		}
		if !p.lim.acquire(stop) {
			fe.lim.release()
			return
		}
		err := l.raw.Read(l.acceptFn)
		if err == nil {
			err = l.err
		}
		if err == nil {
			p.accepted(fe, l.nfd, l.sa)
			continue
		}
		fe.lim.release()
		p.lim.release()
		select {
		case <-stop:
			return
		default:
		}
		if errors.Is(err, os.ErrClosed) {
			return
		}
		if errors.Is(err, unix.ECONNABORTED) || errors.Is(err, unix.EINTR) {
			continue
		}
		// EMFILE, ENFILE, ENOBUFS, ENOMEM: back off instead of spinning.
		p.log.Warn("accept failed", "frontend", fe.cfg.Name, "err", err)
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
