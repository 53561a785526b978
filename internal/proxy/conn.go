package proxy

import (
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halo-lb/halo/internal/rawsock"
)

type connState uint8

const (
	stNew        connState = iota // accepted, not yet seen by its reactor
	stQueued                      // waiting in the backend queue for a server slot
	stConnecting                  // connect(2) to the server in progress
	stRetryWait                   // turn-around delay before the next attempt
	stUp                          // relaying
	stClosed
)

// reasons a connection ends, for the log.
const (
	reasonDone          = "done"
	reasonNoBackend     = "no backend"
	reasonNoServer      = "no server available"
	reasonQueueTimeout  = "queue timeout"
	reasonConnectFailed = "connect failed"
	reasonIdle          = "idle timeout"
	reasonReset         = "reset"
	reasonHardStop      = "hard stop"
	reasonResource      = "out of resources"
	reasonStopping      = "stopping before a server was reached"
	reasonAddrGone      = "frontend address left the host"
)

// conn is one proxied connection. After post, only its reactor touches it,
// except srv, qsrv and queued, which are guarded by be.mu.
type conn struct {
	r  *reactor
	fe *frontend
	be *backend

	srv    *server // bound server (holds a slot), guarded by be.mu
	qsrv   *server // server it waits for when queued; nil = any; guarded by be.mu
	queued bool    // in be.queue; guarded by be.mu

	fd       [2]int // client, server; -1 when closed
	src      netip.AddrPort
	dst      netip.AddrPort // address the client connected to; zero until needed
	slot     int32
	reg      bool
	state    connState
	inReady  bool
	inShutq  bool // in r.shutNext or r.shutNow
	attempts int
	until    int64 // deadline while queued, connecting or waiting to retry; 0 = none
	lastAct  int64
	timerAt  int64   // when its entry in r.timers fires; 0 = no entry
	tidx     int32   // position in r.timers while timerAt != 0
	flows    [2]flow // [0] client→server, [1] server→client

	// lg is kept only for connections of frontends with a tcplog
	// (connlog.go); nil otherwise, so that an idle connection stays small.
	lg *connLogState
}

// start runs when the reactor receives c from post.
func (c *conn) start() {
	r := c.r
	if r.stopping() {
		// Accepted as the listeners closed, or handed a server slot
		// from the queue: see reactor.drain.
		c.close(reasonStopping)
		return
	}
	switch c.state {
	case stNew:
		r.register(c)
		c.reg = true
		if err := r.watch(c, sideClient, c.fd[sideClient]); err != nil {
			c.close(reasonResource)
			return
		}
		if c.be == nil {
			c.close(reasonNoBackend)
			return
		}
		c.assign(nil)
	case stQueued:
		c.connect() // a server slot was handed over by dispatch
	}
}

// assign asks the backend for a server and acts on the answer.
func (c *conn) assign(avoid *server) {
	switch c.be.assign(c, avoid) {
	case assigned:
		if avoid != nil {
			c.be.stats.redispatches.Add(1)
			avoid.stats.redispatches.Add(1)
		}
		c.connect()
	case queued:
		c.state = stQueued
		c.until = 0
		if to := c.be.queueTimeout(); to > 0 {
			c.until = c.r.now + int64(to)
		}
		c.r.arm(c)
	default:
		c.close(reasonNoServer)
	}
}

func (c *conn) connect() {
	r, s := c.r, c.srv
	c.attempts++
	if lg := c.lg; lg != nil {
		if lg.connAt == 0 {
			lg.connAt = r.now
		}
		lg.srv = s
	}
	ap := s.addr.Load()
	if ap == nil {
		c.connectFailed()
		return
	}
	port := s.effectivePort()
	if port == 0 {
		port = int(c.localAddr().Port())
	}
	fd, err := rawsock.Dial(netip.AddrPortFrom(*ap, uint16(port)), true)
	if err != nil {
		c.connectFailed()
		return
	}
	c.fd[sideServer] = fd
	c.flows[sideServer].ready, c.flows[sideServer].rdhup = false, false // a previous attempt's
	if err := r.watch(c, sideServer, fd); err != nil {
		c.connectFailed()
		return
	}
	c.state = stConnecting
	c.until = 0
	if to := c.be.conf().Timeouts.Connect; to > 0 {
		c.until = r.now + int64(to)
	}
	r.arm(c)
	c.early()
}

// early passes on what the client already sent right after connect(2),
// without waiting for epoll to report the connection: on a local network
// the handshake is usually complete when connect returns, and the server
// then finds its request with its connection instead of being woken twice.
// While the handshake is still under way the write fails with EAGAIN and
// the bytes wait in the flow for connected; a refused connect fails the
// write, and the bytes wait for the next attempt. Servers that expect a
// PROXY header first are left to connected.
func (c *conn) early() {
	f := &c.flows[sideClient]
	if c.srv.conf().SendProxy > 0 {
		return
	}
	if f.n == 0 {
		if !f.ready || f.eof {
			return
		}
		n, err := f.read(c.r, c.fd[sideClient])
		switch {
		case err == unix.EAGAIN:
			f.ready = false
			f.release(c.r)
			return
		case err != nil:
			c.abort(reasonReset)
			return
		case n == 0:
			f.eof = true
			f.release(c.r)
			return
		}
		f.n = n
	}
	switch err := c.flush(sideClient); err {
	case nil:
		c.up()
		c.relay()
	case unix.EAGAIN, unix.EINTR:
	default:
		c.connectFailed()
	}
}

// up marks the connection to the server established.
func (c *conn) up() {
	if lg := c.lg; lg != nil {
		lg.upAt = c.r.now
	}
	c.state = stUp
	c.lastAct = c.r.now
	c.r.arm(c)
}

// connected runs on the first event of the server socket. A TCP socket is
// writable only once its handshake completed, and a failed connect reports
// EPOLLERR (EPOLLHUP when refused), so the flags tell the outcome without a
// getsockopt(SO_ERROR).
func (c *conn) connected(ev uint32) {
	if ev&(unix.EPOLLERR|unix.EPOLLHUP) != 0 || ev&unix.EPOLLOUT == 0 {
		c.connectFailed()
		return
	}
	if v := c.srv.conf().SendProxy; v > 0 {
		if err := c.sendProxyHeader(byte(v)); err != nil {
			c.abort(reasonReset)
			return
		}
	}
	c.up()
	c.relay()
}

func (c *conn) connectFailed() {
	be, s := c.be, c.srv
	be.stats.connErrors.Add(1)
	s.stats.connErrors.Add(1)
	if fd := c.fd[sideServer]; fd >= 0 {
		sysClose(fd)
		c.fd[sideServer] = -1
	}
	if c.attempts > be.conf().Retries {
		c.close(reasonConnectFailed)
		return
	}
	if c.r.stopping() {
		c.close(reasonStopping)
		return
	}
	be.stats.retries.Add(1)
	s.stats.retries.Add(1)
	// option redispatch: the last retry goes to another server.
	if be.conf().Redispatch && c.attempts == be.conf().Retries && len(be.servers) > 1 {
		be.mu.Lock()
		c.srv = nil
		be.releaseLocked(s)
		be.mu.Unlock()
		c.assign(s)
		return
	}
	// configuration.txt (retries): a turn-around timer of
	// min(timeout connect, 1s) before retrying the same server.
	delay := time.Second
	if to := be.conf().Timeouts.Connect; to > 0 && to < delay {
		delay = to
	}
	c.state = stRetryWait
	c.until = c.r.now + int64(delay)
	c.r.arm(c)
}

// event handles epoll readiness on one side of c. Readiness to read is
// remembered in every state (the sockets are edge-triggered): the flow
// from that side reads when it can, and only then.
func (c *conn) event(side int, ev uint32) {
	f := &c.flows[side]
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		f.ready = true
	}
	if ev&(unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
		f.rdhup = true
	}
	switch c.state {
	case stConnecting:
		if side == sideServer && ev&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			c.connected(ev)
		} else if side == sideClient && ev&unix.EPOLLIN != 0 {
			c.early() // the request came after the connect
		}
	case stUp:
		if ev&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			c.relay()
			return
		}
		if ev&(unix.EPOLLIN|unix.EPOLLRDHUP) != 0 {
			c.pump(side)
		}
		if ev&unix.EPOLLOUT != 0 && c.state == stUp {
			c.pump(1 - side)
		}
	}
}

// relay pumps both directions.
func (c *conn) relay() {
	c.pump(sideClient)
	if c.state == stUp {
		c.pump(sideServer)
	}
}

// deadline is when c must be looked at again; 0 = never.
func (c *conn) deadline() int64 {
	switch c.state {
	case stQueued, stConnecting, stRetryWait:
		return c.until
	case stUp:
		if idle := c.idle(); idle > 0 {
			return c.lastAct + int64(idle)
		}
	}
	return 0
}

// idle is the inactivity timeout now in force: the smaller of the client and
// server sides' timeouts, `timeout tunnel` replacing both once connected,
// and client-fin/server-fin replacing them once a direction is shut.
func (c *conn) idle() time.Duration {
	t := &c.be.conf().Timeouts
	cl, sv := c.fe.cfg.TimeoutClient, t.Server
	if t.Tunnel > 0 {
		cl, sv = t.Tunnel, t.Tunnel
	}
	if c.flows[0].eof || c.flows[1].eof {
		if c.fe.cfg.TimeoutClientFin > 0 {
			cl = c.fe.cfg.TimeoutClientFin
		}
		if t.ServerFin > 0 {
			sv = t.ServerFin
		}
	}
	switch {
	case cl == 0:
		return sv
	case sv == 0:
		return cl
	}
	return min(cl, sv)
}

func (c *conn) timeout() {
	switch c.state {
	case stQueued:
		c.be.mu.Lock()
		waiting := c.be.unqueue(c)
		c.be.mu.Unlock()
		if waiting {
			c.close(reasonQueueTimeout)
		} // else dispatch handed it a slot and posted it: start will connect
	case stConnecting:
		c.connectFailed()
	case stRetryWait:
		c.connect()
	case stUp:
		c.close(reasonIdle)
	}
}

// abort closes both sides with a reset (SO_LINGER 0).
func (c *conn) abort(reason string) {
	for _, fd := range c.fd {
		if fd >= 0 {
			unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		}
	}
	c.close(reason)
}

// close ends c: sockets, server slot, queue entry, limits and counters.
func (c *conn) close(reason string) {
	if c.state == stClosed {
		return
	}
	for i, fd := range c.fd {
		if fd >= 0 {
			sysClose(fd)
			c.fd[i] = -1
		}
	}
	for i := range c.flows {
		c.flows[i].release(c.r)
	}
	if be := c.be; be != nil {
		be.mu.Lock()
		be.unqueue(c)
		if s := c.srv; s != nil {
			c.srv = nil
			be.releaseLocked(s)
		}
		be.mu.Unlock()
		be.stats.close()
	}
	if c.timerAt != 0 {
		c.r.timers.remove(c)
	}
	if c.reg {
		c.r.unregister(c)
	}
	state := c.state
	c.state = stClosed
	if c.lg != nil {
		if fn := c.r.p.connLog.Load(); fn != nil {
			c.logEnd(*fn, reason, state)
		}
	}
	c.r.p.connClosed(c, reason)
}
