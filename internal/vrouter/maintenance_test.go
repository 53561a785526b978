package vrouter

import (
	"net/netip"
	"testing"
)

func transitionOf(t *testing.T, acts []Action) Transition {
	t.Helper()
	for _, a := range acts {
		if tr, ok := a.(Transition); ok {
			return tr
		}
	}
	t.Fatalf("no transition in %v", acts)
	return Transition{}
}

// A master put in maintenance resigns with priority 0 and advertises 1
// from then on; with no other master it takes over again after the
// master-down interval of priority 1; leaving maintenance restores the
// priority.
func TestMaintenanceResignsAndStillTakesOverAlone(t *testing.T) {
	m := NewMachine(Config{VRID: 1, Priority: 100, InitialState: Master, Preempt: true, PrimaryIP: ipSelf})
	m.Start(t0)
	acts := m.SetMaintenance(t0.Add(ms(10)), true)
	if len(acts) != 2 || acts[0] != (SendAdvert{Priority: 0}) {
		t.Fatalf("maintenance of a master: %v, want a priority-0 advert then a transition", acts)
	}
	if tr := transitionOf(t, acts); tr.To != Backup || tr.Reason != ReasonMaintenance {
		t.Fatalf("transition %+v, want Backup for maintenance", tr)
	}
	if m.Priority() != 1 || !m.Maintenance() {
		t.Fatalf("priority %d maintenance %v, want 1 true", m.Priority(), m.Maintenance())
	}
	// Nobody answers: priority 1's master-down interval is 3 s + 255/256 s.
	down := m.NextDeadline().Sub(t0.Add(ms(10)))
	if want := sec(3) + 996093750; down != want {
		t.Fatalf("down timer %v, want %v", down, want)
	}
	acts = m.Tick(m.NextDeadline())
	if tr := transitionOf(t, acts); tr.To != Master || tr.Peer.IsValid() {
		t.Fatalf("alone in maintenance: %+v, want Master with no live peer", tr)
	}
	if acts[0] != (SendAdvert{Priority: 1}) {
		t.Fatalf("advert %v, want priority 1", acts[0])
	}
	m.SetMaintenance(t0.Add(sec(5)), false)
	if m.SetPriority(t0.Add(sec(5)), 100); m.Priority() != 100 {
		t.Fatalf("priority after resume %d", m.Priority())
	}
}

// The peer of a change is the live master on the other side: the one that
// resigned, the one preempted, the one we yield to; none after silence.
func TestTransitionPeer(t *testing.T) {
	cases := []struct {
		name string
		run  func(m *Machine) Transition
		want netip.Addr
	}{
		{"priority zero", func(m *Machine) Transition {
			m.Start(t0)
			m.Advert(t0.Add(ms(100)), Advert{Src: ipHigh, Priority: 200})
			m.Advert(t0.Add(ms(200)), Advert{Src: ipHigh, Priority: 0})
			return transitionOf(t, m.Tick(m.NextDeadline()))
		}, ipHigh},
		{"preempt", func(m *Machine) Transition {
			m.Start(t0)
			m.Advert(t0.Add(ms(100)), Advert{Src: ipLow, Priority: 50})
			return transitionOf(t, m.Tick(m.NextDeadline()))
		}, ipLow},
		{"master down", func(m *Machine) Transition {
			m.Start(t0)
			m.Advert(t0.Add(ms(100)), Advert{Src: ipHigh, Priority: 200})
			return transitionOf(t, m.Tick(m.NextDeadline()))
		}, netip.Addr{}},
		{"step down", func(m *Machine) Transition {
			m.Start(t0)
			m.Tick(m.NextDeadline())
			return transitionOf(t, m.Advert(t0.Add(sec(5)), Advert{Src: ipHigh, Priority: 200}))
		}, ipHigh},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := NewMachine(Config{VRID: 1, Priority: 100, Preempt: true, PrimaryIP: ipSelf})
			if got := c.run(m); got.Peer != c.want {
				t.Fatalf("peer %v, want %v (%+v)", got.Peer, c.want, got)
			}
		})
	}
}
