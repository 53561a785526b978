package vrouter

import (
	"fmt"
	"net/netip"
	"time"
)

// Config is one virtual router's configuration as the state machine needs it.
type Config struct {
	VRID uint8
	// Version is 2 (RFC 3768) or 3 (RFC 5798); anything else means 2.
	Version int
	// Priority is the configured priority, 1..255; 255 is the address owner
	// (it starts as Master, always preempts and ignores tracking). 0 is
	// treated as 1.
	Priority uint8
	// AdvertInterval is Advertisement_Interval: whole seconds for v2,
	// centiseconds for v3. Zero means 1 s.
	AdvertInterval time.Duration
	// Preempt is Preempt_Mode (keepalived: true unless nopreempt). The
	// address owner preempts regardless (RFC 5798 §6.1).
	Preempt bool
	// PreemptDelay is keepalived's preempt_delay, "seconds after startup
	// until preemption": until Start+PreemptDelay (or leaving Fault +
	// PreemptDelay) a Backup accepts lower-priority adverts like nopreempt.
	// It never delays taking over from a master that went silent.
	PreemptDelay time.Duration
	// InitialState Master (keepalived "state MASTER") makes Start send an
	// advert and enter Master at once, whatever the priority; anything else
	// starts in Backup unless Priority is 255.
	InitialState State
	// PrimaryIP is our own address on the interface, sent as the adverts'
	// source; it breaks ties at equal priority.
	PrimaryIP netip.Addr
	// HigherPrioSendAdvert is keepalived's higher_prio_send_advert: a
	// Master that hears a better master sends one advert of its own before
	// it steps down. false yields silently, as RFC 5798 §6.4.3 does.
	HigherPrioSendAdvert bool
	// TransitionBeforeAdvert puts a new master's Transition (VIPs added)
	// before its first SendAdvert, not after as RFC 5798 §6.4.2 orders
	// them. With use_vmac the advert leaves from the virtual MAC the old
	// master also owns, so it moves the switches' entry for that MAC at
	// once: sent first, it would pull clients to a node without the VIPs
	// for as long as adding them takes.
	TransitionBeforeAdvert bool
}

// Advert is a received, already validated advertisement.
type Advert struct {
	Src      netip.Addr
	Priority uint8
	// MaxAdvertInterval is the v3 Max Adver Int; for v2 the Adver Int. Zero
	// means unknown: keep the interval we have.
	MaxAdvertInterval time.Duration
}

// Machine is the pure VRRP state machine of RFC 5798 §6.4. It is not safe for
// concurrent use; time is always passed in and only ever read from the
// arguments. Every method returns the actions to perform, in order.
type Machine struct {
	cfg      Config
	state    State
	priority uint8 // effective priority
	started  bool
	stopped  bool

	fault       bool
	faultReason string

	// Master_Adver_Interval: the interval our down timer uses.
	masterAdverInterval time.Duration
	// The down timer (Backup) runs from downBase; downDeadline is its expiry.
	downBase     time.Time
	downDeadline time.Time
	adverDue     time.Time // Master: next advert
	preemptAfter time.Time // no preemption before this

	// Why the down timer will expire, for the Transition reason, and who
	// the live master was that resigned or that we will preempt.
	sawPriorityZero bool
	discardedLower  bool
	liveMaster      netip.Addr

	// maint: the node is in maintenance (a planned handover): it
	// advertises priority 1, so it takes over only when no master is heard.
	maint bool

	// groupSettle: a Master its sync group forced up does not yield to a
	// better master before this (see Force). Zero otherwise.
	groupSettle time.Time

	master         netip.Addr // last master heard (or ourselves)
	masterPriority uint8
}

// NewMachine returns a machine in Init for cfg; call Start to run it.
func NewMachine(cfg Config) *Machine {
	if cfg.Version != 3 {
		cfg.Version = 2
	}
	if cfg.Priority == 0 {
		cfg.Priority = 1
	}
	if cfg.AdvertInterval <= 0 {
		cfg.AdvertInterval = time.Second
	}
	m := &Machine{cfg: cfg, state: Init}
	m.priority = clampPriority(cfg.Priority, m.owner())
	m.masterAdverInterval = cfg.AdvertInterval
	return m
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Priority returns the effective priority.
func (m *Machine) Priority() uint8 { return m.priority }

// Master returns the address and priority of the current master as far as
// this router knows: itself when Master, the last accepted advert's sender
// when Backup, invalid when unknown.
func (m *Machine) Master() (netip.Addr, uint8) { return m.master, m.masterPriority }

// MasterAdverInterval returns the interval the down timer uses (for v3 the
// master's advertised one once heard).
func (m *Machine) MasterAdverInterval() time.Duration { return m.masterAdverInterval }

// NextDeadline returns when Tick must be called next, or the zero time when
// no timer runs (Init, Fault, after Shutdown).
func (m *Machine) NextDeadline() time.Time {
	switch m.state {
	case Backup:
		return m.downDeadline
	case Master:
		return m.adverDue
	}
	return time.Time{}
}

func (m *Machine) owner() bool { return m.cfg.Priority == ownerPriority }

// preempts reports whether a Backup may preempt a lower-priority master now.
func (m *Machine) preempts(now time.Time) bool {
	if m.owner() {
		return true
	}
	return m.cfg.Preempt && !now.Before(m.preemptAfter)
}

// Start leaves Init (RFC 5798 §6.4.1): to Master for the address owner or
// InitialState Master, to Fault if a fault is already set, else to Backup.
func (m *Machine) Start(now time.Time) []Action {
	if m.started {
		return nil
	}
	m.started = true
	m.preemptAfter = now.Add(m.cfg.PreemptDelay)
	switch {
	case m.fault:
		return m.transition(now, Fault, ReasonFaultEntered, m.faultReason)
	case m.owner():
		return m.becomeMaster(now, ReasonAddressOwner, "priority 255")
	case m.cfg.InitialState == Master:
		return m.becomeMaster(now, ReasonInitialMaster, "configured state MASTER")
	}
	return m.becomeBackup(now, ReasonStartup, "", m.cfg.AdvertInterval)
}

// Advert handles a received advertisement.
func (m *Machine) Advert(now time.Time, a Advert) []Action {
	if a.Src == m.cfg.PrimaryIP {
		return nil // our own advert looped back
	}
	switch m.state {
	case Backup:
		return m.advertInBackup(now, a)
	case Master:
		return m.advertInMaster(now, a)
	}
	return nil // Init, Fault: no elections
}

// Tick fires the timer that is due, if any. Call it at or after NextDeadline.
func (m *Machine) Tick(now time.Time) []Action {
	d := m.NextDeadline()
	if d.IsZero() || now.Before(d) {
		return nil
	}
	switch m.state {
	case Backup:
		return m.tickBackup(now)
	case Master:
		return m.tickMaster(now)
	}
	return nil
}

// SetPriority changes the effective priority (tracking). It is clamped to
// 1..254 (the address owner stays at 255). A Backup recomputes Skew_Time and
// moves its running down timer; a Master advertises the new priority at once.
func (m *Machine) SetPriority(now time.Time, effective uint8) []Action {
	p := clampPriority(effective, m.owner())
	if p == m.priority {
		return nil
	}
	m.priority = p
	switch m.state {
	case Backup:
		// The running timer keeps its start and takes the new length.
		if m.sawPriorityZero {
			m.downDeadline = m.downBase.Add(m.skewTime())
		} else {
			m.downDeadline = m.downBase.Add(m.masterDownInterval())
		}
	case Master:
		m.masterPriority = p
		return m.sendAdvert(now)
	}
	return nil
}

// SetFault enters (fault true) or leaves Fault. In Fault the router sends
// nothing, holds no VIPs and ignores adverts; leaving goes to Backup. A
// Master entering Fault first resigns with a priority-0 advert.
func (m *Machine) SetFault(now time.Time, fault bool, reason string) []Action {
	if m.fault == fault {
		return nil
	}
	m.fault, m.faultReason = fault, reason
	if !m.started || m.stopped {
		return nil
	}
	if fault {
		var acts []Action
		if m.state == Master {
			acts = append(acts, SendAdvert{Priority: 0})
		}
		return append(acts, m.transition(now, Fault, ReasonFaultEntered, reason)...)
	}
	m.preemptAfter = now.Add(m.cfg.PreemptDelay)
	return m.becomeBackup(now, ReasonFaultCleared, reason, m.cfg.AdvertInterval)
}

// SetMaintenance enters or leaves maintenance. Entering, a Master resigns
// at once (a priority-0 advert, so a backup takes over after its skew
// time rather than a master-down interval, nopreempt or not) and becomes a
// Backup; the effective priority is then 1 (the caller's next SetPriority
// passes 1 while in maintenance). Leaving changes nothing by itself: the
// restored priority preempts by the usual rules.
func (m *Machine) SetMaintenance(now time.Time, on bool) []Action {
	if m.maint == on {
		return nil
	}
	m.maint = on
	if !on || !m.started || m.stopped || m.state != Master || m.owner() {
		return nil
	}
	acts := []Action{SendAdvert{Priority: 0}}
	m.priority = clampPriority(1, false)
	return append(acts, m.becomeBackup(now, ReasonMaintenance, "planned handover", m.cfg.AdvertInterval)...)
}

// Maintenance reports whether the machine is in maintenance.
func (m *Machine) Maintenance() bool { return m.maint }

// Reconfigure applies a new configuration of the same virtual router, as a
// reload does, without an election: the VRID and version stay (changing
// them is a new router). A Master whose advertisement interval changed
// advertises at once with the new one; a v2 Backup adopts it for its down
// timer (a v3 Backup keeps following the master's). The effective priority
// is re-clamped; the caller sets the new tracked priority with SetPriority.
func (m *Machine) Reconfigure(now time.Time, cfg Config) []Action {
	cfg.VRID, cfg.Version = m.cfg.VRID, m.cfg.Version
	if cfg.Priority == 0 {
		cfg.Priority = 1
	}
	if cfg.AdvertInterval <= 0 {
		cfg.AdvertInterval = time.Second
	}
	old := m.cfg
	m.cfg = cfg
	m.priority = clampPriority(m.priority, m.owner())
	if m.state == Master {
		m.master, m.masterPriority = cfg.PrimaryIP, m.priority
	}
	if !m.started || m.stopped {
		return nil
	}
	switch {
	case m.state == Master && (cfg.AdvertInterval != old.AdvertInterval || m.owner() != (old.Priority == ownerPriority)):
		return m.sendAdvert(now)
	case m.state == Backup && cfg.Version == 2 && cfg.AdvertInterval != old.AdvertInterval:
		m.masterAdverInterval = cfg.AdvertInterval
		m.downDeadline = m.downBase.Add(m.masterDownInterval())
	}
	return nil
}

// Shutdown stops the machine: a Master sends a priority-0 advert, then every
// state but Init reports a transition to Init. Later events are ignored.
func (m *Machine) Shutdown(now time.Time) []Action {
	if m.stopped {
		return nil
	}
	m.stopped = true
	var acts []Action
	if m.state == Master {
		acts = append(acts, SendAdvert{Priority: 0})
	}
	if m.state != Init {
		acts = append(acts, m.transition(now, Init, ReasonShutdown, "")...)
	}
	return acts
}

func (m *Machine) masterDownInterval() time.Duration {
	return masterDownInterval(m.cfg.Version, m.priority, m.masterAdverInterval)
}

func (m *Machine) skewTime() time.Duration {
	return skewTime(m.cfg.Version, m.priority, m.masterAdverInterval)
}

// resetDownTimer sets Master_Down_Timer to Master_Down_Interval from now.
func (m *Machine) resetDownTimer(now time.Time) {
	m.downBase = now
	m.downDeadline = now.Add(m.masterDownInterval())
	m.sawPriorityZero, m.discardedLower = false, false
	m.liveMaster = netip.Addr{}
}

func (m *Machine) sendAdvert(now time.Time) []Action {
	m.adverDue = now.Add(m.cfg.AdvertInterval)
	return []Action{SendAdvert{Priority: m.priority}}
}

// becomeMaster sends an advert, arms the advert timer and enters Master
// (RFC 5798 §6.4.1 and §6.4.2: advert first, then VIPs and ARP).
func (m *Machine) becomeMaster(now time.Time, r Reason, detail string) []Action {
	return m.becomeMasterFrom(now, r, detail, netip.Addr{})
}

// becomeMasterFrom is becomeMaster taking over from a live master, peer.
func (m *Machine) becomeMasterFrom(now time.Time, r Reason, detail string, peer netip.Addr) []Action {
	acts := m.sendAdvert(now)
	m.master, m.masterPriority = m.cfg.PrimaryIP, m.priority
	tr := m.transitionWith(now, Master, r, detail, peer)
	if m.cfg.TransitionBeforeAdvert {
		return append(tr, acts...)
	}
	return append(acts, tr...)
}

// becomeBackup adopts interval as Master_Adver_Interval, arms the down timer
// and enters Backup.
func (m *Machine) becomeBackup(now time.Time, r Reason, detail string, interval time.Duration) []Action {
	m.masterAdverInterval = interval
	m.resetDownTimer(now)
	var peer netip.Addr
	if r == ReasonHigherPriority || r == ReasonEqualPriorityHigherIP {
		peer = m.master
	} else {
		m.master, m.masterPriority = netip.Addr{}, 0
	}
	return m.transitionWith(now, Backup, r, detail, peer)
}

func (m *Machine) transition(now time.Time, to State, r Reason, detail string) []Action {
	return m.transitionWith(now, to, r, detail, netip.Addr{})
}

func (m *Machine) transitionWith(now time.Time, to State, r Reason, detail string, peer netip.Addr) []Action {
	from := m.state
	m.state = to
	m.groupSettle = time.Time{}
	return []Action{Transition{From: from, To: to, Reason: r, Detail: detail, At: now, Peer: peer}}
}

func advertDetail(a Advert) string {
	return fmt.Sprintf("advert from %s priority %d", a.Src, a.Priority)
}
