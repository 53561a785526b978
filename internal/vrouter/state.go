package vrouter

import (
	"fmt"
	"net/netip"
	"time"
)

// State is a VRRP router state (RFC 5798 §6.4), plus Fault as keepalived
// has it: the instance is unable to serve and takes no part in elections.
type State int

// The states of RFC 5798 §6.4 and keepalived's FAULT.
const (
	Init State = iota
	Backup
	Master
	Fault
)

func (s State) String() string {
	switch s {
	case Init:
		return "INIT"
	case Backup:
		return "BACKUP"
	case Master:
		return "MASTER"
	case Fault:
		return "FAULT"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Reason says why a transition happened.
type Reason int

// Reasons for transitions.
const (
	// ReasonStartup: Init → Backup at Start.
	ReasonStartup Reason = iota
	// ReasonAddressOwner: Init → Master at Start with priority 255.
	ReasonAddressOwner
	// ReasonInitialMaster: Init → Master at Start because the configured
	// initial state is Master (keepalived "state MASTER").
	ReasonInitialMaster
	// ReasonMasterDown: Backup → Master, Master_Down_Timer expired with no
	// advert heard.
	ReasonMasterDown
	// ReasonPreempt: Backup → Master, Master_Down_Timer expired while we
	// were discarding a lower-priority master's adverts (we preempt it).
	ReasonPreempt
	// ReasonPriorityZero: Backup → Master, the master resigned with a
	// priority-0 advert and Skew_Time passed.
	ReasonPriorityZero
	// ReasonHigherPriority: Master → Backup, an advert with a higher
	// priority arrived.
	ReasonHigherPriority
	// ReasonEqualPriorityHigherIP: Master → Backup, an advert with our
	// priority from a higher primary address arrived.
	ReasonEqualPriorityHigherIP
	// ReasonFaultEntered: any state → Fault.
	ReasonFaultEntered
	// ReasonFaultCleared: Fault → Backup.
	ReasonFaultCleared
	// ReasonShutdown: any state → Init at Shutdown.
	ReasonShutdown
	// ReasonMaintenance: Master → Backup, the node was put in maintenance
	// (a planned handover): it resigned with a priority-0 advert.
	ReasonMaintenance
	// ReasonSyncGroup: Backup ↔ Master because another member of the
	// instance's vrrp_sync_group moved (Force).
	ReasonSyncGroup
)

func (r Reason) String() string {
	switch r {
	case ReasonStartup:
		return "startup"
	case ReasonAddressOwner:
		return "address-owner"
	case ReasonInitialMaster:
		return "initial-state-master"
	case ReasonMasterDown:
		return "master-down"
	case ReasonPreempt:
		return "preempt-lower-priority"
	case ReasonPriorityZero:
		return "priority-zero-received"
	case ReasonHigherPriority:
		return "higher-priority-advert"
	case ReasonEqualPriorityHigherIP:
		return "equal-priority-higher-ip"
	case ReasonFaultEntered:
		return "fault-entered"
	case ReasonFaultCleared:
		return "fault-cleared"
	case ReasonShutdown:
		return "shutdown"
	case ReasonMaintenance:
		return "maintenance"
	case ReasonSyncGroup:
		return "sync-group"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Action is something the caller of a Machine must do, in the order
// returned: a SendAdvert, a Transition or a Reannounce.
type Action interface{ isAction() }

// SendAdvert asks the caller to send one advertisement with this priority
// (0 means "I resign", RFC 5798 §6.4.3).
type SendAdvert struct {
	Priority uint8
}

// Transition reports a state change. VIPs must follow it: added on entering
// Master, removed on leaving it.
type Transition struct {
	From, To State
	Reason   Reason
	Detail   string    // human words: the advert's sender, the fault, …
	At       time.Time // the now of the event that caused it
	// Peer is the other master of the change, when one is alive: the
	// master that resigned (priority zero) or was preempted, for a
	// Backup → Master change; the new master, for a Master → Backup step
	// down. Invalid when the change had no live peer (master down, fault,
	// startup). A flow hand-off needs it.
	Peer netip.Addr
}

// Reannounce asks the caller, a Master, to announce its VIPs again now
// (gratuitous ARP / unsolicited NA): it heard a lower-priority master, so
// clients may have learnt the other node's MAC.
type Reannounce struct{}

func (SendAdvert) isAction() {}
func (Reannounce) isAction() {}
func (Transition) isAction() {}
