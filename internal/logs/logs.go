// Package logs sends halo's log lines to the `log` targets of haproxy.cfg:
// syslog over a unix datagram socket (/dev/log) or UDP, or stdout/stderr,
// in the formats HAProxy names (rfc3164, rfc5424, short, raw, ...). Two
// kinds of lines go there: the connection log of frontends with `log`
// targets (HAProxy's TCP log format with `option tcplog`, a "Connect from"
// line otherwise), and halo's event lines (server UP/DOWN, VRRP
// transitions, reloads, runtime API changes) to the global targets.
//
// Nothing here may slow the proxy: connection records are queued without
// blocking and formatted by the Router's own goroutine; every target has a
// bounded queue and a writer of its own; a full queue drops the line and
// counts it (DroppedLogs in `show info`).
package logs

import (
	"context"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/proxy"
)

// Levels, as syslog numbers them.
const (
	LevelErr     = 3
	LevelWarning = 4
	LevelNotice  = 5
	LevelInfo    = 6
	LevelDebug   = 7
)

// queueLen bounds each target's queue and the connection record queue.
const queueLen = 8192

// Router owns the targets of one configuration and routes lines to them.
type Router struct {
	errLog *slog.Logger // where halo reports a target it cannot reach (stderr)
	pid    int

	mu        sync.Mutex
	sinks     map[sinkKey]*sink
	global    atomic.Pointer[[]*sink]
	frontends atomic.Pointer[map[string][]*sink]
	header    atomic.Pointer[header]

	conns   chan *proxy.ConnLog
	Dropped atomic.Int64 // lines dropped because a queue was full
	Sent    atomic.Int64 // lines handed to a target's writer
}

// header is what the syslog formats put before the text.
type header struct {
	tag  string
	host string // "" = none
}

// New returns a Router with no targets; errLog receives halo's own
// reports about targets (never routed to the targets themselves).
func New(errLog *slog.Logger) *Router {
	r := &Router{errLog: errLog, pid: os.Getpid(), sinks: map[sinkKey]*sink{}, conns: make(chan *proxy.ConnLog, queueLen)}
	r.header.Store(&header{tag: "halo"})
	r.global.Store(&[]*sink{})
	r.frontends.Store(&map[string][]*sink{})
	return r
}

// Apply makes the targets those of cfg (nil = none). A target unchanged
// since the last Apply keeps its socket and queue.
func (r *Router) Apply(cfg *haproxy.Config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	used := map[sinkKey]bool{}
	get := func(t haproxy.LogTarget) *sink {
		k := keyOf(t)
		used[k] = true
		s := r.sinks[k]
		if s == nil {
			s = newSink(t, r)
			r.sinks[k] = s
		}
		return s
	}
	var global []*sink
	fes := map[string][]*sink{}
	h := &header{tag: "halo"}
	if cfg != nil {
		for _, t := range cfg.Global.Logs {
			global = append(global, get(t))
		}
		for _, fe := range cfg.Frontends {
			for _, t := range fe.Logs {
				fes[fe.Name] = append(fes[fe.Name], get(t))
			}
		}
		if cfg.Global.LogTag != "" {
			h.tag = cfg.Global.LogTag
		}
		switch cfg.Global.LogHostname {
		case "":
		case "-":
			h.host, _ = os.Hostname()
		default:
			h.host = cfg.Global.LogHostname
		}
	}
	r.header.Store(h)
	r.global.Store(&global)
	r.frontends.Store(&fes)
	for k, s := range r.sinks {
		if !used[k] {
			s.close()
			delete(r.sinks, k)
		}
	}
}

// LogConn queues a connection record; it never blocks (a full queue drops
// the record and counts it). Pass it to proxy.SetConnLogger.
func (r *Router) LogConn(c *proxy.ConnLog) {
	select {
	case r.conns <- c:
	default:
		r.Dropped.Add(1)
	}
}

// Run formats queued connection records until ctx is done, then closes
// every target after its queue is written.
func (r *Router) Run(ctx context.Context) error {
	for {
		select {
		case c := <-r.conns:
			r.conn(c)
		case <-ctx.Done():
		drain:
			for {
				select {
				case c := <-r.conns:
					r.conn(c)
				default:
					break drain
				}
			}
			r.Apply(nil)
			return nil
		}
	}
}

func (r *Router) conn(c *proxy.ConnLog) {
	sinks := (*r.frontends.Load())[c.Frontend]
	if len(sinks) == 0 {
		return
	}
	var text string
	if c.Accept {
		text = FormatConnect(c)
	} else {
		text = FormatTCP(c)
	}
	at := c.Start
	if !c.Accept {
		at = c.Start.Add(c.Tt)
	}
	for _, s := range sinks {
		s.push(entry{level: LevelInfo, at: at, text: text})
	}
}

// Event sends an event line to the global targets.
func (r *Router) Event(level int, at time.Time, text string) {
	for _, s := range *r.global.Load() {
		s.push(entry{level: level, at: at, text: text})
	}
}

// hasGlobal reports whether event lines go anywhere.
func (r *Router) hasGlobal() bool { return len(*r.global.Load()) > 0 }

// entry is one line waiting for its target's writer.
type entry struct {
	level int
	at    time.Time
	text  string
}

type sinkKey struct {
	network, address, format string
	facility, min, max, len  int
}

func keyOf(t haproxy.LogTarget) sinkKey {
	return sinkKey{t.Network, t.Address, t.Format, t.Facility, t.MinLevel, t.MaxLevel, t.Len}
}

// sink is one target: a queue and the goroutine that writes it.
type sink struct {
	t    haproxy.LogTarget
	r    *Router
	ch   chan entry
	done chan struct{}
	once sync.Once
}

func newSink(t haproxy.LogTarget, r *Router) *sink {
	s := &sink{t: t, r: r, ch: make(chan entry, queueLen), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *sink) push(e entry) {
	if e.level > s.t.MaxLevel {
		return
	}
	if e.level < s.t.MinLevel {
		e.level = s.t.MinLevel
	}
	select {
	case s.ch <- e:
	default:
		s.r.Dropped.Add(1)
	}
}

func (s *sink) close() {
	s.once.Do(func() { close(s.ch) })
	<-s.done
}

// run writes the queue. A socket that cannot be reached is reported once
// when it starts failing and once when it works again, not per line.
func (s *sink) run() {
	defer close(s.done)
	var conn net.Conn
	failing := false
	var buf []byte
	for e := range s.ch {
		h := s.r.header.Load()
		buf = appendLine(buf[:0], s.t, h, s.r.pid, e)
		var err error
		switch s.t.Network {
		case "stdout":
			_, err = os.Stdout.Write(append(buf, '\n'))
		case "stderr":
			_, err = os.Stderr.Write(append(buf, '\n'))
		default:
			if conn == nil {
				conn, err = net.DialTimeout(s.t.Network, s.t.Address, time.Second)
			}
			if err == nil {
				if _, err = conn.Write(buf); err != nil {
					conn.Close()
					conn = nil
				}
			}
		}
		if err != nil {
			s.r.Dropped.Add(1)
			if !failing {
				failing = true
				s.r.errLog.Warn("log target unreachable; its lines are dropped until it answers", "target", s.t.Written, "line", s.t.Line, "err", err)
			}
			continue
		}
		s.r.Sent.Add(1)
		if failing {
			failing = false
			s.r.errLog.Info("log target reachable again", "target", s.t.Written)
		}
	}
	if conn != nil {
		conn.Close()
	}
}
