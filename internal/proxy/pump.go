package proxy

import (
	"golang.org/x/sys/unix"
)

const (
	chunk      = 256 << 10 // bytes moved per splice(2) at most
	pipeSize   = 256 << 10 // F_SETPIPE_SZ; pages are only used while data is in flight
	bufSize    = 16 << 10  // copy fallback buffer
	pumpBudget = 16        // chunks per direction before yielding to other connections
	spareKept  = 64        // idle pipes or buffers a reactor keeps for reuse
)

// flow is one direction of a connection. Bytes in flight live in a pipe
// (splice mode) or a buffer (copy mode), each taken from the reactor's pool
// only while data is in flight: an idle connection holds neither.
type flow struct {
	pipe    pipe
	buf     *[bufSize]byte
	off     int // copy mode: start of unsent bytes in buf
	n       int // bytes in flight
	eof     bool
	shut    bool
	hasPipe bool
}

type pipe struct{ r, w int }

// pump moves bytes from side i to the other side until the source has
// nothing more, the destination is full (the other side's EPOLLOUT resumes
// it), the source ends, or the budget runs out (the reactor comes back).
func (c *conn) pump(i int) {
	f, r := &c.flows[i], c.r
	src, dst := c.fd[i], c.fd[1-i]
	splice := r.p.splice
	for budget := pumpBudget; ; {
		if f.n > 0 {
			var n int
			var err error
			if splice {
				var m int64
				m, err = unix.Splice(f.pipe.r, nil, dst, nil, f.n, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
				n = int(m)
			} else {
				n, err = unix.Write(dst, f.buf[f.off:f.off+f.n])
			}
			if n > 0 {
				f.n -= n
				f.off += n
				c.count(i, int64(n))
				c.lastAct = r.now
			}
			switch {
			case err == unix.EAGAIN:
				return
			case err == unix.EINTR:
				continue
			case err != nil:
				c.abort(reasonReset)
				return
			case f.n > 0:
				continue
			}
			f.release(r)
		}
		if f.eof {
			if !f.shut {
				f.shut = true
				if c.flows[1-i].shut {
					// Both directions are done: close(2) sends the FIN.
					c.close(reasonDone)
					return
				}
				unix.Shutdown(dst, unix.SHUT_WR)
				r.arm(c) // the half-closed timeouts may be shorter
			}
			return
		}
		if budget == 0 {
			r.markReady(c)
			return
		}
		budget--
		var n int
		var err error
		if splice {
			if !f.hasPipe {
				if f.pipe, err = r.pipes.get(); err != nil {
					c.abort(reasonResource)
					return
				}
				f.hasPipe = true
			}
			var m int64
			m, err = unix.Splice(src, nil, f.pipe.w, nil, chunk, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			n = int(m)
		} else {
			if f.buf == nil {
				f.buf = r.bufs.get()
			}
			f.off = 0
			n, err = unix.Read(src, f.buf[:])
		}
		switch {
		case err == unix.EAGAIN:
			f.release(r)
			return
		case err == unix.EINTR:
			continue
		case err != nil:
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

// count adds n relayed bytes of direction i to every counter concerned.
func (c *conn) count(i int, n int64) {
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
func (f *flow) release(r *reactor) {
	if f.hasPipe {
		if f.n > 0 {
			unix.Close(f.pipe.r)
			unix.Close(f.pipe.w)
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

// pipePool keeps a few empty pipes for reuse.
type pipePool struct{ free []pipe }

func (p *pipePool) get() (pipe, error) {
	if n := len(p.free); n > 0 {
		pp := p.free[n-1]
		p.free = p.free[:n-1]
		return pp, nil
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return pipe{}, err
	}
	unix.FcntlInt(uintptr(fds[1]), unix.F_SETPIPE_SZ, pipeSize) // best effort: 64 KiB otherwise
	return pipe{r: fds[0], w: fds[1]}, nil
}

func (p *pipePool) put(pp pipe) {
	if len(p.free) < spareKept {
		p.free = append(p.free, pp)
		return
	}
	unix.Close(pp.r)
	unix.Close(pp.w)
}

func (p *pipePool) closeAll() {
	for _, pp := range p.free {
		unix.Close(pp.r)
		unix.Close(pp.w)
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
