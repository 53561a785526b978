package health

import (
	"context"
	"crypto/tls"

	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/rawsock"
)

// session is one probe: at most one open connection, the input buffer,
// the position in the check's rules and the deadlines. It runs in one of
// two ways:
//   - blocking (loop == nil): on a net.Conn, from probe, which the
//     scheduler calls on a goroutine of its own for TLS checks and host
//     names;
//   - on the scheduler's event loop: on a non-blocking socket; a step that
//     would block returns and advance says the check is not done, and the
//     loop calls advance again when the socket is ready or the deadline
//     has passed (expired), where the waiting step fails with its timeout.
//
// advance resumes where it stopped, so every bit of progress lives in the
// session: the rule (pc), a connect or send under way, the buffer.
type session struct {
	p     *prober
	ctx   context.Context // blocking: cuts the probe short at shutdown
	start time.Time
	addr  netip.AddrPort
	buf   []byte // input kept across consecutive expects; a slice of rbuf
	rbuf  *[]byte
	eof   bool
	head  bool // the last HTTP request was a HEAD: its answer has no body

	// blocking
	conn net.Conn
	stop func() bool // detaches the ctx watcher from conn

	// event loop
	loop       *Scheduler
	owner      *Checker
	fd         int       // -1: none
	gen        uint32    // bumped for every socket, so stale events are told apart
	events     uint32    // the epoll events that woke the session
	deadline   time.Time // of the step under way
	expired    bool      // deadline passed
	connecting bool      // a connect is under way on fd
	unwatched  bool      // fd is not in the epoll set yet (Scheduler.later)
	sending    bool      // out is being written
	out        []byte    // what the send under way has yet to write

	// position in the rules
	pc     int    // next rule; -1 is tcp-check's implicit first connect
	layer7 bool   // tcp-check: a send or an expect ran
	last   Result // tcp-check: the last connect; httpchk: the latest passing expect
	resp   response
	fresh  bool // httpchk: resp must be parsed again (a send happened)
}

// bufPool holds the response buffers of the probes under way: a probe
// takes one when it first reads and gives it back when it ends, so that
// thousands of servers do not keep 16 KiB each.
var bufPool = sync.Pool{New: func() any { b := make([]byte, maxResponse); return &b }}

func (p *prober) newSession(loop *Scheduler) *session {
	s := new(session)
	p.initSession(s, loop)
	return s
}

// initSession makes s a new probe's session; the loop reuses one per
// Checker.
func (p *prober) initSession(s *session, loop *Scheduler) {
	*s = session{p: p, ctx: context.Background(), start: time.Now(), loop: loop, fd: -1}
	if p.kind == haproxy.CheckSeq && (len(p.steps) == 0 || p.steps[0].Action != "connect") {
		s.pc = -1
	}
}

// ioState says how a step that reads or writes went.
type ioState int

const (
	ioDone    ioState = iota // done (a read may have found the end: eof)
	ioWait                   // would block: advance returns, the loop calls again
	ioTimeout                // the deadline passed
)

// advance runs the check from where it stopped until it ends (done) or,
// on the event loop, until it must wait.
func (s *session) advance() (r Result, done bool) {
	if s.p.setupErr != "" {
		return fail(CodeSockErr, "%s", s.p.setupErr), true
	}
	switch s.p.kind {
	case haproxy.CheckSeq:
		return s.tcpCheck()
	case haproxy.CheckHTTP:
		return s.httpCheck()
	default:
		r, wait := s.dial(dialOpts{tls: s.p.tls})
		return r, !wait
	}
}

// connected reports whether the session has a connection open.
func (s *session) connected() bool { return s.conn != nil || s.fd >= 0 }

// dial connects to the check address (o.addr and o.port override the
// check address and port when set) and, with o.tls, completes a TLS
// handshake, offering o.sni and o.alpn. Any previous connection of the
// session is closed first. The result is L4OK or L6OK on success; wait
// says the connect is under way on the loop.
func (s *session) dial(o dialOpts) (r Result, wait bool) {
	if s.loop == nil {
		return s.dialBlocking(o), false
	}
	if s.connecting {
		return s.connectDone()
	}
	s.close()
	connectTimeout, readTimeout := s.p.timeouts()
	s.deadline = s.start.Add(connectTimeout)
	if readTimeout > 0 {
		s.deadline = time.Now().Add(connectTimeout)
	}
	host, keep := s.p.host, true
	if o.addr != "" {
		host, keep = o.addr, false
	}
	ip, err := s.p.resolveHost(s.ctx, host, keep) // an IP literal: onLoop says so
	if err != nil {
		return fail(CodeSockErr, "%v", err), false
	}
	port := o.port
	if port == 0 {
		port = s.p.port
	}
	s.addr = netip.AddrPortFrom(ip, uint16(port))
	fd, err := rawsock.Dial(s.addr, false)
	if err != nil {
		return s.connectFailed(err), false
	}
	s.fd = fd
	s.events = 0
	s.connecting = true
	if s.p.kind == haproxy.CheckTCP {
		// Nothing follows the connect: the loop first asks the socket
		// itself, later in this turn (on loopback and nearby servers the
		// handshake is done by then), and only watches it if not.
		s.unwatched = true
		s.loop.later = append(s.loop.later, s)
		return Result{}, true
	}
	if err := s.loop.watch(s); err != nil {
		s.connecting = false
		return s.connectFailed(err), false
	}
	return Result{}, true
}

// connectDone judges a connect under way on the loop when the socket
// reports an event or the deadline passed.
func (s *session) connectDone() (Result, bool) {
	ev := s.events
	switch {
	case ev&(unix.EPOLLERR|unix.EPOLLHUP) != 0:
		err := sysSocketError(s.fd)
		if err == 0 {
			err = unix.ECONNRESET
		}
		s.connecting = false
		return s.connectFailed(err), false
	case ev&unix.EPOLLOUT == 0:
		if s.expired {
			s.connecting = false
			return fail(CodeL4Timeout, ""), false
		}
		return Result{}, true // not this socket's event yet
	}
	s.connecting = false
	if _, readTimeout := s.p.timeouts(); readTimeout > 0 {
		s.deadline = time.Now().Add(readTimeout)
	}
	s.buf, s.eof = s.buf[:0], false
	return pass(CodeL4OK, ""), false
}

func (s *session) connectFailed(err error) Result {
	if localShortage(err) {
		return Result{Code: CodeSockErr, Local: true, Reason: CodeSockErr.String() + ": " + errText(err) + " (on this host: the server is not judged)"}
	}
	return fail(CodeL4Con, "%s", errText(err))
}

func (s *session) dialBlocking(o dialOpts) Result {
	s.close()
	connectTimeout, readTimeout := s.p.timeouts()
	deadline := s.start.Add(connectTimeout)
	if readTimeout > 0 {
		deadline = time.Now().Add(connectTimeout)
	}
	ctx, cancel := context.WithDeadline(s.ctx, deadline)
	defer cancel()

	host, keep := s.p.host, true
	if o.addr != "" {
		host, keep = o.addr, false
	}
	ip, err := s.p.resolveHost(ctx, host, keep)
	if err != nil {
		if ctx.Err() != nil && s.ctx.Err() == nil {
			return fail(CodeL4Timeout, "resolving %q", host)
		}
		return fail(CodeSockErr, "%v", err)
	}
	port := o.port
	if port == 0 {
		port = s.p.port
	}
	s.addr = netip.AddrPortFrom(ip, uint16(port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr.String())
	if err != nil {
		if isTimeout(err) || ctx.Err() != nil {
			return fail(CodeL4Timeout, "")
		}
		return s.connectFailed(err)
	}
	s.conn = conn
	s.stop = context.AfterFunc(s.ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	ioDeadline := deadline
	if readTimeout > 0 {
		ioDeadline = time.Now().Add(readTimeout)
	}
	conn.SetDeadline(ioDeadline)
	s.buf, s.eof = s.buf[:0], false
	if !o.tls {
		return pass(CodeL4OK, "")
	}
	tc := tls.Client(conn, &tls.Config{
		InsecureSkipVerify: true, // halo never verifies check certificates
		ServerName:         o.sni,
		NextProtos:         http1Protos(o.alpn),
	})
	s.conn = tc
	if err := tc.HandshakeContext(s.ctx); err != nil {
		if isTimeout(err) {
			return fail(CodeL6Timeout, "")
		}
		return fail(CodeL6Rsp, "SSL handshake failure: %s", errText(err))
	}
	return pass(CodeL6OK, "")
}

// send writes data on the connection; on the loop a write that cannot be
// completed now waits (ioWait) and is resumed by the next call.
func (s *session) send(data []byte) (ioState, error) {
	if s.loop == nil {
		if _, err := s.conn.Write(data); err != nil {
			if isTimeout(err) {
				return ioTimeout, err
			}
			return ioDone, err
		}
		return ioDone, nil
	}
	if !s.sending {
		s.sending, s.out = true, data
	}
	for len(s.out) > 0 {
		n, err := rawsock.Send(s.fd, s.out)
		switch err {
		case nil:
			s.out = s.out[n:]
		case unix.EINTR:
		case unix.EAGAIN:
			if s.expired {
				s.sending = false
				return ioTimeout, os.ErrDeadlineExceeded
			}
			return ioWait, nil
		default:
			s.sending = false
			return ioDone, err
		}
	}
	s.sending = false
	return ioDone, nil
}

// fill reads more of the response into s.buf, up to maxResponse. EOF and
// read errors set s.eof.
func (s *session) fill() ioState {
	if s.rbuf == nil {
		s.rbuf = bufPool.Get().(*[]byte)
	}
	if s.buf == nil {
		s.buf = (*s.rbuf)[:0]
	}
	room := s.buf[len(s.buf):cap(s.buf)]
	if s.loop == nil {
		n, err := s.conn.Read(room)
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			if isTimeout(err) && s.ctx.Err() == nil {
				return ioTimeout
			}
			s.eof = true
		}
		return ioDone
	}
	for {
		n, err := rawsock.Recv(s.fd, room)
		switch {
		case err == nil:
			s.buf = s.buf[:len(s.buf)+n]
			s.eof = s.eof || n == 0
			return ioDone
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			if s.expired {
				return ioTimeout
			}
			return ioWait
		default:
			s.eof = true
			return ioDone
		}
	}
}

// full reports whether the response buffer cannot take more.
func (s *session) full() bool { return s.buf != nil && len(s.buf) == cap(s.buf) }

// close closes the session's connection, if any; the loop's sockets are
// reset, as HAProxy ends its check connections.
func (s *session) close() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	if s.fd >= 0 {
		sysAbort(s.fd) // closing removes it from the epoll set
		s.fd = -1
	}
	s.connecting, s.sending, s.out, s.unwatched = false, false, nil, false
}

// end closes the session and gives its buffer back.
func (s *session) end() {
	s.close()
	if s.rbuf != nil {
		s.buf, s.resp = nil, response{}
		bufPool.Put(s.rbuf)
		s.rbuf = nil
	}
}
