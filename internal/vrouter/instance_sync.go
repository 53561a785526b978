package vrouter

import "time"

// forceReq is a pending Force for the loop.
type forceReq struct {
	to     State
	detail string
}

// SetGate sets what a Backup asks before it takes over on its own down
// timer (a vrrp_sync_group that still defers to a live master says no;
// the machine then Defers). nil, the default, always allows. The gate runs
// on the loop and must not block. It may be set at any time.
func (i *Instance) SetGate(gate func() bool) {
	if gate == nil {
		i.gate.Store(nil)
		return
	}
	i.gate.Store(&gate)
}

// Force asks the loop to move the machine to Master or Backup because its
// sync group moved (Machine.Force). It never blocks; the latest request
// wins.
func (i *Instance) Force(to State, detail string) {
	i.mu.Lock()
	i.force = &forceReq{to: to, detail: detail}
	i.mu.Unlock()
	i.poke()
}

// tick fires the due timer, asking the gate first when a Backup would
// take over.
func (i *Instance) tick(m *Machine, now time.Time) {
	if g := i.gate.Load(); g != nil && m.State() == Backup && m.Due(now) && !(*g)() {
		i.apply(m, m.Defer(now))
		return
	}
	i.apply(m, m.Tick(now))
}

// applyForce performs a pending Force. Before Start the request stays
// pending: a member forced up by a sibling that started first must still
// follow its group once its own loop starts (Run applies it then).
func (i *Instance) applyForce(m *Machine, now time.Time) {
	if !m.started {
		return
	}
	i.mu.Lock()
	f := i.force
	i.force = nil
	i.mu.Unlock()
	if f != nil {
		i.apply(m, m.Force(now, f.to, f.detail))
	}
}
