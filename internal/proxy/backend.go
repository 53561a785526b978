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

// backend is the runtime state of a configured backend.
type backend struct {
	cfg     *haproxy.Backend
	hash    bool // the algorithm maps a client to one server
	stats   counters
	servers []*server
	byName  map[string]*server
	mu      sync.Mutex // guards everything below and server fields marked so
	sel     balance.Selector
	set     balance.Set
	setSrv  []*server // set.Servers[i] is setSrv[i]
	queue   []*conn   // FIFO of connections waiting for a slot
	qmax    int64
	anyWait int // queued connections that may take any server
	queueTO time.Duration

	// slowstart (slowstart.go)
	wscale    int              // balance.WeightScale of the algorithm
	now       func() time.Time // time.Now; a test double replaces it
	rampTimer *time.Timer      // armed while a server ramps
	rampSeq   uint64           // identifies the live rampTimer
}

// server is the runtime state of a configured server.
type server struct {
	cfg   *haproxy.Server
	be    *backend
	stats counters
	addr  atomic.Pointer[netip.Addr] // nil while a name does not resolve

	// guarded by be.mu
	up       bool
	upSince  time.Time // start of the slowstart ramp; zero when not ramping
	admin    AdminState
	weight   int // configured or `set weight`
	eweight  int // effective: weight × be.wscale, ramped during slowstart
	emaxconn int // effective maxconn, ramped during slowstart; 0 = unlimited
	conns    int
	setIdx   int // index in be.set.Servers, -1 when not usable
	nwait    int // queued connections bound to this server
	qmax     int64
}

func newBackend(cfg *haproxy.Backend) (*backend, error) {
	sel, err := balance.New(string(cfg.Balance.Algorithm), string(cfg.Balance.HashType))
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", cfg.Name, err)
	}
	b := &backend{
		cfg:     cfg,
		hash:    balance.IsHash(string(cfg.Balance.Algorithm)),
		sel:     sel,
		byName:  make(map[string]*server, len(cfg.Servers)),
		queueTO: cfg.Timeouts.Queue,
		wscale:  balance.WeightScale(string(cfg.Balance.Algorithm), string(cfg.Balance.HashType)),
		now:     time.Now,
	}
	if b.queueTO == 0 {
		b.queueTO = cfg.Timeouts.Connect // configuration.txt: timeout queue defaults to timeout connect
	}
	for _, sc := range cfg.Servers {
		if _, dup := b.byName[sc.Name]; dup {
			return nil, fmt.Errorf("backend %q: duplicate server %q", cfg.Name, sc.Name)
		}
		s := &server{cfg: sc, be: b, up: true, weight: sc.Weight, setIdx: -1}
		if sc.Disabled {
			s.admin = Maint
		}
		if a, err := netip.ParseAddr(sc.Host); err == nil {
			a = a.Unmap()
			s.addr.Store(&a)
		}
		b.servers = append(b.servers, s)
		b.byName[sc.Name] = s
	}
	b.refresh(b.now()) // no server ramps at start: effective = configured
	b.rebuild()
	return b, nil
}

// usable reports whether s may take new connections. Guarded by be.mu.
func (s *server) usable() bool {
	return s.up && s.admin == Ready && s.weight > 0
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
			ID: len(b.set.Servers), Name: s.cfg.Name, Weight: s.eweight, Conns: s.conns, MaxConn: s.emaxconn,
		})
	}
	for _, s := range b.servers {
		if !s.cfg.Backup && s.usable() {
			add(s)
		}
	}
	if len(b.setSrv) == 0 {
		for _, s := range b.servers {
			if s.cfg.Backup && s.usable() {
				add(s)
				if !b.cfg.AllBackups {
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
		if !s.full() {
			c.srv = s
			s.take()
			return assigned
		}
		// A hashing algorithm insists on a full server: wait for it.
		if s.cfg.MaxQueue > 0 && s.nwait >= s.cfg.MaxQueue {
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
		if s.cfg.MaxQueue == 0 {
			return 0
		}
		n += s.cfg.MaxQueue
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
