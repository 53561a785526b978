package vrrpd

import (
	"time"

	"github.com/halo-lb/halo/internal/vrouter"
)

// Event is one state change of an instance, as listeners hear it.
type Event struct {
	Instance  string
	VRID      uint8
	Interface string
	From, To  vrouter.State
	Reason    vrouter.Reason
	Detail    string
	Priority  uint8 // effective priority at the change
	At        time.Time
}

// Listener hears every transition of every instance, on the instance's
// loop, in order; the loop waits for it, so a listener must be quick (the
// notify listener queues its scripts). VIPs are added before any listener
// runs on entering MASTER, and removed before any runs on leaving it.
type Listener func(Event)
