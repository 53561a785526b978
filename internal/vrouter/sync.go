package vrouter

import (
	"net/netip"
	"time"
)

// Sync groups (keepalived's vrrp_sync_group) couple several machines: the
// caller moves the others when one moves (Force), and holds a Backup back
// from taking over on its own while the group still defers to a live
// master (Defer). The machine itself stays one router's RFC 5798 logic.

// Force moves the machine to Master or Backup because its sync group did,
// with ReasonSyncGroup. Only Backup → Master and Master → Backup happen;
// any other request (Init, Fault, the state it is in) does nothing.
//
// A machine forced to Master settles for one Master_Down_Interval: it
// does not yield to a better master's advert meanwhile. The group went
// MASTER because another member won its own election against a peer
// node; when that node's instances are grouped too, its member on this
// VRID is about to be forced to BACKUP by its own group, and the adverts
// it sends until then (its answer to our first advert, a regular one
// already due) are stale. Yielding to them would take this whole group
// back to BACKUP, beside a peer group that is going BACKUP too, and the
// two groups would chase each other instead of converging. A better
// master still heard after the settle time is real: the machine yields
// to it then, and the group follows as usual. A Force to Backup, or any
// other transition, ends the settle time at once.
func (m *Machine) Force(now time.Time, to State, detail string) []Action {
	if !m.started || m.stopped {
		return nil
	}
	switch {
	case m.state == Backup && to == Master:
		acts := m.becomeMaster(now, ReasonSyncGroup, detail)
		m.groupSettle = now.Add(m.masterDownInterval())
		return acts
	case m.state == Master && to == Backup:
		// The group follows a member that heard a better master; our own
		// master is unknown until its adverts arrive.
		return m.becomeBackup(now, ReasonSyncGroup, detail, m.cfg.AdvertInterval)
	}
	return nil
}

// Defer is Tick for a Backup whose down timer is due but whose sync group
// does not let it take over alone: it stays Backup and waits another
// Master_Down_Interval. The master it followed counts as gone (its timer
// ran out), so it no longer holds its group back. Other states: Tick.
func (m *Machine) Defer(now time.Time) []Action {
	d := m.NextDeadline()
	if m.state != Backup || d.IsZero() || now.Before(d) {
		return m.Tick(now)
	}
	m.master, m.masterPriority = netip.Addr{}, 0
	m.downBase = now
	m.downDeadline = now.Add(m.masterDownInterval())
	return nil
}

// Due reports whether Tick would fire a timer at now.
func (m *Machine) Due(now time.Time) bool {
	d := m.NextDeadline()
	return !d.IsZero() && !now.Before(d)
}

// settling reports whether a Master forced up by its sync group is still
// in its settle time (see Force).
func (m *Machine) settling(now time.Time) bool {
	return m.state == Master && now.Before(m.groupSettle)
}
