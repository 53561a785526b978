package vrouter

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	t0     = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ipLow  = netip.MustParseAddr("192.0.2.1")
	ipSelf = netip.MustParseAddr("192.0.2.5")
	ipHigh = netip.MustParseAddr("192.0.2.9")
)

// ms and sec keep the scripts short; ns is for exact deadlines.
func ms(n float64) time.Duration  { return time.Duration(n * float64(time.Millisecond)) }
func sec(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }

const (
	v2Prio98Down  = 3617187500 * time.Nanosecond // 3 s + 158/256 s
	v2Prio100Down = 3609375000 * time.Nanosecond // 3 s + 156/256 s
	v2Prio100Skew = 609375000 * time.Nanosecond  // 156/256 s
	v3Prio100Down = 360937500 * time.Nanosecond  // 300 ms + 60.9375 ms
)

// step is one event at t0+at, the actions it must return and, when
// deadline is not noDeadlineCheck, the NextDeadline it must leave (as an
// offset from t0; -1 means "no timer").
type step struct {
	at       time.Duration
	do       func(m *Machine, now time.Time) []Action
	want     []Action
	state    State
	deadline time.Duration
}

const (
	noTimer         = time.Duration(-1)
	noDeadlineCheck = time.Duration(-2)
)

func start() func(*Machine, time.Time) []Action { return (*Machine).Start }
func tick() func(*Machine, time.Time) []Action  { return (*Machine).Tick }
func shutdown() func(*Machine, time.Time) []Action {
	return (*Machine).Shutdown
}
func advert(src netip.Addr, prio uint8, interval time.Duration) func(*Machine, time.Time) []Action {
	return func(m *Machine, now time.Time) []Action {
		return m.Advert(now, Advert{Src: src, Priority: prio, MaxAdvertInterval: interval})
	}
}
func setPriority(p uint8) func(*Machine, time.Time) []Action {
	return func(m *Machine, now time.Time) []Action { return m.SetPriority(now, p) }
}
func setFault(f bool) func(*Machine, time.Time) []Action {
	return func(m *Machine, now time.Time) []Action { return m.SetFault(now, f, "link down") }
}

func send(p uint8) Action { return SendAdvert{Priority: p} }
func move(from, to State, r Reason) Action {
	return Transition{From: from, To: to, Reason: r}
}

func v2(prio uint8) Config {
	return Config{VRID: 51, Version: 2, Priority: prio, AdvertInterval: time.Second,
		Preempt: true, InitialState: Backup, PrimaryIP: ipSelf}
}

func v3(prio uint8, interval time.Duration) Config {
	c := v2(prio)
	c.Version, c.AdvertInterval = 3, interval
	return c
}

func with(c Config, f func(*Config)) Config { f(&c); return c }

func nopreempt(c *Config)        { c.Preempt = false }
func vmacOrder(c *Config)        { c.TransitionBeforeAdvert = true }
func stateMaster(c *Config)      { c.InitialState = Master }
func sendsBeforeYield(c *Config) { c.HigherPrioSendAdvert = true }

func runSteps(t *testing.T, cfg Config, steps []step) *Machine {
	t.Helper()
	m := NewMachine(cfg)
	ignore := cmpopts.IgnoreFields(Transition{}, "Detail", "At", "Peer")
	for i, s := range steps {
		now := t0.Add(s.at)
		got := s.do(m, now)
		if diff := cmp.Diff(s.want, got, ignore, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("step %d at %v: actions (-want +got):\n%s", i, s.at, diff)
		}
		for _, a := range got {
			if tr, ok := a.(Transition); ok && !tr.At.Equal(now) {
				t.Errorf("step %d: transition at %v, want %v", i, tr.At, now)
			}
		}
		if m.State() != s.state {
			t.Fatalf("step %d at %v: state %v, want %v", i, s.at, m.State(), s.state)
		}
		if s.deadline == noDeadlineCheck {
			continue
		}
		want := time.Time{}
		if s.deadline != noTimer {
			want = t0.Add(s.deadline)
		}
		if got := m.NextDeadline(); !got.Equal(want) {
			t.Fatalf("step %d at %v: deadline %v, want %v (off by %v)", i, s.at,
				got.Sub(t0), s.deadline, got.Sub(want))
		}
	}
	return m
}

func TestMachineStartup(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"a backup arms its master down timer at exactly 3 × advert + skew", v2(98), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio98Down},
		}},
		{"a v3 backup with 100 ms adverts and priority 100 waits 360.9375 ms", v3(100, ms(100)), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v3Prio100Down},
		}},
		{"the address owner sends an advert and becomes master at once", v2(255), []step{
			{0, start(), []Action{send(255), move(Init, Master, ReasonAddressOwner)}, Master, sec(1)},
		}},
		{"state MASTER below 255 sends an advert and becomes master at once", with(v2(100), stateMaster), []step{
			{0, start(), []Action{send(100), move(Init, Master, ReasonInitialMaster)}, Master, sec(1)},
		}},
		{"a fault set before start starts in fault with no timer", v2(100), []step{
			{0, setFault(true), nil, Init, noTimer},
			{0, start(), []Action{move(Init, Fault, ReasonFaultEntered)}, Fault, noTimer},
		}},
		{"a second start does nothing", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), start(), nil, Backup, v2Prio100Down},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.cfg, tt.steps) })
	}
}

func TestMachineBackup(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"a backup becomes master when the down timer expires and not a nanosecond before", v2(98), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio98Down},
			{v2Prio98Down - 1, tick(), nil, Backup, v2Prio98Down},
			{v2Prio98Down, tick(), []Action{send(98), move(Backup, Master, ReasonMasterDown)}, Master, v2Prio98Down + sec(1)},
		}},
		{"with use_vmac the VIPs come before the first advert (it moves the shared MAC)", with(v2(98), vmacOrder), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio98Down},
			{v2Prio98Down, tick(), []Action{move(Backup, Master, ReasonMasterDown), send(98)}, Master, v2Prio98Down + sec(1)},
		}},
		{"with use_vmac a master's resignation is answered VIPs first too", with(v2(98), vmacOrder), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio98Down},
			{sec(1), advert(ipHigh, 100, sec(1)), nil, Backup, noDeadlineCheck},
			{sec(2), advert(ipHigh, 0, sec(1)), nil, Backup, noDeadlineCheck},
			{sec(2) + v2Prio98Down - sec(3), tick(), []Action{move(Backup, Master, ReasonPriorityZero), send(98)}, Master, noDeadlineCheck},
		}},
		{"a v3 backup becomes master at exactly 360.9375 ms", v3(100, ms(100)), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v3Prio100Down},
			{v3Prio100Down, tick(), []Action{send(100), move(Backup, Master, ReasonMasterDown)}, Master, v3Prio100Down + ms(100)},
		}},
		{"an advert from a higher-priority master restarts the down timer", v2(98), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio98Down},
			{sec(1), advert(ipLow, 100, sec(1)), nil, Backup, sec(1) + v2Prio98Down},
			{v2Prio98Down, tick(), nil, Backup, sec(1) + v2Prio98Down},
		}},
		{"a backup hearing priority zero takes over after skew time", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), advert(ipHigh, 150, sec(1)), nil, Backup, sec(1) + v2Prio100Down},
			{sec(2), advert(ipHigh, 0, sec(1)), nil, Backup, sec(2) + v2Prio100Skew},
			{sec(2) + v2Prio100Skew, tick(), []Action{send(100), move(Backup, Master, ReasonPriorityZero)}, Master, noDeadlineCheck},
		}},
		{"a backup without preempt keeps a lower-priority master", with(v2(100), nopreempt), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), advert(ipLow, 50, sec(1)), nil, Backup, sec(1) + v2Prio100Down},
			{sec(2), advert(ipLow, 50, sec(1)), nil, Backup, sec(2) + v2Prio100Down},
			{sec(3), advert(ipLow, 50, sec(1)), nil, Backup, sec(3) + v2Prio100Down},
			{sec(4), tick(), nil, Backup, sec(3) + v2Prio100Down},
		}},
		{"a backup with preempt discards a lower-priority master's adverts and takes over when its timer runs out", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), advert(ipLow, 50, sec(1)), nil, Backup, v2Prio100Down},
			{sec(2), advert(ipLow, 50, sec(1)), nil, Backup, v2Prio100Down},
			{sec(3), advert(ipLow, 50, sec(1)), nil, Backup, v2Prio100Down},
			{v2Prio100Down, tick(), []Action{send(100), move(Backup, Master, ReasonPreempt)}, Master, noDeadlineCheck},
		}},
		{"a backup with preempt_delay accepts a lower-priority master until the delay after startup passes",
			with(v2(100), func(c *Config) { c.PreemptDelay = sec(5) }), []step{
				{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
				{sec(1), advert(ipLow, 50, sec(1)), nil, Backup, sec(1) + v2Prio100Down},
				{sec(4.999), advert(ipLow, 50, sec(1)), nil, Backup, sec(4.999) + v2Prio100Down},
				{sec(5), advert(ipLow, 50, sec(1)), nil, Backup, sec(4.999) + v2Prio100Down},
				{sec(6), advert(ipLow, 50, sec(1)), nil, Backup, sec(4.999) + v2Prio100Down},
				{sec(4.999) + v2Prio100Down, tick(), []Action{send(100), move(Backup, Master, ReasonPreempt)}, Master, noDeadlineCheck},
			}},
		{"preempt_delay never delays taking over from a silent master",
			with(v2(100), func(c *Config) { c.PreemptDelay = sec(300) }), []step{
				{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
				{v2Prio100Down, tick(), []Action{send(100), move(Backup, Master, ReasonMasterDown)}, Master, noDeadlineCheck},
			}},
		{"a backup with equal priority accepts the master whatever its address", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), advert(ipLow, 100, sec(1)), nil, Backup, sec(1) + v2Prio100Down},
		}},
		{"a v3 backup adopts the master's advertised interval", v3(100, sec(1)), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, 3*sec(1) + v2Prio100Skew},
			{sec(1), advert(ipHigh, 150, ms(100)), nil, Backup, sec(1) + v3Prio100Down},
			{sec(1) + v3Prio100Down, tick(), []Action{send(100), move(Backup, Master, ReasonMasterDown)}, Master, sec(1) + v3Prio100Down + sec(1)},
		}},
		{"a v2 backup keeps its own interval when the master advertises another", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), advert(ipHigh, 150, sec(3)), nil, Backup, sec(1) + v2Prio100Down},
		}},
		{"lowering the effective priority lengthens the running timer's skew", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), setPriority(50), nil, Backup, sec(3) + 206*sec(1)/256},
			{sec(2), advert(ipHigh, 150, sec(1)), nil, Backup, sec(2) + sec(3) + 206*sec(1)/256},
		}},
		{"raising the priority above a nopreempt-accepted master does not preempt without preempt",
			with(v2(50), nopreempt), []step{
				{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, noDeadlineCheck},
				{sec(1), advert(ipLow, 100, sec(1)), nil, Backup, noDeadlineCheck},
				{sec(1.5), setPriority(200), nil, Backup, noDeadlineCheck},
				{sec(2), advert(ipLow, 100, sec(1)), nil, Backup, sec(2) + 3*sec(1) + 56*sec(1)/256},
			}},
		{"an advert from our own address is ignored", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), advert(ipSelf, 150, sec(1)), nil, Backup, v2Prio100Down},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.cfg, tt.steps) })
	}
}

func TestMachineMaster(t *testing.T) {
	master100 := with(v2(100), stateMaster)
	begin := step{0, start(), []Action{send(100), move(Init, Master, ReasonInitialMaster)}, Master, sec(1)}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"a master sends an advert every advert interval", master100, []step{
			begin,
			{sec(1), tick(), []Action{send(100)}, Master, sec(2)},
			{sec(1.5), tick(), nil, Master, sec(2)},
			{sec(2.2), tick(), []Action{send(100)}, Master, sec(3)},
			{sec(5), tick(), []Action{send(100)}, Master, sec(6)},
		}},
		{"a master steps down on a higher-priority advert", master100, []step{
			begin,
			{ms(500), advert(ipLow, 150, sec(1)), []Action{move(Master, Backup, ReasonHigherPriority)}, Backup, ms(500) + v2Prio100Down},
		}},
		{"a v3 master stepping down adopts the new master's interval", with(v3(100, sec(1)), stateMaster), []step{
			begin,
			{ms(500), advert(ipLow, 150, ms(100)), []Action{move(Master, Backup, ReasonHigherPriority)}, Backup, ms(500) + v3Prio100Down},
		}},
		{"a master steps down on an equal-priority advert from a higher address", master100, []step{
			begin,
			{ms(500), advert(ipHigh, 100, sec(1)), []Action{move(Master, Backup, ReasonEqualPriorityHigherIP)}, Backup, ms(500) + v2Prio100Down},
		}},
		{"a master keeps the role on an equal-priority advert from a lower address, answers and re-announces", master100, []step{
			begin,
			{ms(500), advert(ipLow, 100, sec(1)), []Action{send(100), Reannounce{}}, Master, sec(1.5)},
		}},
		{"a master answers a lower-priority advert at once, re-announces its VIPs and stays master", master100, []step{
			begin,
			{ms(300), advert(ipHigh, 99, sec(1)), []Action{send(100), Reannounce{}}, Master, sec(1.3)},
			{ms(400), advert(ipHigh, 99, sec(1)), []Action{send(100), Reannounce{}}, Master, sec(1.4)},
		}},
		{"with higher_prio_send_advert a master sends one advert before it yields to a higher priority", with(master100, sendsBeforeYield), []step{
			begin,
			{ms(500), advert(ipLow, 150, sec(1)), []Action{send(100), move(Master, Backup, ReasonHigherPriority)}, Backup, ms(500) + v2Prio100Down},
		}},
		{"with higher_prio_send_advert a master sends one advert before it yields on an equal-priority tie it loses", with(master100, sendsBeforeYield), []step{
			begin,
			{ms(500), advert(ipHigh, 100, sec(1)), []Action{send(100), move(Master, Backup, ReasonEqualPriorityHigherIP)}, Backup, ms(500) + v2Prio100Down},
		}},
		{"with higher_prio_send_advert a backup stays silent on a higher-priority advert", with(v2(100), sendsBeforeYield), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{ms(500), advert(ipLow, 150, sec(1)), nil, Backup, ms(500) + v2Prio100Down},
		}},
		{"a master answers a priority-zero advert at once", master100, []step{
			begin,
			{ms(300), advert(ipHigh, 0, sec(1)), []Action{send(100)}, Master, sec(1.3)},
		}},
		{"a master advertises a changed priority at once", master100, []step{
			begin,
			{ms(300), setPriority(80), []Action{send(80)}, Master, sec(1.3)},
			{ms(400), setPriority(80), nil, Master, sec(1.3)},
		}},
		{"a master at lowered priority steps down to a backup that now outranks it", master100, []step{
			begin,
			{ms(300), setPriority(80), []Action{send(80)}, Master, sec(1.3)},
			{ms(400), advert(ipLow, 98, sec(1)), []Action{move(Master, Backup, ReasonHigherPriority)}, Backup, noDeadlineCheck},
		}},
		{"the address owner ignores tracking", with(v2(255), func(c *Config) {}), []step{
			{0, start(), []Action{send(255), move(Init, Master, ReasonAddressOwner)}, Master, sec(1)},
			{ms(300), setPriority(80), nil, Master, sec(1)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.cfg, tt.steps) })
	}
}

func TestMachineFaultAndShutdown(t *testing.T) {
	master100 := with(v2(100), stateMaster)
	begin := step{0, start(), []Action{send(100), move(Init, Master, ReasonInitialMaster)}, Master, sec(1)}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"a master shutting down sends priority zero and then leaves master", master100, []step{
			begin,
			{ms(500), shutdown(), []Action{send(0), move(Master, Init, ReasonShutdown)}, Init, noTimer},
			{sec(1), tick(), nil, Init, noTimer},
			{sec(2), advert(ipHigh, 200, sec(1)), nil, Init, noTimer},
			{sec(3), setFault(true), nil, Init, noTimer},
			{sec(4), shutdown(), nil, Init, noTimer},
		}},
		{"a backup shutting down sends nothing", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), shutdown(), []Action{move(Backup, Init, ReasonShutdown)}, Init, noTimer},
		}},
		{"a master entering fault resigns with priority zero and stops its timers", master100, []step{
			begin,
			{ms(500), setFault(true), []Action{send(0), move(Master, Fault, ReasonFaultEntered)}, Fault, noTimer},
			{sec(5), tick(), nil, Fault, noTimer},
			{sec(6), advert(ipLow, 1, sec(1)), nil, Fault, noTimer},
			{sec(7), setPriority(50), nil, Fault, noTimer},
		}},
		{"a backup entering fault sends nothing", v2(100), []step{
			{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down},
			{sec(1), setFault(true), []Action{move(Backup, Fault, ReasonFaultEntered)}, Fault, noTimer},
			{sec(2), setFault(true), nil, Fault, noTimer},
		}},
		{"leaving fault goes to backup with a fresh down timer", master100, []step{
			begin,
			{sec(0.5), setFault(true), []Action{send(0), move(Master, Fault, ReasonFaultEntered)}, Fault, noTimer},
			{sec(10), setFault(false), []Action{move(Fault, Backup, ReasonFaultCleared)}, Backup, sec(10) + v2Prio100Down},
			{sec(10) + v2Prio100Down, tick(), []Action{send(100), move(Backup, Master, ReasonMasterDown)}, Master, noDeadlineCheck},
		}},
		{"leaving fault restarts the preempt delay",
			with(v2(100), func(c *Config) { c.PreemptDelay = sec(5) }), []step{
				{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, noDeadlineCheck},
				{sec(10), setFault(true), []Action{move(Backup, Fault, ReasonFaultEntered)}, Fault, noTimer},
				{sec(20), setFault(false), []Action{move(Fault, Backup, ReasonFaultCleared)}, Backup, noDeadlineCheck},
				{sec(21), advert(ipLow, 50, sec(1)), nil, Backup, sec(21) + v2Prio100Down},
				{sec(25), advert(ipLow, 50, sec(1)), nil, Backup, sec(21) + v2Prio100Down},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.cfg, tt.steps) })
	}
}
