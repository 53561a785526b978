package proxy

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// maxAccept bounds the connections a reactor accepts per listener event,
// so that a long backlog does not keep it from the connections it owns: the
// listener is watched level-triggered and stays ready while its backlog
// holds more. (It does not spread a burst over the reactors: a busy
// reactor comes back to the ready listener first. pick does that.)
const maxAccept = 16

// acceptFrom accepts from l's backlog, up to maxAccept connections, and
// starts them on r, or on a reactor that holds clearly fewer connections
// (pick). A slot of the frontend's and of the global maxconn is taken
// before each accept(2); at a limit, l is paused (gate.take) and the
// clients wait in the backlog.
func (r *reactor) acceptFrom(l *listener) {
	g := &r.p.gate
	if l.gone.Load() {
		return // removed by a reload; its event was already queued
	}
	fe := l.fe.Load()
	for range maxAccept {
		if g.off.Load() || !g.admit(l) || !g.take(l, fe) { // admit: maxconnrate (ratelimit.go)
			return
		}
		fd, src, err := accept4(l.fd, &r.rsa)
		if err == nil {
			r.accepted(fe, fd, src)
			continue
		}
		g.release(fe)
		switch err {
		case unix.EAGAIN:
			if g.rate != nil {
				g.rate.refund() // nobody was waiting: the accept did not happen
			}
			return
		case unix.ECONNABORTED, unix.EINTR:
			continue
		}
		// EMFILE, ENFILE, ENOBUFS, ENOMEM: rest instead of spinning on a
		// level-triggered listener.
		r.p.log.Warn("accept failed", "frontend", fe.cfg.Name, "err", err)
		g.pause(l, true)
		return
	}
}

// accepted starts a new client connection on r.
func (r *reactor) accepted(fe *frontend, fd int, src netip.AddrPort) {
	r.p.live.Add(1)
	fe.stats.open()
	if fe.be != nil {
		fe.be.stats.open()
	}
	c := &conn{r: r, fe: fe, be: fe.be, fd: [2]int{fd, -1}, src: src}
	if len(fe.cfg.Logs) > 0 {
		if fn := r.p.connLog.Load(); fn != nil {
			if fe.cfg.TCPLog {
				c.lg = &connLogState{acceptAt: r.now, resetBy: -1}
			} else {
				c.logAccept(*fn, r.now)
			}
		}
	}
	// Most clients send at once: try to read before epoll says so, and
	// pass the bytes on with the connect (conn.early).
	c.flows[sideClient].ready = true
	if to := r.pick(); to != r {
		c.r = to
		to.load.Add(1)
		to.post(c)
		return
	}
	r.load.Add(1)
	c.start()
}

// pick chooses the reactor that will own a connection r accepted: r
// itself, unless another reactor holds clearly fewer connections. The
// listeners wake one reactor (EPOLLEXCLUSIVE), and one that is busy goes
// on accepting what arrived meanwhile, so a burst of long-lived
// connections (a client pool opening 50 keep-alive connections at once)
// would otherwise land on one reactor while the other idles: measured, 49
// of 50 on one, and a 20 % lower request rate than with 25 each. Handing a
// connection over costs a lock and, at most once per turn, an eventfd
// write; the slack keeps reactors that are about even from trading
// connections back and forth.
func (r *reactor) pick() *reactor {
	if len(r.peers) < 2 {
		return r
	}
	n := r.load.Load()
	best, least := r, n
	for _, o := range r.peers {
		if l := o.load.Load(); l < least {
			best, least = o, l
		}
	}
	if n-least > max(2, n/8) {
		return best
	}
	return r
}
