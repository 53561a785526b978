// Package rawsock is the system calls that the proxy's reactors and the
// health-check loop make on their non-blocking descriptors, through
// RawSyscall: none of them can block, so the runtime need not be told. The
// entersyscall/exitsyscall pair of unix.Read and the like costs time on
// every call, and a call the kernel makes long (on loopback a connect(2) or
// a write(2) runs the other side's TCP code too) would have sysmon hand
// the caller's P to another thread meanwhile. Errors are unix.Errno values,
// so callers compare them with ==.
package rawsock

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Read is read(2).
func Read(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// Recv is recvfrom(2) with no flags and no address: read(2) for a socket,
// entering the socket code without the file layer's checks on the way.
func Recv(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// Send is sendto(2) with MSG_NOSIGNAL and no address: write(2) for a
// socket, as Recv is read(2); a peer's reset is EPIPE, not SIGPIPE.
func Send(fd int, p []byte) (int, error) { return sendto(fd, p, unix.MSG_NOSIGNAL) }

// SendMore is Send with MSG_MORE: the kernel keeps a partial segment back
// for what follows, so a shutdown(2) made at once rides in the last data
// segment as its FIN.
func SendMore(fd int, p []byte) (int, error) { return sendto(fd, p, unix.MSG_MORE|unix.MSG_NOSIGNAL) }

func sendto(fd int, p []byte, flags uintptr) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), flags, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// EpollCtl is epoll_ctl(2).
func EpollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// EpollPoll is epoll_wait(2) with a zero timeout (epoll_pwait with no
// signal mask, which every architecture has).
func EpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// Dial creates a non-blocking, close-on-exec TCP socket (with TCP_NODELAY
// when noDelay) and starts connecting it to ap; EINPROGRESS is not an
// error.
func Dial(ap netip.AddrPort, noDelay bool) (int, error) {
	var rsa unix.RawSockaddrAny
	var size uintptr
	family := unix.AF_INET
	port := [2]byte{byte(ap.Port() >> 8), byte(ap.Port())}
	if a := ap.Addr(); a.Is4() {
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		sa.Family = unix.AF_INET
		*(*[2]byte)(unsafe.Pointer(&sa.Port)) = port
		sa.Addr = a.As4()
		size = unix.SizeofSockaddrInet4
	} else {
		family = unix.AF_INET6
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		sa.Family = unix.AF_INET6
		*(*[2]byte)(unsafe.Pointer(&sa.Port)) = port
		sa.Addr = a.As16()
		size = unix.SizeofSockaddrInet6
	}
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	if noDelay {
		one := int32(1)
		unix.RawSyscall6(unix.SYS_SETSOCKOPT, fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, uintptr(unsafe.Pointer(&one)), 4, 0)
	}
	_, _, e = unix.RawSyscall(unix.SYS_CONNECT, fd, uintptr(unsafe.Pointer(&rsa)), size)
	if e != 0 && e != unix.EINPROGRESS {
		unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
		return -1, e
	}
	return int(fd), nil
}
