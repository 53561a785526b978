package proxy

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The reactors' system calls on their non-blocking descriptors go through
// RawSyscall: none of them can block, so the runtime need not be told. The
// entersyscall/exitsyscall pair of unix.Read and the like costs time on
// every call, and a call the kernel makes long (on loopback a write(2) or a
// close(2) runs the receiving side's TCP code too) would have sysmon hand
// the reactor's P to another thread meanwhile: futex wake-ups and context
// switches for nothing. The wrappers return unix.Errno values, so callers
// compare errors with ==.

func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// sysSpliceMore is sysSplice with SPLICE_F_MORE, for the purpose of
// rawsock.SendMore: the FIN of a shutdown made at once rides in the last
// data segment.
func sysSpliceMore(from, to, n int) (int, error) {
	m, _, e := unix.RawSyscall6(unix.SYS_SPLICE, uintptr(from), 0, uintptr(to), 0, uintptr(n),
		unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK|unix.SPLICE_F_MORE)
	if e != 0 {
		return 0, e
	}
	return int(m), nil
}

func sysSplice(from, to, n int) (int, error) {
	m, _, e := unix.RawSyscall6(unix.SYS_SPLICE, uintptr(from), 0, uintptr(to), 0, uintptr(n),
		unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
	if e != 0 {
		return 0, e
	}
	return int(m), nil
}

func sysClose(fd int) error {
	_, _, e := unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	return errnoErr(e)
}

func sysShutdown(fd, how int) error {
	_, _, e := unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), uintptr(how), 0)
	return errnoErr(e)
}

// accept4 accepts a connection from the listening socket lfd, non-blocking
// and close-on-exec. It stands in for unix.Accept4, which also costs a
// getsockopt(SO_PROTOCOL) per connection to convert the peer address.
func accept4(lfd int, rsa *unix.RawSockaddrAny) (int, netip.AddrPort, error) {
	n := uint32(unix.SizeofSockaddrAny)
	fd, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(lfd),
		uintptr(unsafe.Pointer(rsa)), uintptr(unsafe.Pointer(&n)),
		unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, netip.AddrPort{}, e
	}
	return int(fd), rawAddrPort(rsa), nil
}
