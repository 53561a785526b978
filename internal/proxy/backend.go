package proxy

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/balance"
	"github.com/halo-lb/halo/internal/config/haproxy"
)

// AdminState is a server's administrative state, as set by the runtime API
// (`set server B/S state ready|drain|maint`).
type AdminState int

const (
	Ready AdminState = iota // takes connections when healthy
	Drain                   // keeps its connections, takes no new ones
	Maint                   // maintenance: takes nothing, health ignored
)

func (a AdminState) String() string {
	switch a {
	case Drain:
		return "drain"
	case Maint:
		return "maint"
	}
	return "ready"
}

// backend is the runtime state of a configured backend. It lives as long
// as a backend of its name is configured: a reload updates it in place
// (reconfigure), so its servers keep their state and the connections that
// hold it keep working.
type backend struct {
	cfg   atomic.Pointer[haproxy.Backend] // read with conf(); replaced by a reload
	stats counters
	mu    sync.Mutex // guards everything below and server fields marked so

	servers []*server // in configuration order
	byName  map[string]*server
	sel     balance.Selector
	set     balance.Set
	setSrv  []*server // set.Servers[i] is setSrv[i]
	queue   []*conn   // FIFO of connections waiting for a slot
	qmax    int64
	anyWait int // queued connections that may take any server

	// status history for the stats: the backend is DOWN while its
	// selection set is empty
	down       bool
	lastChange time.Time
	downSince  time.Time
	downtime   time.Duration
	chkDown    int64

	// slowstart (slowstart.go)
	wscale    int              // balance.WeightScale of the algorithm
	now       func() time.Time // time.Now; a test double replaces it
	rampTimer *time.Timer      // armed while a server ramps
	rampSeq   uint64           // identifies the live rampTimer
}

// server is the runtime state of a configured server. Like its backend it
// outlives a reload that keeps its name.
type server struct {
	cfg   atomic.Pointer[haproxy.Server] // read with conf(); replaced by a reload
	be    *backend
	stats counters
	addr  atomic.Pointer[netip.Addr] // nil while a name does not resolve
	port  atomic.Int32               // `set server B/S addr A port P`; 0 = the configured port

	// guarded by be.mu
	removed    bool // gone from the configuration: its connections finish, it takes no new ones
	maxconn    int  // configured or `set maxconn server`; 0 = unlimited
	lastChange time.Time
	downSince  time.Time // zero while usable
	downtime   time.Duration
	up         bool
	upSince    time.Time // start of the slowstart ramp; zero when not ramping
	admin      AdminState
	weight     int // configured or `set weight`
	eweight    int // effective: weight × be.wscale, ramped during slowstart
	emaxconn   int // effective maxconn, ramped during slowstart; 0 = unlimited
	conns      int
	setIdx     int // index in be.set.Servers, -1 when not usable
	nwait      int // queued connections bound to this server
	qmax       int64
}

func newBackend(cfg *haproxy.Backend) (*backend, error) {
	if err := checkBackend(cfg); err != nil {
		return nil, err
	}
	sel, err := balance.New(string(cfg.Balance.Algorithm), string(cfg.Balance.HashType))
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", cfg.Name, err)
	}
	b := &backend{
		sel:        sel,
		byName:     make(map[string]*server, len(cfg.Servers)),
		wscale:     balance.WeightScale(string(cfg.Balance.Algorithm), string(cfg.Balance.HashType)),
		now:        time.Now,
		lastChange: time.Now(),
	}
	b.cfg.Store(cfg)
	for _, sc := range cfg.Servers {
		s := newServer(b, sc)
		b.servers = append(b.servers, s)
		b.byName[sc.Name] = s
	}
	b.refresh(b.now()) // no server ramps at start: effective = configured
	b.rebuild()
	return b, nil
}

// checkBackend refuses what the proxy cannot run: duplicate server names,
// weights out of range.
func checkBackend(cfg *haproxy.Backend) error {
	seen := make(map[string]bool, len(cfg.Servers))
	for _, sc := range cfg.Servers {
		if seen[sc.Name] {
			return fmt.Errorf("backend %q: duplicate server %q", cfg.Name, sc.Name)
		}
		seen[sc.Name] = true
		if sc.Weight < 0 || sc.Weight > 256 {
			return fmt.Errorf("backend %q server %q: weight %d out of range 0..256", cfg.Name, sc.Name, sc.Weight)
		}
	}
	return nil
}

func newServer(b *backend, sc *haproxy.Server) *server {
	s := &server{be: b, up: true, weight: sc.Weight, maxconn: sc.MaxConn, setIdx: -1, lastChange: time.Now()}
	s.cfg.Store(sc)
	if sc.Disabled {
		s.admin = Maint
	}
	s.setHost(sc.Host)
	return s
}

// setHost points s at host: an IP literal at once; a name is left to the
// resolver loop (nil address until it resolves).
func (s *server) setHost(host string) {
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		s.addr.Store(&a)
		return
	}
	s.addr.Store(nil)
}

func (b *backend) conf() *haproxy.Backend { return b.cfg.Load() }
func (s *server) conf() *haproxy.Server   { return s.cfg.Load() }

// queueTimeout is how long a connection may wait for a server slot.
func (b *backend) queueTimeout() time.Duration {
	c := b.conf()
	if c.Timeouts.Queue > 0 {
		return c.Timeouts.Queue
	}
	return c.Timeouts.Connect // configuration.txt: timeout queue defaults to timeout connect
}

// usable reports whether s may take new connections. Guarded by be.mu.
func (s *server) usable() bool {
	return s.up && s.admin == Ready && s.weight > 0 && !s.removed
}

func (s *server) full() bool { return s.emaxconn > 0 && s.conns >= s.emaxconn }

// rebuild recomputes the selection set after a health, admin or weight
// change: the usable non-backup servers, or when there is none the first
// usable backup (every usable backup with `option allbackups`).
// Called with b.mu held (or before the backend is shared).
func (b *backend) rebuild() {
	b.set.Servers = b.set.Servers[:0]
	b.setSrv = b.setSrv[:0]
	for _, s := range b.servers {
		s.setIdx = -1
	}
	add := func(s *server) {
		s.setIdx = len(b.setSrv)
		b.setSrv = append(b.setSrv, s)
		b.set.Servers = append(b.set.Servers, balance.Server{
			ID: len(b.set.Servers), Name: s.conf().Name, Weight: s.eweight, Conns: s.conns, MaxConn: s.emaxconn,
		})
	}
	for _, s := range b.servers {
		if !s.conf().Backup && s.usable() {
			add(s)
		}
	}
	if len(b.setSrv) == 0 {
		for _, s := range b.servers {
			if s.conf().Backup && s.usable() {
				add(s)
				if !b.conf().AllBackups {
					break
				}
			}
		}
	}
	// IDs are positions in config order so that algorithms keyed by ID
	// (round-robin credit) follow a server, not a slot.
	for i, s := range b.setSrv {
		b.set.Servers[i].ID = b.index(s)
	}
	b.set.Gen++
	now := time.Now()
	if down := len(b.setSrv) == 0; down != b.down {
		b.down, b.lastChange = down, now
		if down {
			b.downSince = now
			b.chkDown++
		} else {
			b.downtime += now.Sub(b.downSince)
		}
	}
	for _, s := range b.servers {
		s.noteUsable(s.usable(), now)
	}
}

// noteUsable keeps the last-change time and the downtime of s. Guarded by
// be.mu.
func (s *server) noteUsable(usable bool, now time.Time) {
	down := !usable
	if down == !s.downSince.IsZero() {
		return
	}
	s.lastChange = now
	if down {
		s.downSince = now
	} else {
		s.downtime += now.Sub(s.downSince)
		s.downSince = time.Time{}
	}
}

func (b *backend) index(s *server) int {
	for i, t := range b.servers {
		if t == s {
			return i
		}
	}
	return -1
}

func (s *server) setConns(n int) {
	s.conns = n
	if s.setIdx >= 0 {
		s.be.set.Servers[s.setIdx].Conns = n
	}
}

// take binds c to s. Called with b.mu held.
func (s *server) take() {
	s.setConns(s.conns + 1)
	s.stats.open()
}

// picked counts a choice of the balancing algorithm (lbtot). Called with
// b.mu held.
func (s *server) picked() {
	s.stats.lbtot.Add(1)
	s.be.stats.lbtot.Add(1)
}

// outcome of assign.
const (
	assigned = iota
	queued
	refused
)

// assign picks a server for c: it either binds c.srv, queues c (the caller
// arms the queue timeout) or refuses it. avoid, when not nil, is a server
// that just failed (redispatch): another one is preferred.
func (b *backend) assign(c *conn, avoid *server) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.setSrv) == 0 {
		return refused
	}
	i := b.sel.Select(&b.set, c.src.Addr())
	if avoid != nil && i >= 0 && b.setSrv[i] == avoid {
		i = -1
		for k := 1; k <= len(b.setSrv); k++ {
			j := (avoid.setIdx + k) % len(b.setSrv)
			if s := b.setSrv[j]; s != avoid && !s.full() {
				i = j
				break
			}
		}
		if i < 0 {
			return refused
		}
	}
	if avoid != nil && i < 0 {
		return refused
	}
	if i >= 0 {
		s := b.setSrv[i]
		s.picked()
		if !s.full() {
			c.srv = s
			s.take()
			return assigned
		}
		// A hashing algorithm insists on a full server: wait for it.
		if s.conf().MaxQueue > 0 && s.nwait >= s.conf().MaxQueue {
			return refused
		}
		s.nwait++
		s.qmax = max(s.qmax, int64(s.nwait))
		c.qsrv = s
	} else {
		if lim := b.anyQueueLimit(); lim > 0 && b.anyWait >= lim {
			return refused
		}
		b.anyWait++
		c.qsrv = nil
	}
	c.queued = true
	b.queue = append(b.queue, c)
	b.qmax = max(b.qmax, int64(len(b.queue)))
	return queued
}

// anyQueueLimit bounds the connections waiting for any server: the sum of
// the usable servers' maxqueue, or 0 (unlimited) when one has none.
func (b *backend) anyQueueLimit() int {
	n := 0
	for _, s := range b.setSrv {
		if s.conf().MaxQueue == 0 {
			return 0
		}
		n += s.conf().MaxQueue
	}
	return n
}

// unqueue removes c from the queue if it is still there (a timeout or a
// shutdown) and reports whether it was. Called with b.mu held.
func (b *backend) unqueue(c *conn) bool {
	if !c.queued {
		return false
	}
	for i, w := range b.queue {
		if w == c {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			break
		}
	}
	b.dequeued(c)
	return true
}

func (b *backend) dequeued(c *conn) {
	c.queued = false
	if c.qsrv != nil {
		c.qsrv.nwait--
	} else {
		b.anyWait--
	}
}

// releaseLocked frees a slot on its server and hands it to the oldest waiter
// that may use it.
// Called with b.mu held.
func (b *backend) releaseLocked(s *server) {
	s.setConns(s.conns - 1)
	s.stats.close()
	b.dispatchLocked()
}

// dispatchLocked gives free slots to queued connections in FIFO order.
func (b *backend) dispatchLocked() {
	for i := 0; i < len(b.queue); {
		w := b.queue[i]
		var s *server
		if w.qsrv != nil {
			if w.qsrv.usable() && !w.qsrv.full() {
				s = w.qsrv
			}
		} else if j := b.sel.Select(&b.set, w.src.Addr()); j >= 0 && !b.setSrv[j].full() {
			s = b.setSrv[j]
		}
		if s == nil {
			i++
			continue
		}
		b.queue = append(b.queue[:i], b.queue[i+1:]...)
		b.dequeued(w)
		w.srv = s
		s.take()
		w.r.post(w)
	}
}

// queueStats reports the current and maximum queue length.
func (b *backend) queueStats() (cur, mx int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(len(b.queue)), b.qmax
}
