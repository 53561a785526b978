package proxy

import (
	"errors"

	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halo-lb/halo/internal/rawsock"
)

// A reactor never blocks its thread in epoll_wait(2). A goroutine blocked
// in a system call keeps its P, and when every P is so blocked the
// runtime's sysmon takes one back after 20µs and starts a spinning thread
// to use it: futex wake-ups and context switches for every idle moment of
// every reactor. Instead the reactor's epoll descriptor is itself watched
// by Go's poller (an epoll set is readable while it has events): the
// reactor polls it without a timeout and, when nothing is ready, parks its
// goroutine until the poller reports it readable or its deadline passes.

// poller is a reactor's epoll descriptor seen by Go's poller.
type poller struct {
	file     *os.File // owns the epoll descriptor
	raw      syscall.RawConn
	deadline int64 // monotime of the read deadline set on file; -1 = none
	pollNow  func(fd uintptr) bool
	n        int // result of the last pollNow
	err      error
}

func (r *reactor) initPoller() error {
	if err := unix.SetNonblock(r.epfd, true); err != nil {
		return err
	}
	r.poller.file = os.NewFile(uintptr(r.epfd), "epoll")
	raw, err := r.poller.file.SyscallConn()
	if err != nil {
		return err
	}
	r.poller.raw = raw
	r.poller.deadline = -1
	r.poller.pollNow = func(uintptr) bool {
		r.poller.n, r.poller.err = rawsock.EpollPoll(r.epfd, r.events[:])
		return r.poller.n > 0 || (r.poller.err != nil && r.poller.err != unix.EINTR)
	}
	return nil
}

// poll fills r.events and returns how many it got, waiting for one until
// the monotime until at most (-1: no limit; 0: do not wait).
func (r *reactor) poll(until int64) (int, error) {
	pl := &r.poller
	if until == 0 || (until > 0 && until <= monotime()) {
		pl.pollNow(0)
		return pl.n, pl.err
	}
	if until != pl.deadline {
		t := time.Time{}
		if until > 0 {
			t = epoch.Add(time.Duration(until))
		}
		if err := pl.file.SetReadDeadline(t); err != nil {
			return 0, err
		}
		pl.deadline = until
	}
	pl.n, pl.err = 0, nil
	r.parkedAt.Store(monotime())
	err := pl.raw.Read(pl.pollNow)
	r.parkedAt.Store(0)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, err
	}
	return pl.n, pl.err
}

const (
	// a parked peer with events waiting this long is starved: no thread
	// watches Go's poller (watchPoller)
	starvedAfter = time.Millisecond
	// how often a busy reactor looks at its parked peers
	starveCheckEvery = 250 * time.Microsecond
)

// watchPoller makes sure a peer reactor parked in Go's poller is not
// starved while this one stays busy. Only one thread at a time blocks in
// the runtime's epoll_wait; when it wakes to run one reactor that then
// never parks (a fast backend keeps its sockets busy), nothing watches the
// poller until sysmon looks, after up to 10 ms and then again and again:
// the parked reactor's connections wait tens of milliseconds. When a peer
// has been parked for starvedAfter and its epoll set is readable, an empty
// goroutine is readied: the runtime wakes an idle P's thread for it, and
// that thread finds the peer in the poller. Run at the end of a busy turn.
func (r *reactor) watchPoller() {
	if r.now-r.starveChecked < int64(starveCheckEvery) {
		return
	}
	r.starveChecked = r.now
	for _, o := range r.peers {
		t := o.parkedAt.Load()
		if o == r || t == 0 || r.now-t < int64(starvedAfter) {
			continue
		}
		r.pfd[0] = unix.PollFd{Fd: int32(o.epfd), Events: unix.POLLIN}
		if n, _ := unix.Poll(r.pfd[:], 0); n > 0 {
			kickPoller()
			return
		}
	}
}

// kickPoller readies an empty goroutine (a variable for tests).
var kickPoller = func() { go func() {}() }
