package health

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event loop's system calls on its non-blocking sockets go through
// RawSyscall: none of them can block, so the runtime need not be told, and
// a call the kernel makes long (on loopback a connect(2) runs the server's
// side of the handshake too) does not make sysmon hand the loop's P to
// another thread meanwhile. The wrappers return unix.Errno values, so
// callers compare errors with ==.

func sysRead(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func sysWrite(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// sysAbort closes fd with a reset rather than a FIN, as HAProxy closes its
// check connections: neither side keeps the connection in TIME_WAIT.
func sysAbort(fd int) {
	l := unix.Linger{Onoff: 1, Linger: 0}
	unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_LINGER, uintptr(unsafe.Pointer(&l)), unsafe.Sizeof(l), 0)
	unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

func sysEpollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// sysEpollPoll is epoll_wait(2) with a zero timeout (epoll_pwait with no
// signal mask, which every architecture has).
func sysEpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// sysSocketError is the socket's pending error (SO_ERROR), 0 if none.
func sysSocketError(fd int) unix.Errno {
	var v int32
	l := uint32(4)
	_, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_ERROR, uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return e
	}
	return unix.Errno(v)
}

// sysDial creates a non-blocking TCP socket and starts connecting it to
// ap; EINPROGRESS is not an error.
func sysDial(ap netip.AddrPort) (int, error) {
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
	_, _, e = unix.RawSyscall(unix.SYS_CONNECT, fd, uintptr(unsafe.Pointer(&rsa)), size)
	if e != 0 && e != unix.EINPROGRESS {
		unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
		return -1, e
	}
	return int(fd), nil
}

// sysPollNow is ppoll(2) of fd for events, without waiting: the events
// that hold now (revents), 0 if none.
func sysPollNow(fd int, events int16) int16 {
	pfd := unix.PollFd{Fd: int32(fd), Events: events}
	var ts unix.Timespec
	n, _, e := unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	if e != 0 || n == 0 {
		return 0
	}
	return pfd.Revents
}
