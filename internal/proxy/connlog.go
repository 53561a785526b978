package proxy

import (
	"net/netip"
	"time"
)

// ConnLog is what the proxy tells the connection log about one connection
// of a frontend that has `log` targets: at its end with `option tcplog`
// (HAProxy's TCP log line), else at its accept. The fields are the ones of
// HAProxy's TCP log format; durations are -1 for a step never reached.
type ConnLog struct {
	Accept   bool // a line at accept (no tcplog): Client, Local, Frontend and Start only
	Frontend string
	Backend  string // "" when there is none
	Server   string // "" when no server was reached (<NOSRV>)
	Client   netip.AddrPort
	Local    netip.AddrPort // only with Accept
	Start    time.Time      // accept date
	Tw       time.Duration  // waiting in the queue
	Tc       time.Duration  // connecting to the server
	Tt       time.Duration  // the whole session
	BytesOut int64          // sent to the client
	BytesIn  int64          // received from the client
	Term     [2]byte        // termination state: who or what ended it, and at which step
	ActConn  int64          // connections open in the process, this frontend, backend and server at the end
	FeConn   int64
	BeConn   int64
	SrvConn  int64
	Retries  int
}

// SetConnLogger installs fn as the receiver of connection log records; nil
// stops them. fn runs on a reactor: it must hand the record over without
// blocking (the daemon's log part queues it and drops when full).
func (p *Proxy) SetConnLogger(fn func(*ConnLog)) {
	if fn == nil {
		p.connLog.Store(nil)
		return
	}
	p.connLog.Store(&fn)
}

// wallClock turns a reactor time (monotonic ns since epoch) into a date.
func wallClock(mono int64) time.Time { return epoch.Add(time.Duration(mono)) }

// connLogState is what a connection of a tcplog frontend keeps for its
// line: reactor times of the accept, the first connect and the connection
// to the server; bytes relayed per direction; the side that reset; the
// server last tried.
type connLogState struct {
	acceptAt, connAt, upAt int64
	bytes                  [2]int64
	resetBy                int8
	srv                    *server
}

func (c *conn) noteReset(side int) {
	if c.lg != nil {
		c.lg.resetBy = int8(side)
	}
}

// logAccept reports a connection at its accept when its frontend logs
// without tcplog.
func (c *conn) logAccept(fn func(*ConnLog), now int64) {
	fn(&ConnLog{Accept: true, Frontend: c.fe.cfg.Name, Client: c.src, Local: c.localAddr(), Start: wallClock(now)})
}

// logEnd reports a connection at its end (tcplog).
func (c *conn) logEnd(fn func(*ConnLog), reason string, state connState) {
	lg := c.lg
	if c.fe.cfg.DontLogNull && lg.bytes[sideClient] == 0 {
		return
	}
	now := c.r.now
	rec := &ConnLog{
		Frontend: c.fe.cfg.Name, Client: c.src, Start: wallClock(lg.acceptAt),
		Tw: -1, Tc: -1, Tt: time.Duration(now - lg.acceptAt),
		BytesOut: lg.bytes[sideServer], BytesIn: lg.bytes[sideClient],
		Term: termination(reason, state, lg.resetBy), FeConn: c.fe.stats.cur.Load(),
		Retries: max(c.attempts-1, 0),
	}
	if g := c.r.p.gate.global; g != nil {
		rec.ActConn = g.cur.Load()
	}
	if c.be != nil {
		rec.Backend = c.be.conf().Name
		rec.BeConn = c.be.stats.cur.Load()
	}
	if s := lg.srv; s != nil {
		rec.Server = s.conf().Name
		rec.SrvConn = s.stats.cur.Load()
	}
	if lg.connAt != 0 {
		rec.Tw = time.Duration(lg.connAt - lg.acceptAt)
	}
	if lg.upAt != 0 {
		rec.Tc = time.Duration(lg.upAt - lg.connAt)
	}
	fn(rec)
}

// termination is HAProxy's two-letter termination state: the first says
// what ended the session (C client, S server, P proxy, R resource, K
// killed, c/s client/server timeout, - normal), the second at which step
// (R before a server was chosen, Q queued, C connecting, D data, - normal).
func termination(reason string, state connState, resetBy int8) [2]byte {
	if reason == reasonDone {
		return [2]byte{'-', '-'}
	}
	var who byte
	switch reason {
	case reasonIdle:
		who = 'c'
	case reasonQueueTimeout:
		who = 's'
	case reasonReset:
		who = 'C'
		if resetBy == sideServer {
			who = 'S'
		}
	case reasonConnectFailed, reasonNoServer:
		who = 'S'
	case reasonNoBackend, reasonStopping, reasonAddrGone:
		who = 'P'
	case reasonResource:
		who = 'R'
	case reasonHardStop, reasonShutdown:
		who = 'K'
	default:
		who = 'P'
	}
	step := byte('D')
	switch state {
	case stNew:
		step = 'R'
	case stQueued:
		step = 'Q'
	case stConnecting, stRetryWait:
		step = 'C'
	}
	if reason == reasonNoServer || reason == reasonConnectFailed {
		step = 'C'
	}
	return [2]byte{who, step}
}
