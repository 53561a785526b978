package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// epoch anchors the reactors' monotonic clock.
var epoch = time.Now()

func monotime() int64 { return int64(time.Since(epoch)) }

const (
	sideClient = 0
	sideServer = 1
	maxEvents  = 128
)

// reactor owns a set of connections and drives them from one epoll
// instance: connect completion, relaying, timeouts and closing. Other
// goroutines hand it connections with post; nothing else touches a
// connection's sockets.
type reactor struct {
	p    *Proxy
	epfd int
	evfd int // eventfd: wakes epoll_wait when post adds work
	one  [8]byte

	mu    sync.Mutex
	inbox []*conn
	kill  atomic.Bool // hard stop: close every connection
	quit  atomic.Bool // stop the loop (no connection left)

	// owned by the loop goroutine
	now    int64
	slots  []*conn
	gens   []uint32
	free   []int32
	timers timerHeap
	ready  []*conn
	work   []*conn
	spare  []*conn
	pipes  pipePool
	bufs   bufPool
	ev     unix.EpollEvent
	events [maxEvents]unix.EpollEvent

	// while Serve stops (drain.go)
	drainStarted bool  // the connections not yet relaying were ended
	drainNext    int64 // next look for released frontend addresses
}

func newReactor(p *Proxy) (*reactor, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	r := &reactor{p: p, epfd: epfd, evfd: evfd}
	r.one[0] = 1 // little-endian uint64 1
	r.ev = unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &r.ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, err
	}
	return r, nil
}

// post hands c to the reactor: a new connection, or one that left a queue.
func (r *reactor) post(c *conn) {
	r.mu.Lock()
	wake := len(r.inbox) == 0
	r.inbox = append(r.inbox, c)
	r.mu.Unlock()
	if wake {
		r.wake()
	}
}

func (r *reactor) wake() { unix.Write(r.evfd, r.one[:]) }

// run is the reactor loop; it returns after quit is set.
func (r *reactor) run() {
	defer func() {
		unix.Close(r.epfd)
		unix.Close(r.evfd)
		r.pipes.closeAll()
	}()
	var drain [8]byte
	for !r.quit.Load() {
		wait := -1
		if len(r.ready) > 0 {
			wait = 0
		} else if at, ok := r.timers.next(); ok {
			wait = int((at-monotime())/int64(time.Millisecond)) + 1
			if wait < 0 {
				wait = 0
			}
		}
		wait = r.drainWait(wait)
		n, err := unix.EpollWait(r.epfd, r.events[:], wait)
		if err != nil && err != unix.EINTR {
			r.p.log.Error("epoll wait failed", "err", err)
			return
		}
		r.now = monotime()
		for i := 0; i < n; i++ {
			ev := &r.events[i]
			if ev.Fd < 0 {
				unix.Read(r.evfd, drain[:])
				r.takeInbox()
				continue
			}
			c := r.slots[ev.Fd]
			if c == nil || r.gens[ev.Fd] != uint32(ev.Pad)>>1 {
				continue // a closed connection's stale event
			}
			c.event(int(ev.Pad&1), ev.Events)
		}
		if len(r.ready) > 0 {
			r.work, r.ready = r.ready, r.work[:0]
			for _, c := range r.work {
				c.inReady = false
				if c.state == stUp {
					c.relay()
				}
			}
			clear(r.work)
		}
		r.expire()
		if r.stopping() {
			r.drain()
		}
		if r.kill.Load() {
			r.closeAll()
		}
	}
}

func (r *reactor) takeInbox() {
	r.mu.Lock()
	batch := r.inbox
	r.inbox = r.spare[:0]
	r.mu.Unlock()
	for _, c := range batch {
		c.start()
	}
	clear(batch)
	r.spare = batch[:0]
}

// register adds a connection to the slot table.
func (r *reactor) register(c *conn) {
	if n := len(r.free); n > 0 {
		c.slot = r.free[n-1]
		r.free = r.free[:n-1]
	} else {
		c.slot = int32(len(r.slots))
		r.slots = append(r.slots, nil)
		r.gens = append(r.gens, 0)
	}
	r.gens[c.slot]++
	r.slots[c.slot] = c
}

func (r *reactor) unregister(c *conn) {
	r.slots[c.slot] = nil
	r.free = append(r.free, c.slot)
}

// watch adds fd (one side of c) to epoll, edge-triggered.
func (r *reactor) watch(c *conn, side int, fd int) error {
	r.ev = unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd:     c.slot,
		Pad:    int32(r.gens[c.slot]<<1) | int32(side),
	}
	return unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &r.ev)
}

func (r *reactor) markReady(c *conn) {
	if !c.inReady {
		c.inReady = true
		r.ready = append(r.ready, c)
	}
}

// arm makes sure a timer entry fires no later than c's current deadline.
func (r *reactor) arm(c *conn) {
	d := c.deadline()
	if d == 0 || (c.timerAt != 0 && c.timerAt <= d) {
		return
	}
	c.timerAt = d
	r.timers.push(timer{at: d, c: c})
}

// expire fires due timers; an entry whose connection moved its deadline
// later is re-armed instead.
func (r *reactor) expire() {
	for {
		t, ok := r.timers.peek()
		if !ok || t.at > r.now {
			return
		}
		r.timers.pop()
		c := t.c
		if c.state == stClosed || c.timerAt != t.at {
			continue
		}
		c.timerAt = 0
		d := c.deadline()
		if d == 0 {
			continue
		}
		if d > r.now {
			r.arm(c)
			continue
		}
		c.timeout()
	}
}

// closeAll closes every connection (hard stop).
func (r *reactor) closeAll() {
	r.mu.Lock()
	batch := r.inbox
	r.inbox = nil
	r.mu.Unlock()
	for _, c := range batch {
		c.abort(reasonHardStop)
	}
	for _, c := range r.slots {
		if c != nil {
			c.abort(reasonHardStop)
		}
	}
}

// timer is one entry of the reactor's deadline heap.
type timer struct {
	at int64
	c  *conn
}

// timerHeap is a binary min-heap on at, without container/heap's boxing.
type timerHeap []timer

func (h timerHeap) peek() (timer, bool) {
	if len(h) == 0 {
		return timer{}, false
	}
	return h[0], true
}

func (h timerHeap) next() (int64, bool) {
	if len(h) == 0 {
		return 0, false
	}
	return h[0].at, true
}

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *timerHeap) pop() {
	s := *h
	n := len(s) - 1
	s[0] = s[n]
	s[n] = timer{}
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].at < s[l].at {
			m = r
		}
		if s[i].at <= s[m].at {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
}
