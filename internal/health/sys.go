package health

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event loop's system calls on its non-blocking sockets go through
// RawSyscall: none of them can block, so the runtime need not be told, and
// a call the kernel makes long (on loopback a connect(2) runs the server's
// side of the handshake too) does not make sysmon hand the loop's P to
// another thread meanwhile. The wrappers return unix.Errno values, so
// callers compare errors with ==.

// sysAbort closes fd with a reset rather than a FIN, as HAProxy closes its
// check connections: neither side keeps the connection in TIME_WAIT.
func sysAbort(fd int) {
	l := unix.Linger{Onoff: 1, Linger: 0}
	unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_LINGER, uintptr(unsafe.Pointer(&l)), unsafe.Sizeof(l), 0)
	unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
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
