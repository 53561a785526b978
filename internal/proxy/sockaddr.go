package proxy

import (
	"net"
	"net/netip"
	"unsafe"

	proxyproto "github.com/pires/go-proxyproto"
	"golang.org/x/sys/unix"
)

// rawAddrPort converts a kernel socket address (the port is in network
// byte order); anything but IPv4 and IPv6 gives the zero AddrPort.
func rawAddrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}

// addrPort converts a unix.Sockaddr.
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
