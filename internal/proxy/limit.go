package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// limiter counts the connections under a `maxconn`. The zero value (max 0)
// is unlimited. A reactor takes a slot before accept(2); when it cannot,
// the listener is paused (see gate) so that clients wait in the kernel's
// backlog instead of being accepted and closed.
type limiter struct {
	max atomic.Int64 // a reload may change it
	cur atomic.Int64
}

func newLimiter(n int) *limiter {
	l := &limiter{}
	l.setMax(n)
	return l
}

// setMax changes the limit; connections over a lowered limit keep running.
func (l *limiter) setMax(n int) { l.max.Store(int64(max(n, 0))) }

// take takes a slot, or reports false at the limit.
func (l *limiter) take() bool {
	lim := l.max.Load()
	if lim == 0 {
		l.cur.Add(1)
		return true
	}
	for {
		n := l.cur.Load()
		if n >= lim {
			return false
		}
		if l.cur.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// give returns a slot. Slots are counted even without a limit, so that a
// reload that sets one starts from the true count.
func (l *limiter) give() { l.cur.Add(-1) }

// room reports whether take would succeed now.
func (l *limiter) room() bool {
	lim := l.max.Load()
	return lim == 0 || l.cur.Load() < lim
}

// gate decides which listeners the reactors watch. Every listener is
// registered in every reactor's epoll (EPOLLEXCLUSIVE: a new connection
// wakes one idle reactor, which accepts it). A listener whose frontend or
// the whole process is at maxconn, or whose accept(2) failed for lack of
// resources, is paused: removed from every epoll, so its clients wait in
// the kernel's backlog; it is resumed when a connection ends (or, after a
// resource error, at the latest after acceptRetry).
//
// Pausing and resuming race with connections ending on other reactors:
// pause publishes npaused before it looks at the limits again, release
// frees its slots before it looks at npaused, so (sequentially consistent
// atomics) one of the two always sees the other and a paused listener with
// room is resumed.
type gate struct {
	mu        sync.Mutex
	lns       atomic.Pointer[[]*listener] // those being served, indexed by listener.idx; append-only while serving
	epfds     []int                       // one per reactor
	exclusive bool                        // EPOLLEXCLUSIVE is supported
	off       atomic.Bool                 // accepting stopped for good (Serve is stopping)
	npaused   atomic.Int32
	global    *limiter
	rate      *rateLimit // maxconnrate (ratelimit.go); nil = unlimited
}

// acceptRetry is how long a listener rests after accept(2) failed for lack
// of file descriptors or memory, unless a connection ends earlier.
const acceptRetry = 100 * time.Millisecond

// listenEvent is the epoll_event of listener idx (reactor.run decodes it).
func listenEvent(idx int) unix.EpollEvent {
	return unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(-2 - idx)}
}

// watch registers l with every reactor. Called with g.mu held, or before
// the reactors run.
func (g *gate) watch(l *listener) error {
	ev := listenEvent(l.idx)
	if g.exclusive {
		ev.Events |= unix.EPOLLEXCLUSIVE
	}
	for _, epfd := range g.epfds {
		err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, l.fd, &ev)
		if err == unix.EINVAL && g.exclusive {
			// Linux before 4.5: every reactor wakes, one accepts.
			g.exclusive = false
			ev.Events &^= unix.EPOLLEXCLUSIVE
			err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, l.fd, &ev)
		}
		if err != nil && err != unix.EEXIST {
			return err
		}
	}
	return nil
}

// unwatch removes l from every reactor. Called with g.mu held.
func (g *gate) unwatch(l *listener) {
	for _, epfd := range g.epfds {
		unix.EpollCtl(epfd, unix.EPOLL_CTL_DEL, l.fd, nil)
	}
}

// take takes a slot of fe (the frontend l feeds now) and a global slot for
// one accept on l, or pauses l and reports false.
func (g *gate) take(l *listener, fe *frontend) bool {
	if fe.lim.take() {
		if g.global.take() {
			return true
		}
		fe.lim.give()
	}
	g.pause(l, false)
	return false
}

// release gives back the slots of a connection of fe that ended.
func (g *gate) release(fe *frontend) {
	fe.lim.give()
	g.global.give()
	if g.npaused.Load() > 0 {
		g.mu.Lock()
		g.resumeLocked()
		g.mu.Unlock()
	}
}

// pause stops watching l. failed says accept(2) failed: l then rests until
// a connection ends or acceptRetry passes, even if it has room.
func (g *gate) pause(l *listener, failed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.off.Load() || l.paused || l.removed {
		return
	}
	l.paused = true
	g.npaused.Add(1)
	g.unwatch(l)
	if failed {
		if l.retry == nil {
			l.retry = time.AfterFunc(acceptRetry, g.retry)
		} else {
			l.retry.Reset(acceptRetry)
		}
		return
	}
	g.resumeLocked() // a slot may have been released meanwhile
}

func (g *gate) retry() {
	g.mu.Lock()
	g.resumeLocked()
	g.mu.Unlock()
}

// resumeLocked watches again the paused listeners that have room.
func (g *gate) resumeLocked() {
	if g.off.Load() {
		return
	}
	for _, l := range g.listeners() {
		if l.removed || !l.paused || l.resting() || !l.fe.Load().lim.room() || !g.global.room() {
			continue
		}
		if err := g.watch(l); err != nil {
			continue // epoll is out of memory: the next release tries again
		}
		l.paused = false
		g.npaused.Add(-1)
	}
}

// listeners returns the served listeners (some may be removed).
func (g *gate) listeners() []*listener {
	if p := g.lns.Load(); p != nil {
		return *p
	}
	return nil
}

// stop pauses every listener for good. The caller then waits until every
// reactor has acknowledged (reactor.run) before it closes the sockets.
func (g *gate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.off.Store(true)
	for _, l := range g.listeners() {
		if l.removed {
			continue
		}
		if l.retry != nil {
			l.retry.Stop()
		}
		if !l.paused {
			g.unwatch(l)
		}
	}
}
