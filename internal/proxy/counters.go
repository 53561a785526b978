package proxy

import "sync/atomic"

// counters are the live statistics of a frontend, backend or server.
type counters struct {
	cur, max, total   atomic.Int64
	bytesIn, bytesOut atomic.Int64 // in: from the client; out: to the client
	connErrors        atomic.Int64
	retries           atomic.Int64
	redispatches      atomic.Int64
	lbtot             atomic.Int64 // times the balancing algorithm picked it
}

func (c *counters) open() {
	n := c.cur.Add(1)
	c.total.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *counters) close() { c.cur.Add(-1) }

// Counters is a snapshot of one object's statistics, named after the
// columns of HAProxy's `show stat` CSV.
type Counters struct {
	Scur, Smax, Stot int64 // current, maximum, total sessions
	Bin, Bout        int64 // bytes from the client, bytes to the client
	Econ             int64 // connection errors to servers
	Wretr, Wredis    int64 // retries, redispatches
	Qcur, Qmax       int64 // queued connections now, at most
	LbTot            int64 // times picked by the balancing algorithm
}

func (c *counters) snapshot() Counters {
	return Counters{
		Scur: c.cur.Load(), Smax: c.max.Load(), Stot: c.total.Load(),
		Bin: c.bytesIn.Load(), Bout: c.bytesOut.Load(),
		Econ: c.connErrors.Load(), Wretr: c.retries.Load(), Wredis: c.redispatches.Load(),
		LbTot: c.lbtot.Load(),
	}
}

// clear resets the maximums (all false) or every counter (all true),
// as `clear counters [all]`; the current session count stays true.
func (c *counters) clear(all bool) {
	c.max.Store(c.cur.Load())
	if !all {
		return
	}
	for _, v := range []*atomic.Int64{&c.total, &c.bytesIn, &c.bytesOut, &c.connErrors, &c.retries, &c.redispatches, &c.lbtot} {
		v.Store(0)
	}
}
