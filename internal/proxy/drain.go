package proxy

import (
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// drainCheckEvery is how often a draining reactor looks for connections
// whose frontend address has left the host.
const drainCheckEvery = 100 * time.Millisecond

// stopping reports whether Serve's context is done: no connection may
// start, queue, connect or retry any more.
func (r *reactor) stopping() bool { return r.p.draining.Load() }

// drain runs on every loop turn once Serve stops. The first time, it ends
// the connections that have not reached a server yet (queued, connecting,
// waiting to retry): nothing was relayed for them, and waiting for them
// could take timeout queue or the retries' timeout connect. Then, every
// drainCheckEvery, it resets the relaying connections whose frontend
// address is no longer on the host (a VIP that VRRP released as part of the
// same stop): no segment can leave or reach them, so they could only end by
// timeout client. The others drain as usual, bounded by their timeouts.
func (r *reactor) drain() {
	if !r.drainStarted {
		r.drainStarted = true
		for _, c := range r.slots {
			if c != nil && c.state != stUp {
				c.close(reasonStopping)
			}
		}
	}
	if r.now < r.drainNext {
		return
	}
	r.drainNext = r.now + int64(drainCheckEvery)
	var gone map[netip.Addr]bool
	for _, c := range r.slots {
		if c == nil || c.state != stUp {
			continue
		}
		a := c.localAddr().Addr()
		if !a.IsValid() {
			continue
		}
		if gone == nil {
			gone = make(map[netip.Addr]bool)
		}
		g, ok := gone[a]
		if !ok {
			g = !r.p.addrIsLocal(a)
			gone[a] = g
		}
		if g {
			c.abort(reasonAddrGone)
		}
	}
}

// drainUntil bounds the reactor's wait (a monotime, -1 = none) while
// connections drain.
func (r *reactor) drainUntil(until int64) int64 {
	if !r.stopping() || r.live() == 0 {
		return until
	}
	if until < 0 || r.drainNext < until {
		return max(r.drainNext, 0)
	}
	return until
}

// live is the number of connections the reactor holds.
func (r *reactor) live() int { return len(r.slots) - len(r.free) }

// addrIsLocal reports whether a is assigned to this host, by binding a
// datagram socket to it. Only EADDRNOTAVAIL means no: when in doubt the
// connection is kept.
func addrIsLocal(a netip.Addr) bool {
	family := unix.AF_INET6
	var sa unix.Sockaddr = &unix.SockaddrInet6{Addr: a.As16()}
	if a.Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Addr: a.As4()}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return true
	}
	defer unix.Close(fd)
	return unix.Bind(fd, sa) != unix.EADDRNOTAVAIL
}
