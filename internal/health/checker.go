package health

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// initialResolveTimeout bounds the name lookup NewChecker makes to pick the
// initial state.
const initialResolveTimeout = time.Second

// Reasons given to onChange for changes of the maintenance state, in
// HAProxy's log wording.
const (
	ReasonMaintenance     = "going DOWN for maintenance"
	ReasonLeftMaintenance = "leaving forced maintenance"
)

// Checker probes one server with `check` as its backend says, and keeps
// its State. Its zero value is not usable: call NewChecker.
type Checker struct {
	rise, fall                  int
	inter, fastInter, downInter time.Duration
	prober                      *prober // used by the scheduler's loop, or the probe's goroutine, after NewChecker
	onChange                    func(up bool, reason string)
	log                         *slog.Logger // without the names: logf adds them, as With would cost every Checker a handler
	backend, server             string

	// owned by the scheduler's loop
	reported    bool               // the Up value onChange last heard of
	slot        int32              // index in the scheduler's slots; -1 when not running
	hidx        int32              // index in the timer heap; -1 when not in it
	due         int64              // monotime of the next probe, or of the probe's deadline
	sess        *session           // the probe under way on the loop
	onGoroutine bool               // a probe runs on a goroutine (TLS, names)
	cancel      context.CancelFunc // cuts that probe short

	mu        sync.Mutex
	st        Status
	reason    string      // why the effective state is what it is
	newAddr   *addrChange // set by SetAddr, applied by Run before the next probe
	spread    int         // global spread-checks: ± this % of randomness on every interval
	localFail bool        // the last probe could not run for a reason of this host (reported once)
	sched     *Scheduler  // set by Scheduler.Add
}

type addrChange struct {
	host string
	port int
}

// Status is a snapshot of a Checker, for the stats page and `show stat`.
type Status struct {
	Up     bool // effective: the health state is UP and the server is not paused
	Paused bool // in maintenance (`disabled`, or SetPaused(true)): not probed
	// Disabled says probing is off (`disable health`): the last verdict
	// stands until `enable health`.
	Disabled bool
	State    State
	Rise     int
	Fall     int
	// Successes and Failures count the latest results of one kind in a row;
	// one of them is 0.
	Successes  int
	Failures   int
	Checks     uint64         // probes run
	Failed     uint64         // probes that failed (HAProxy's chkfail)
	Downs      uint64         // UP to DOWN transitions (HAProxy's chkdown)
	Last       Result         // latest probe, or why NewChecker found the server uncheckable; Code UNK before either
	LastCheck  time.Time      // when the latest probe ended; zero before the first
	LastChange time.Time      // when Up last changed; the creation time at first
	Addr       netip.AddrPort // address of the latest probe; zero before the first
}

// NewChecker returns a Checker that probes s as b.Check says. s should have
// `check` (servers without it need no Checker: they are always UP).
//
// The server starts UP, as in HAProxy, with the lowest UP health, so one
// failed probe takes it DOWN. It starts DOWN instead when it cannot be
// checked at all: no port to check, an invalid tcp-check regex, or a host
// name that does not resolve now (NewChecker looks it up, for at most
// 1 s). A `disabled` server starts paused.
//
// onChange is called from the scheduler's loop on every change of Up() with the
// new value and the reason (the probe's Reason, or ReasonMaintenance /
// ReasonLeftMaintenance); nil ignores changes. log nil discards.
func NewChecker(b *haproxy.Backend, s *haproxy.Server, onChange func(up bool, reason string), log *slog.Logger) *Checker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Checker{
		spread:    b.Check.SpreadChecks,
		rise:      max(s.Rise, 1),
		fall:      max(s.Fall, 1),
		inter:     s.Inter,
		fastInter: s.FastInter,
		downInter: s.DownInter,
		prober:    newProber(b, s),
		onChange:  onChange,
		log:       log,
		backend:   b.Name,
		server:    s.Name,
		slot:      -1,
		hidx:      -1,
	}
	if c.inter <= 0 {
		c.inter = DefaultInter
	}
	c.st = Status{
		State:      Initial(c.rise, c.fall),
		Paused:     s.Disabled,
		Rise:       c.rise,
		Fall:       c.fall,
		Last:       Result{Code: CodeUnknown, Reason: CodeUnknown.String()},
		LastChange: time.Now(),
	}
	if r, ok := c.precheck(); !ok {
		c.st.State = Down()
		c.st.Last = r
		c.reason = r.Reason
	}
	c.st.Up = c.st.State.Up && !c.st.Paused
	c.reported = c.st.Up
	return c
}

// precheck finds servers that cannot be checked before any probe runs.
func (c *Checker) precheck() (Result, bool) {
	p := c.prober
	if p.setupErr != "" {
		return fail(CodeSockErr, "%s", p.setupErr), false
	}
	ctx, cancel := context.WithTimeout(context.Background(), initialResolveTimeout)
	defer cancel()
	if _, err := p.resolve(ctx); err != nil {
		return fail(CodeSockErr, "%v", err), false
	}
	return Result{}, true
}

// Up reports whether the server is UP: its health state is UP and it is
// not in maintenance.
func (c *Checker) Up() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Up
}

// Status returns a snapshot of the checker.
func (c *Checker) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// SetPaused puts the server in maintenance (true), where it is not probed
// and not UP, or takes it out (false), where it restarts from the initial
// state (UP, one failure from DOWN) like HAProxy's `init-state up`. It is
// what the runtime API's `disable server`/`enable server` call; safe from
// any goroutine. The scheduler reports the resulting change of Up() to
// onChange.
func (c *Checker) SetPaused(paused bool) {
	c.mu.Lock()
	changed := c.st.Paused != paused
	if changed {
		c.st.Paused = paused
		if paused {
			c.reason = ReasonMaintenance
		} else {
			c.st.State = Initial(c.rise, c.fall)
			c.st.Successes, c.st.Failures = 0, 0
			c.reason = ReasonLeftMaintenance
		}
		c.setUpLocked()
	}
	sched := c.sched
	c.mu.Unlock()
	if changed && sched != nil {
		sched.post(message{kind: msgWake, c: c})
	}
}

// SetEnabled turns probing on or off (`enable|disable health`). While off
// the server keeps the verdict it had. Safe from any goroutine.
func (c *Checker) SetEnabled(on bool) {
	c.mu.Lock()
	c.st.Disabled = !on
	c.mu.Unlock()
}

// SetAddr makes the next probes go to host and, when port is not 0, port
// (`set server B/S addr`), unless the check has an `addr` of its own. Safe
// from any goroutine.
func (c *Checker) SetAddr(host string, port int) {
	c.mu.Lock()
	c.newAddr = &addrChange{host, port}
	c.mu.Unlock()
}

// setUpLocked recomputes the effective Up from state and pause.
func (c *Checker) setUpLocked() {
	up := c.st.State.Up && !c.st.Paused
	if up != c.st.Up {
		c.st.Up = up
		c.st.LastChange = time.Now()
	}
}

// Run probes the server until ctx is done, then returns nil, on a
// Scheduler of its own; the daemon adds all its Checkers to one Scheduler
// instead. The first probe starts at once; the next ones follow
// State.Interval. Run must be called at most once, and not for a Checker
// added to a Scheduler.
func (c *Checker) Run(ctx context.Context) error {
	s := NewScheduler(c.log)
	s.Add(c)
	return s.Run(ctx)
}

func (c *Checker) interval(s State) time.Duration {
	d := s.Interval(c.rise, c.fall, c.inter, c.fastInter, c.downInter)
	return spreadInterval(d, c.spread)
}

// spreadInterval draws d ± pct % (global spread-checks), so that checks
// started together drift apart instead of hitting servers in bursts.
func spreadInterval(d time.Duration, pct int) time.Duration {
	if pct <= 0 || d <= 0 {
		return d
	}
	span := int64(d) * int64(pct) / 100
	if span <= 0 {
		return d
	}
	return d - time.Duration(span) + time.Duration(rand.Int64N(2*span+1))
}

// apply records a probe's result and returns the new state.
func (c *Checker) apply(r Result, addr netip.AddrPort) State {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.Checks++
	c.st.Last = r
	c.st.LastCheck = time.Now()
	c.st.Addr = addr
	if r.Local {
		if !c.localFail { // reported when it starts and when it ends
			c.localFail = true
			c.logf(slog.LevelWarn, "check could not run", "reason", r.Reason)
		}
		return c.st.State // this host's shortage, not the server's fault
	}
	if c.localFail {
		c.localFail = false
		c.logf(slog.LevelInfo, "check runs again")
	}
	if r.OK {
		c.st.Successes++
		c.st.Failures = 0
	} else {
		c.st.Failed++
		c.st.Failures++
		c.st.Successes = 0
	}
	if c.st.Paused {
		return c.st.State // paused while the probe ran: the result changes nothing
	}
	next, changed := c.st.State.Next(r, c.rise, c.fall)
	c.st.State = next
	if changed {
		c.reason = r.Reason
		if !next.Up {
			c.st.Downs++
		}
	}
	c.setUpLocked()
	if !r.OK {
		if c.log.Enabled(context.Background(), slog.LevelDebug) {
			c.logf(slog.LevelDebug, "check failed", "reason", r.Reason)
		}
	}
	return next
}

// logf logs msg with the backend and server names, then args.
func (c *Checker) logf(level slog.Level, msg string, args ...any) {
	c.log.Log(context.Background(), level, msg, append([]any{"backend", c.backend, "server", c.server}, args...)...)
}

// notify calls onChange when Up() differs from what was last reported.
// It runs on the scheduler's loop.
func (c *Checker) notify() {
	c.mu.Lock()
	up, reason, paused := c.st.Up, c.reason, c.st.Paused
	c.mu.Unlock()
	if up == c.reported {
		return
	}
	c.reported = up
	state := "DOWN"
	if up {
		state = "UP"
	}
	if paused {
		state = "MAINT"
	}
	c.logf(slog.LevelInfo, "server is "+state, "state", state, "reason", reason)
	if c.onChange != nil {
		c.onChange(up, reason)
	}
}
