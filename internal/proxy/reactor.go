package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halo-lb/halo/internal/rawsock"
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
// instance: accepting, connect completion, relaying, timeouts and closing.
// Other goroutines only hand it back its queued connections (post) and set
// its flags; nothing else touches a connection's sockets.
type reactor struct {
	p      *Proxy
	epfd   int
	poller     // epfd as Go's poller sees it (poll.go)
	evfd   int // eventfd: wakes the loop when post adds work or a flag is set
	one    [8]byte

	// connections this reactor owns or has been handed (accept.go pick);
	// peers is every reactor of the proxy, this one included
	load  atomic.Int32
	peers []*reactor

	mu    sync.Mutex
	inbox []*conn
	calls []func()      // run on the loop (shutdown.go)
	kill  atomic.Bool   // hard stop: close every connection
	quit  atomic.Bool   // stop the loop (no connection left)
	turns atomic.Uint64 // loop turns started, for Proxy.quiesce
	acked bool          // told Serve it stopped accepting (p.acks); loop only
	// monotime when the loop parked in Go's poller, 0 while it runs (watchPoller)
	parkedAt      atomic.Int64
	starveChecked int64 // loop only: last watchPoller look
	pfd           [1]unix.PollFd

	// owned by the loop goroutine
	now    int64
	slots  []*conn
	gens   []uint32 // per slot and side (2*slot+side): bumped by every watch
	free   []int32
	timers timerHeap
	ready  []*conn
	work   []*conn
	spare  []*conn
	pipes  pipePool
	bufs   bufPool
	ev     unix.EpollEvent
	rsa    unix.RawSockaddrAny // accept4's peer address
	events [maxEvents]unix.EpollEvent
	// connections with a deferred shutdown(2), made at the end of the
	// next turn (shutNext) or of this one (shutNow): see deferShutdown
	shutNext, shutNow []*conn

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
	r.pipes.budget = &p.pipeBudget
	r.one[0] = 1 // little-endian uint64 1
	r.ev = unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &r.ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, err
	}
	if err := r.initPoller(); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// post hands c back to its reactor when it leaves a backend's queue.
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

// close releases the reactor's descriptors; run calls it on the way out.
func (r *reactor) close() {
	if r.poller.file != nil {
		r.poller.file.Close()
	} else {
		unix.Close(r.epfd)
	}
	unix.Close(r.evfd)
	r.pipes.closeAll()
}

// ackStop tells Serve, once, that this reactor will not accept any more.
func (r *reactor) ackStop() {
	if !r.acked {
		r.acked = true
		r.p.acks.Done()
	}
}

// run is the reactor loop; it returns after quit is set.
func (r *reactor) run() {
	defer func() {
		r.ackStop()
		r.close()
	}()
	g := &r.p.gate
	var drain [8]byte
	for !r.quit.Load() {
		r.turns.Add(1)     // see Proxy.quiesce
		until := int64(-1) // see poll
		if len(r.ready) > 0 || len(r.shutNow) > 0 {
			until = 0
		} else if len(r.timers) > 0 {
			until = r.timers[0].timerAt
		}
		n, err := r.poll(r.drainUntil(until))
		if err != nil && err != unix.EINTR {
			r.p.log.Error("epoll wait failed", "err", err)
			return
		}
		r.now = monotime()
		for i := 0; i < n; i++ {
			ev := &r.events[i]
			if ev.Fd < 0 {
				if ev.Fd == -1 {
					rawsock.Read(r.evfd, drain[:])
					r.takeInbox()
				} else {
					r.acceptFrom((*g.lns.Load())[-2-ev.Fd]) // see listenEvent
				}
				continue
			}
			c := r.slots[ev.Fd]
			if c == nil || r.gens[2*ev.Fd+ev.Pad&1] != uint32(ev.Pad)>>1 {
				continue // a stale event: closed connection, or replaced server socket
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
		r.flushShutdowns()
		if n > 0 && len(r.peers) > 1 {
			r.watchPoller()
		}
		if g.off.Load() {
			r.ackStop() // this turn's accepts are over
		}
		if r.stopping() {
			r.drain()
		}
		if r.kill.Load() {
			r.closeAll()
		}
	}
}

// deferShutdown queues c, which has a flow whose source ended, for the
// shutdown(2) that passes the end on. It is made a turn later: when both
// peers end the connection at about the same time (an HTTP/1 client reads
// the answer to a `Connection: close` request and closes while the server
// closes too), the other end arrives meanwhile and a single close(2) per
// socket ends the connection, saving the shutdown(2) and leaving the
// TIME_WAIT state to the client rather than the proxy.
func (r *reactor) deferShutdown(c *conn) {
	if !c.inShutq {
		c.inShutq = true
		r.shutNext = append(r.shutNext, c)
	}
}

// flushShutdowns makes the shutdowns deferred during the previous turn.
func (r *reactor) flushShutdowns() {
	for _, c := range r.shutNow {
		c.inShutq = false
		if c.state == stClosed {
			continue
		}
		for i := range c.flows {
			if f := &c.flows[i]; f.shutPending {
				f.shutPending = false
				sysShutdown(c.fd[1-i], unix.SHUT_WR)
			}
		}
	}
	clear(r.shutNow)
	r.shutNow, r.shutNext = r.shutNext, r.shutNow[:0]
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
	r.runCalls()
}

// register adds a connection to the slot table.
func (r *reactor) register(c *conn) {
	if n := len(r.free); n > 0 {
		c.slot = r.free[n-1]
		r.free = r.free[:n-1]
	} else {
		c.slot = int32(len(r.slots))
		r.slots = append(r.slots, nil)
		r.gens = append(r.gens, 0, 0)
	}
	r.gens[2*c.slot]++ // no event of the slot's previous connection
	r.gens[2*c.slot+1]++
	r.slots[c.slot] = c
}

func (r *reactor) unregister(c *conn) {
	r.slots[c.slot] = nil
	r.free = append(r.free, c.slot)
}

// watch adds fd (one side of c) to epoll, edge-triggered. The side's
// generation changes, so that events still queued for a socket that side
// had before (a closed connection's, or a failed connect's) are ignored.
func (r *reactor) watch(c *conn, side int, fd int) error {
	g := &r.gens[2*int(c.slot)+side]
	*g++
	r.ev = unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd:     c.slot,
		Pad:    int32(*g<<1) | int32(side),
	}
	return rawsock.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &r.ev)
}

func (r *reactor) markReady(c *conn) {
	if !c.inReady {
		c.inReady = true
		r.ready = append(r.ready, c)
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
