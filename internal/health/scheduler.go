package health

import (
	"context"

	"log/slog"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halo-lb/halo/internal/rawsock"
)

// Scheduler runs the checks of many Checkers on one event loop: one
// goroutine, one epoll set, one timer heap and one runtime timer, with
// non-blocking connects. Plain TCP checks, tcp-check sequences and HTTP
// checks to IP addresses run on the loop; a check that needs TLS or a name
// lookup runs its probe on a goroutine of its own and hands the result
// back. HAProxy runs its checks the same way, as tasks of its event loop.
//
// The loop wakes on a fixed grid of ticks (tick): for the probes due, and,
// while probes are under way, to collect what their sockets report, all
// at once. So 2,000 servers at inter 2s cost 100 wake-ups a second rather
// than one per probe and one more per answer.
//
// Its zero value is not usable: call NewScheduler. Add, Remove and the
// Checkers' setters are safe from any goroutine.
type Scheduler struct {
	log  *slog.Logger
	wake chan struct{} // capacity 1: the inbox has messages

	mu    sync.Mutex
	inbox []message

	// owned by the loop goroutine
	epfd     int
	timers   timerHeap
	slots    []*Checker // by slot; nil = free
	free     []int32
	spare    []*session // sessions of ended probes, for the next ones
	later    []*session // connects to ask about before watching them (session.dial)
	inflight int        // probes under way on the loop
	gen      uint32     // generation of the last socket watched
	events   [64]unix.EpollEvent
	ctx      context.Context
	probes   sync.WaitGroup // probes running on goroutines
}

type msgKind int

const (
	msgAdd    msgKind = iota // start checking batch
	msgRemove                // stop checking c
	msgWake                  // c was paused or resumed
	msgResult                // a goroutine probe of c ended
)

type message struct {
	kind  msgKind
	c     *Checker
	batch []*Checker
	r     Result
	addr  netip.AddrPort
}

// epoch anchors the loop's monotonic clock.
var epoch = time.Now()

func monotime() int64 { return int64(time.Since(epoch)) }

// tick is the loop's time grid. A probe starts at most one tick after it
// is due and a timeout fires at most one tick late, never early; an
// answer is noticed at most one tick after it came, so check durations
// are measured to within a tick.
const tick = int64(10 * time.Millisecond)

// nextTick is the first point of the grid at or after t.
func nextTick(t int64) int64 { return (t + tick - 1) / tick * tick }

// NewScheduler returns a Scheduler; log nil discards.
func NewScheduler(log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{log: log, wake: make(chan struct{}, 1), epfd: -1}
}

// Add starts checking cs, once Run runs. The first checks of one call are
// spread evenly over their interval (HAProxy staggers the first check of
// every server the same way), so that servers added together are not
// probed together; with global spread-checks every interval also varies
// by ± that share. A Checker is added at most once.
func (s *Scheduler) Add(cs ...*Checker) {
	if len(cs) == 0 {
		return
	}
	for _, c := range cs {
		c.mu.Lock()
		c.sched = s
		c.mu.Unlock()
	}
	s.post(message{kind: msgAdd, batch: cs})
}

// Remove stops checking c; a probe under way is abandoned, and c's
// onChange is not called again.
func (s *Scheduler) Remove(c *Checker) { s.post(message{kind: msgRemove, c: c}) }

func (s *Scheduler) post(m message) {
	s.mu.Lock()
	s.inbox = append(s.inbox, m)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run runs the loop until ctx is done, then closes every check connection,
// waits for the probes running on goroutines and returns nil. It returns
// an error only when the loop cannot be set up. Run must be called at most
// once.
func (s *Scheduler) Run(ctx context.Context) error {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	s.epfd, s.ctx = epfd, ctx
	defer s.shutdown()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.handleInbox()
		s.expire(monotime())
		s.askLater()
		if err := s.pollEvents(); err != nil {
			return err
		}
		until := int64(-1)
		if len(s.timers) > 0 {
			until = nextTick(s.timers[0].due)
		}
		if s.inflight > 0 {
			// collect the sockets' news on the next tick
			if t := nextTick(monotime() + 1); until < 0 || t < until {
				until = t
			}
		}
		var fire <-chan time.Time
		if until >= 0 {
			timer.Reset(time.Duration(until - monotime()))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-fire:
		}
		timer.Stop()
	}
}

// askLater asks each socket of s.later, without waiting, whether its
// connect is done (ppoll); those that are move on at once, the others are
// watched. A plain connect check on loopback so costs no epoll_ctl.
func (s *Scheduler) askLater() {
	for i, sess := range s.later {
		s.later[i] = nil
		c := sess.owner
		if c == nil || c.sess != sess || !sess.unwatched || sess.fd < 0 {
			continue // the probe ended meanwhile
		}
		sess.unwatched = false
		ev := sysPollNow(sess.fd, unix.POLLOUT)
		if ev == 0 {
			if err := s.watch(sess); err != nil {
				ev = unix.POLLERR
			} else {
				continue
			}
		}
		sess.events = uint32(ev) // POLLOUT, POLLERR and POLLHUP have the values of their EPOLL twins
		s.advance(c)
	}
	s.later = s.later[:0]
}

// pollEvents hands every event the epoll set has to its session, without
// waiting.
func (s *Scheduler) pollEvents() error {
	for {
		n, err := rawsock.EpollPoll(s.epfd, s.events[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for i := range n {
			s.dispatch(&s.events[i])
		}
		if n < len(s.events) {
			return nil
		}
	}
}

func (s *Scheduler) shutdown() {
	for _, c := range s.slots {
		if c != nil {
			s.drop(c)
		}
	}
	s.probes.Wait()
	unix.Close(s.epfd)
}

func (s *Scheduler) handleInbox() {
	s.mu.Lock()
	inbox := s.inbox
	s.inbox = nil
	s.mu.Unlock()
	now := monotime()
	for _, m := range inbox {
		switch m.kind {
		case msgAdd:
			for i, c := range m.batch {
				s.start(c, now, i, len(m.batch))
			}
		case msgRemove:
			if c := m.c; c.slot >= 0 && s.slots[c.slot] == c {
				s.drop(c)
			}
		case msgWake:
			if c := m.c; c.slot >= 0 && s.slots[c.slot] == c {
				s.woken(c, now)
			}
		case msgResult:
			if c := m.c; c.slot >= 0 && s.slots[c.slot] == c && c.onGoroutine {
				c.onGoroutine, c.cancel = false, nil
				s.finish(c, m.r, m.addr)
			}
		}
	}
}

// start gives c a slot and schedules its first check at i/n of its
// interval.
func (s *Scheduler) start(c *Checker, now int64, i, n int) {
	if len(s.free) > 0 {
		c.slot = s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
		s.slots[c.slot] = c
	} else {
		c.slot = int32(len(s.slots))
		s.slots = append(s.slots, c)
	}
	c.notify() // a SetPaused before the start
	c.mu.Lock()
	paused, state := c.st.Paused, c.st.State
	c.mu.Unlock()
	if paused {
		return // SetPaused(false) schedules it
	}
	d := c.interval(state)
	s.schedule(c, now+int64(d)*int64(i)/int64(n))
}

// drop forgets c: its timer, its connection, its goroutine probe.
func (s *Scheduler) drop(c *Checker) {
	s.timers.remove(c)
	s.release(c)
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	s.slots[c.slot] = nil
	s.free = append(s.free, c.slot)
	c.slot = -1
}

// woken handles SetPaused: report the change, and probe at the next
// interval unless paused (a probe under way reschedules when it ends).
func (s *Scheduler) woken(c *Checker, now int64) {
	c.notify()
	if c.sess != nil || c.onGoroutine {
		return
	}
	c.mu.Lock()
	paused, state := c.st.Paused, c.st.State
	c.mu.Unlock()
	if paused {
		s.timers.remove(c)
		return
	}
	s.schedule(c, now+int64(c.interval(state)))
}

func (s *Scheduler) schedule(c *Checker, at int64) {
	c.due = at
	if c.hidx >= 0 {
		s.timers.fix(int(c.hidx))
	} else {
		s.timers.push(c)
	}
}

// expire runs what is due: a probe to start or a probe whose step timed
// out.
func (s *Scheduler) expire(now int64) {
	for len(s.timers) > 0 && s.timers[0].due <= now {
		c := s.timers[0]
		s.timers.remove(c)
		if c.sess != nil {
			c.sess.expired, c.sess.events = true, 0
			s.advance(c)
			continue
		}
		s.probe(c)
	}
}

// probe starts one check of c.
func (s *Scheduler) probe(c *Checker) {
	c.mu.Lock()
	paused, disabled, na, state := c.st.Paused, c.st.Disabled, c.newAddr, c.st.State
	c.newAddr = nil
	c.mu.Unlock()
	if paused {
		return // SetPaused(false) schedules it again
	}
	if na != nil {
		c.prober.retarget(na.host, na.port)
	}
	if disabled {
		s.schedule(c, monotime()+int64(c.interval(state)))
		return
	}
	if !c.prober.onLoop {
		ctx, cancel := context.WithCancel(s.ctx)
		c.onGoroutine, c.cancel = true, cancel
		s.probes.Go(func() {
			r, addr := c.prober.probe(ctx)
			if ctx.Err() == nil { // a probe cut short says nothing about the server
				s.post(message{kind: msgResult, c: c, r: r, addr: addr})
			}
			cancel()
		})
		return
	}
	var sess *session
	if n := len(s.spare); n > 0 {
		sess, s.spare = s.spare[n-1], s.spare[:n-1]
	} else {
		sess = new(session)
	}
	c.prober.initSession(sess, s)
	sess.owner = c
	c.sess = sess
	s.inflight++
	s.advance(c)
}

// advance moves c's probe on after an event or its deadline.
func (s *Scheduler) advance(c *Checker) {
	sess := c.sess
	r, done := sess.advance()
	if !done && sess.expired {
		r, done = fail(CodeL4Timeout, ""), true // every waiting step fails once expired
	}
	if !done {
		s.schedule(c, int64(sess.deadline.Sub(epoch)))
		return
	}
	s.timers.remove(c)
	r.Duration = time.Since(sess.start)
	addr := sess.addr
	s.release(c)
	s.finish(c, r, addr)
}

// finish records a probe's result, reports a change and schedules the
// next probe.
func (s *Scheduler) finish(c *Checker, r Result, addr netip.AddrPort) {
	state := c.apply(r, addr)
	c.notify()
	s.schedule(c, monotime()+int64(c.interval(state)))
}

// release ends c's session, if any, and keeps it for another probe.
func (s *Scheduler) release(c *Checker) {
	if sess := c.sess; sess != nil {
		sess.end()
		*sess = session{fd: -1}
		c.sess = nil
		s.spare = append(s.spare, sess)
		s.inflight--
	}
}

// watch adds the session's new socket to the epoll set, edge-triggered:
// the session reads and writes until EAGAIN before it waits.
func (s *Scheduler) watch(sess *session) error {
	s.gen++
	sess.gen = s.gen
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd:     sess.owner.slot,
		Pad:    int32(sess.gen),
	}
	return rawsock.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, sess.fd, &ev)
}

func (s *Scheduler) dispatch(ev *unix.EpollEvent) {
	if ev.Fd < 0 || int(ev.Fd) >= len(s.slots) {
		return
	}
	c := s.slots[ev.Fd]
	if c == nil || c.sess == nil || int32(c.sess.gen) != ev.Pad || c.sess.fd < 0 {
		return // an event of a socket since closed
	}
	c.sess.events = ev.Events
	s.advance(c)
}
