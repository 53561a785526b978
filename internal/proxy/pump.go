package proxy

import (
	"golang.org/x/sys/unix"

	"github.com/halo-lb/halo/internal/rawsock"
)

const (
	// pipeSize is asked with F_SETPIPE_SZ (pages are only used while data
	// is in flight): on loopback 1 MiB needs a third less CPU per byte
	// than 256 KiB. A process without CAP_SYS_RESOURCE may be refused
	// (fs.pipe-max-size, fs.pipe-user-pages-soft): then pipeSizeFallback,
	// then the kernel's 64 KiB.
	pipeSize         = 1 << 20
	pipeSizeFallback = 256 << 10
	chunk            = pipeSize // bytes moved per splice(2) at most
	bufSize          = 16 << 10 // copy mode buffer
	pumpBudget       = 8        // reads per direction before yielding to other connections
	spareKept        = 64       // idle pipes or buffers a reactor keeps for reuse
)

// flow is one direction of a connection, named after its source side.
// Bytes in flight live in a buffer (copy mode) or a pipe (splice mode),
// each taken from the reactor's pool only while data is in flight: an idle
// connection holds neither.
//
// A flow starts in copy mode: a short request or answer costs one
// recvfrom(2) and one sendto(2) (rawsock.Recv, Send), and a read that
// returns less than the buffer proves the socket empty (epoll(7)), which
// saves the read that would return EAGAIN. A read that fills the buffer suggests bulk data: the flow
// switches to splice(2), which moves pages without copying them, until a
// splice moves less than a buffer's worth.
type flow struct {
	pipe   pipe
	buf    *[bufSize]byte
	off    int  // copy mode: start of unsent bytes in buf
	n      int  // bytes in flight
	ready  bool // the source may hold bytes or its end: read it
	rdhup  bool // the source's peer shut down writing: drained means ended
	splice bool // read the source with splice(2)
	eof    bool // the source ended (bytes in flight are still sent)
	more   bool // bytes were sent with MSG_MORE after the end was known: the shutdown must follow at once
	shut   bool // the end is passed on: shutdown(2) or close
	// shutPending: shutdown(2) of the destination waits for the end of
	// the reactor's next turn (reactor.flushShutdowns).
	shutPending bool
	hasPipe     bool
}

type pipe struct{ r, w int }

// pump moves bytes from side i to the other side until the source has
// nothing more (the next event on it resumes), the destination is full (the
// other side's EPOLLOUT resumes it), the source ends, or the budget runs
// out (the reactor comes back).
func (c *conn) pump(i int) {
	f, r := &c.flows[i], c.r
	src := c.fd[i]
	for budget := pumpBudget; ; {
		if f.n > 0 {
			switch err := c.flush(i); {
			case err == unix.EAGAIN:
				return
			case err == unix.EINTR:
				continue
			case err != nil:
				c.noteReset(1 - i) // writing to the other side failed
				c.abort(reasonReset)
				return
			case f.n > 0:
				continue
			}
		}
		if f.eof {
			if !f.shut {
				f.shut = true
				if c.flows[1-i].shut {
					// Both directions are done: close(2) sends the FIN.
					c.close(reasonDone)
					return
				}
				if f.more {
					// The bytes wait for this FIN (flush): pass the end on now.
					sysShutdown(c.fd[1-i], unix.SHUT_WR)
				} else {
					f.shutPending = true
					r.deferShutdown(c)
				}
				r.arm(c) // the half-closed timeouts may be shorter
			}
			return
		}
		if !f.ready {
			return
		}
		if budget == 0 {
			r.markReady(c)
			return
		}
		budget--
		n, err := f.read(r, src)
		switch {
		case err == unix.EAGAIN:
			f.ready = false
			f.release(r)
			return
		case err == unix.EINTR:
			continue
		case err != nil:
			c.noteReset(i)
			c.abort(reasonReset)
			return
		case n == 0:
			f.eof = true
			f.release(r)
			c.lastAct = r.now
		default:
			f.n = n
		}
	}
}

// flush writes flow i's bytes in flight to the other side, once, and
// gives back the buffer or pipe when they are all sent.
func (c *conn) flush(i int) error {
	f := &c.flows[i]
	var n int
	var err error
	// When the source has already ended, its end follows these bytes at
	// once (pump): MORE lets the FIN ride in their last segment.
	switch {
	case f.hasPipe && f.eof:
		n, err = sysSpliceMore(f.pipe.r, c.fd[1-i], f.n)
	case f.hasPipe:
		n, err = sysSplice(f.pipe.r, c.fd[1-i], f.n)
	case f.eof:
		n, err = rawsock.SendMore(c.fd[1-i], f.buf[f.off:f.off+f.n])
	default:
		n, err = rawsock.Send(c.fd[1-i], f.buf[f.off:f.off+f.n])
	}
	if n > 0 && f.eof {
		f.more = true
	}
	if n > 0 {
		f.n -= n
		f.off += n
		c.count(i, int64(n))
		c.lastAct = c.r.now
		if f.n == 0 {
			f.release(c.r)
		}
	}
	return err
}

// read reads from src into a buffer or a pipe. A short read into the
// buffer empties the socket: the flow is not ready until the next event,
// or, when the peer already shut down, it has ended.
func (f *flow) read(r *reactor, src int) (int, error) {
	if f.splice && !f.hasPipe {
		if p, err := r.pipes.get(); err == nil {
			f.pipe, f.hasPipe = p, true
		} else {
			f.splice = false // out of descriptors: copy instead
		}
	}
	if f.splice {
		m, err := sysSplice(src, f.pipe.w, chunk)
		if m > 0 && m < bufSize {
			f.splice = false // small again; the pipe may hold fewer pages than the socket, so no conclusion
		}
		return int(m), err
	}
	if f.buf == nil {
		f.buf = r.bufs.get()
	}
	f.off = 0
	n, err := rawsock.Recv(src, f.buf[:])
	if n == bufSize {
		f.splice = r.p.splice
	} else if n > 0 {
		f.ready = false
		f.eof = f.rdhup
	}
	return n, err
}

// count adds n relayed bytes of direction i to every counter concerned.
func (c *conn) count(i int, n int64) {
	if c.lg != nil {
		c.lg.bytes[i] += n
	}
	if i == sideClient {
		c.fe.stats.bytesIn.Add(n)
		c.be.stats.bytesIn.Add(n)
		c.srv.stats.bytesIn.Add(n)
		return
	}
	c.fe.stats.bytesOut.Add(n)
	c.be.stats.bytesOut.Add(n)
	c.srv.stats.bytesOut.Add(n)
}

// release returns f's pipe or buffer to the reactor's pool. A pipe that
// still holds bytes (the connection is being closed) is destroyed instead.
// The flow stays in its mode (copy or splice) for its next read.
func (f *flow) release(r *reactor) {
	if f.hasPipe {
		if f.n > 0 {
			r.pipes.destroy(f.pipe)
		} else {
			r.pipes.put(f.pipe)
		}
		f.hasPipe = false
	}
	if f.buf != nil {
		r.bufs.put(f.buf)
		f.buf = nil
	}
	f.n, f.off = 0, 0
}

// pipePool keeps a few empty pipes for reuse; budget (pipes.go) bounds
// how many exist, nil = unlimited.
type pipePool struct {
	free   []pipe
	budget *pipeBudget
}

func (p *pipePool) get() (pipe, error) {
	if n := len(p.free); n > 0 {
		pp := p.free[n-1]
		p.free = p.free[:n-1]
		return pp, nil
	}
	if !p.budget.take() {
		return pipe{}, unix.EMFILE // maxpipes reached: the flow copies instead
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		p.budget.give()
		return pipe{}, err
	}
	if _, err := unix.FcntlInt(uintptr(fds[1]), unix.F_SETPIPE_SZ, pipeSize); err != nil {
		unix.FcntlInt(uintptr(fds[1]), unix.F_SETPIPE_SZ, pipeSizeFallback) // best effort
	}
	return pipe{r: fds[0], w: fds[1]}, nil
}

func (p *pipePool) put(pp pipe) {
	if len(p.free) < spareKept {
		p.free = append(p.free, pp)
		return
	}
	p.destroy(pp)
}

func (p *pipePool) closeAll() {
	for _, pp := range p.free {
		p.destroy(pp)
	}
	p.free = nil
}

// bufPool keeps a few copy buffers for reuse.
type bufPool struct{ free []*[bufSize]byte }

func (p *bufPool) get() *[bufSize]byte {
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	return new([bufSize]byte)
}

func (p *bufPool) put(b *[bufSize]byte) {
	if len(p.free) < spareKept {
		p.free = append(p.free, b)
	}
}

// spliceWorks reports whether splice(2) can move bytes between sockets here
// (it can on every Linux since 2.6.25; a seccomp filter may forbid it).
func spliceWorks() bool {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return false
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if _, err := unix.Write(fds[0], []byte{1}); err != nil {
		return false
	}
	n, err := unix.Splice(fds[1], nil, p[1], nil, 1, unix.SPLICE_F_NONBLOCK)
	return err == nil && n == 1
}
