package proxy

import (
	"net"
	"net/netip"

	proxyproto "github.com/pires/go-proxyproto"
	"golang.org/x/sys/unix"
)

// dialNonblock starts a non-blocking connect(2) to addr:port and returns
// the socket; completion is reported by epoll.
func dialNonblock(addr netip.Addr, port int) (int, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr
	if addr.Is4() {
		sa = &unix.SockaddrInet4{Port: port, Addr: addr.As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: port, Addr: addr.As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// addrPort converts an accept(2) peer address.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// localAddr is the address the client connected to (getsockname, cached).
func (c *conn) localAddr() netip.AddrPort {
	if !c.dst.IsValid() {
		if sa, err := unix.Getsockname(c.fd[sideClient]); err == nil {
			c.dst = addrPort(sa)
		}
	}
	return c.dst
}

// sendProxyHeader writes a PROXY protocol header (version 1 or 2) to the
// freshly connected server socket. The socket's send buffer is empty, so a
// header (at most a few hundred bytes) is written whole or not at all.
func (c *conn) sendProxyHeader(version byte) error {
	src, dst := c.src, c.localAddr()
	h := proxyproto.HeaderProxyFromAddrs(version,
		&net.TCPAddr{IP: src.Addr().AsSlice(), Port: int(src.Port())},
		&net.TCPAddr{IP: dst.Addr().AsSlice(), Port: int(dst.Port())})
	b, err := h.Format()
	if err != nil {
		return err
	}
	n, err := unix.Write(c.fd[sideServer], b)
	if err == nil && n != len(b) {
		err = unix.EAGAIN
	}
	return err
}
