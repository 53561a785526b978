package vrouter

import (
	"net/netip"
	"time"
)

// One method per state and event, after RFC 5798 §6.4.2 (Backup) and
// §6.4.3 (Master). Init and Fault take no events.

// advertInBackup is RFC 5798 §6.4.2 (650)–(695).
func (m *Machine) advertInBackup(now time.Time, a Advert) []Action {
	if a.Priority == 0 {
		// (660): the master resigned; take over after Skew_Time unless a
		// better backup speaks first.
		m.downBase = now
		m.downDeadline = now.Add(m.skewTime())
		m.sawPriorityZero = true
		m.liveMaster = a.Src
		return nil
	}
	if a.Priority < m.priority && m.preempts(now) {
		// (695): discard; the down timer runs out and we preempt.
		m.discardedLower = true
		m.liveMaster = a.Src
		return nil
	}
	// (675)–(685): accept this master. Only v3 adopts its interval.
	if m.cfg.Version == 3 && a.MaxAdvertInterval > 0 {
		m.masterAdverInterval = a.MaxAdvertInterval
	}
	m.master, m.masterPriority = a.Src, a.Priority
	m.resetDownTimer(now)
	return nil
}

// tickBackup is RFC 5798 §6.4.2 (600)–(640): Master_Down_Timer fired.
func (m *Machine) tickBackup(now time.Time) []Action {
	r, detail := ReasonMasterDown, "no advert for master down interval"
	peer := m.liveMaster
	switch {
	case m.sawPriorityZero:
		r, detail = ReasonPriorityZero, "master resigned, skew time passed"
	case m.discardedLower:
		r, detail = ReasonPreempt, "preempting lower-priority master"
		if peer.IsValid() {
			detail += " " + peer.String()
		}
	default:
		peer = netip.Addr{} // silent: nobody to hand flows to
	}
	return m.becomeMasterFrom(now, r, detail, peer)
}

// advertInMaster is RFC 5798 §6.4.3 (700)–(790).
func (m *Machine) advertInMaster(now time.Time, a Advert) []Action {
	switch {
	case a.Priority == 0:
		// (725)–(730): another router resigned; assert ourselves at once.
		return m.sendAdvert(now)
	case a.Priority > m.priority:
		if m.settling(now) {
			return nil
		}
		return m.yield(now, a, ReasonHigherPriority)
	case a.Priority == m.priority && winsTie(a.Src, m.cfg.PrimaryIP):
		if m.settling(now) {
			return nil
		}
		return m.yield(now, a, ReasonEqualPriorityHigherIP)
	}
	// (780) says discard. keepalived: answer with an advert right away so
	// a lower-priority master steps down without waiting an interval, and
	// re-announce the VIPs: during a split brain the clients' ARP caches
	// may point at the other master.
	return append(m.sendAdvert(now), Reannounce{})
}

// yield steps down to a better master. With HigherPrioSendAdvert it first
// sends one advert of its own, so the winner hears a lower-priority master
// and re-announces the VIPs whichever advert crossed a healed link first.
func (m *Machine) yield(now time.Time, a Advert, r Reason) []Action {
	var acts []Action
	if m.cfg.HigherPrioSendAdvert {
		acts = append(acts, SendAdvert{Priority: m.priority})
	}
	return append(acts, m.stepDown(now, a, r)...)
}

// stepDown is RFC 5798 §6.4.3 (755)–(775): Master → Backup, adopting the
// new master's interval (v3) and arming the down timer.
func (m *Machine) stepDown(now time.Time, a Advert, r Reason) []Action {
	interval := m.cfg.AdvertInterval
	if m.cfg.Version == 3 && a.MaxAdvertInterval > 0 {
		interval = a.MaxAdvertInterval
	}
	m.master, m.masterPriority = a.Src, a.Priority
	return m.becomeBackup(now, r, advertDetail(a), interval)
}

// tickMaster is RFC 5798 §6.4.3 (705)–(715): Adver_Timer fired. The next
// advert keeps the schedule unless the caller fell behind it.
func (m *Machine) tickMaster(now time.Time) []Action {
	next := m.adverDue.Add(m.cfg.AdvertInterval)
	acts := m.sendAdvert(now)
	if next.After(now) {
		m.adverDue = next
	}
	return acts
}
