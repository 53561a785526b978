package vrouter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Sender sends one VRRP advertisement for the instance's virtual router.
type Sender interface {
	SendAdvert(priority uint8) error
}

// Reannouncer is implemented by a Sender that can announce the VIPs again
// (Reannounce actions); with a Sender that does not, they are ignored. It
// runs on the loop and must not block.
type Reannouncer interface {
	Reannounce()
}

// advertQueue bounds the adverts waiting for the loop. VRRP tolerates loss;
// a full queue drops (and counts) rather than blocking the receiver.
const advertQueue = 64

// Instance drives one Machine with real time: one loop goroutine (Run) owns
// the machine, sends adverts and reports transitions in order.
type Instance struct {
	name         string
	cfg          Config
	sender       Sender
	clk          Clock
	log          *slog.Logger
	onTransition func(Transition)

	adverts chan Advert
	kick    chan struct{} // cap 1: the tracker inputs below changed
	reconf  chan Config   // cap 1: Reconfigure's latest configuration
	ran     atomic.Bool
	gate    atomic.Pointer[func() bool] // see SetGate

	mu sync.Mutex // guards the fields below
	// Latest tracker inputs; the loop applies the newest values.
	wantPriority uint8
	wantFault    bool
	faultReason  string
	wantMaint    bool
	force        *forceReq // see Force
	status       InstanceStatus
}

// InstanceStatus is a snapshot of an instance for status pages.
type InstanceStatus struct {
	Name               string
	VRID               uint8
	State              State
	Priority           uint8 // effective
	ConfiguredPriority uint8
	Master             netip.Addr // current master, invalid when unknown
	MasterPriority     uint8
	Fault              bool
	FaultReason        string
	Maintenance        bool
	AdvertsSent        uint64
	AdvertsReceived    uint64
	AdvertsDropped     uint64 // queue full or instance not running
	SendErrors         uint64
	Transitions        uint64
	LastTransition     time.Time // zero before the first transition
	LastReason         Reason
	LastDetail         string
}

// NewInstance returns an instance named name for
// cfg. A nil s sends nothing; a nil clk is the real clock; a nil log
// discards; a nil onTransition is not called. onTransition runs on the loop
// goroutine, in order, and the loop waits for it: VIPs follow state strictly.
func NewInstance(name string, cfg Config, s Sender, clk Clock, log *slog.Logger, onTransition func(Transition)) *Instance {
	if clk == nil {
		clk = realClock{}
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := NewMachine(cfg) // normalizes cfg for the status
	i := &Instance{
		name:         name,
		cfg:          cfg,
		sender:       s,
		clk:          clk,
		log:          log,
		onTransition: onTransition,
		adverts:      make(chan Advert, advertQueue),
		kick:         make(chan struct{}, 1),
		reconf:       make(chan Config, 1),
		wantPriority: m.Priority(),
	}
	i.status = InstanceStatus{
		Name: name, VRID: cfg.VRID, State: Init,
		Priority: m.Priority(), ConfiguredPriority: m.cfg.Priority,
	}
	return i
}

// Run starts the machine and serves events until ctx is done; then it shuts
// the machine down (a Master sends a priority-0 advert and reports its
// transition to Init) and returns nil. Run may be called once.
func (i *Instance) Run(ctx context.Context) error {
	if !i.ran.CompareAndSwap(false, true) {
		return fmt.Errorf("instance %q: already run", i.name)
	}
	i.mu.Lock()
	cfg := i.cfg
	i.mu.Unlock()
	m := NewMachine(cfg)
	now := i.clk.Now()
	i.applyTracking(m, now) // inputs set before Run count from the start
	i.apply(m, m.Start(now))
	i.applyForce(m, now) // a sync group that moved before we started

	timer := i.clk.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		i.arm(timer, m)
		select {
		case <-ctx.Done():
			i.apply(m, m.Shutdown(i.clk.Now()))
			return nil
		case a := <-i.adverts:
			i.count(func(s *InstanceStatus) { s.AdvertsReceived++ })
			i.apply(m, m.Advert(i.clk.Now(), a))
		case <-i.kick:
			i.applyTracking(m, i.clk.Now())
		case c := <-i.reconf:
			now := i.clk.Now()
			i.apply(m, m.Reconfigure(now, c))
			i.count(func(s *InstanceStatus) { s.ConfiguredPriority = m.cfg.Priority })
			i.applyTracking(m, now)
		case <-timer.C():
			i.tick(m, i.clk.Now())
		}
	}
}

// Deliver hands a received, validated advert to the loop. It never blocks.
func (i *Instance) Deliver(a Advert) {
	select {
	case i.adverts <- a:
	default:
		i.count(func(s *InstanceStatus) { s.AdvertsDropped++ })
	}
}

// SetPriority sets the effective priority (from tracking). It never blocks;
// the loop applies the latest value.
func (i *Instance) SetPriority(p uint8) {
	i.mu.Lock()
	i.wantPriority = p
	i.mu.Unlock()
	i.poke()
}

// SetFault enters or leaves Fault (from tracking). It never blocks; the loop
// applies the latest value, so a fault set and cleared before the loop looks
// is not seen.
func (i *Instance) SetFault(fault bool, reason string) {
	i.mu.Lock()
	i.wantFault, i.faultReason = fault, reason
	i.mu.Unlock()
	i.poke()
}

// SetMaintenance enters or leaves maintenance (see Machine.SetMaintenance):
// a Master resigns and the instance then advertises priority 1. It never
// blocks; the loop applies the latest value.
func (i *Instance) SetMaintenance(on bool) {
	i.mu.Lock()
	i.wantMaint = on
	i.mu.Unlock()
	i.poke()
}

// Reconfigure hands the loop a new configuration of the same virtual router
// (see Machine.Reconfigure). It never blocks; the loop applies the latest.
// Before Run it replaces the configuration Run starts with.
func (i *Instance) Reconfigure(cfg Config) {
	if !i.ran.Load() {
		i.mu.Lock()
		i.cfg = cfg
		i.status.ConfiguredPriority = cfg.Priority
		i.mu.Unlock()
	}
	for {
		select {
		case i.reconf <- cfg:
			return
		default:
		}
		select {
		case <-i.reconf: // drop the older one
		default:
		}
	}
}

// Status returns a snapshot of the instance.
func (i *Instance) Status() InstanceStatus {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.status
}

func (i *Instance) poke() {
	select {
	case i.kick <- struct{}{}:
	default:
	}
}

func (i *Instance) count(f func(*InstanceStatus)) {
	i.mu.Lock()
	f(&i.status)
	i.mu.Unlock()
}

// arm points the loop's timer at the machine's next deadline.
func (i *Instance) arm(t Timer, m *Machine) {
	t.Stop()
	if d := m.NextDeadline(); !d.IsZero() {
		t.Reset(max(d.Sub(i.clk.Now()), 0))
	}
}

// applyTracking feeds the latest tracker inputs to the machine: fault
// first, so a priority change while faulty produces no advert.
func (i *Instance) applyTracking(m *Machine, now time.Time) {
	i.mu.Lock()
	p, fault, reason, maint := i.wantPriority, i.wantFault, i.faultReason, i.wantMaint
	i.mu.Unlock()
	if maint {
		p = 1
	}
	if fault {
		i.apply(m, m.SetFault(now, true, reason))
		i.apply(m, m.SetMaintenance(now, maint))
		i.apply(m, m.SetPriority(now, p))
	} else {
		i.apply(m, m.SetMaintenance(now, maint))
		i.apply(m, m.SetPriority(now, p))
		i.apply(m, m.SetFault(now, false, reason))
	}
	i.applyForce(m, now)
}

// apply refreshes the status from the machine (so onTransition already sees
// the new state), then performs the machine's actions in order.
func (i *Instance) apply(m *Machine, acts []Action) {
	master, mprio := m.Master()
	i.mu.Lock()
	i.status.State = m.State()
	i.status.Priority = m.Priority()
	i.status.Master, i.status.MasterPriority = master, mprio
	i.status.Fault, i.status.FaultReason = m.fault, m.faultReason
	i.status.Maintenance = m.maint
	i.mu.Unlock()
	for _, a := range acts {
		switch a := a.(type) {
		case SendAdvert:
			i.send(a.Priority)
		case Transition:
			i.transition(a)
		case Reannounce:
			if r, ok := i.sender.(Reannouncer); ok {
				r.Reannounce()
			}
		}
	}
}

func (i *Instance) send(p uint8) {
	if i.sender == nil {
		return
	}
	if err := i.sender.SendAdvert(p); err != nil {
		i.count(func(s *InstanceStatus) { s.SendErrors++ })
		i.log.Warn("sending vrrp advert", "priority", p, "err", err)
		return
	}
	i.count(func(s *InstanceStatus) { s.AdvertsSent++ })
}

func (i *Instance) transition(t Transition) {
	i.count(func(s *InstanceStatus) {
		s.Transitions++
		s.LastTransition, s.LastReason, s.LastDetail = t.At, t.Reason, t.Detail
	})
	i.log.Info("vrrp state change", "state", t.To.String(), "from", t.From.String(),
		"reason", t.Reason.String(), "detail", t.Detail)
	if i.onTransition != nil {
		i.onTransition(t)
	}
}
