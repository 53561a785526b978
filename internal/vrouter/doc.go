// Package vrouter implements the VRRP virtual-router state machine of
// RFC 5798 §6.4 (with the RFC 3768 VRRPv2 timer differences) and the event
// loop that drives one instance with real time.
//
// The Machine is pure: events (start, adverts, timer ticks, priority and
// fault changes, shutdown) go in with the current time, and actions
// (SendAdvert, Transition) come out. It never touches sockets, netlink or the
// wall clock. The Instance owns one Machine, feeds it from its receive and
// tracker goroutines through one loop, performs the adverts through a Sender
// and reports transitions, in order, to a single callback.
//
// Where keepalived (keepalived.conf(5) and its observable behaviour) and the
// RFC differ, the machine follows keepalived, as halo must interoperate with
// it; each such choice is marked "keepalived:" in the code:
//
//   - InitialState Master (keepalived "state MASTER") sends an advert and
//     becomes Master at startup even below priority 255; the RFC reserves
//     that for the address owner. An existing higher-priority master then
//     wins through the normal rules.
//   - A Master that hears a lower-priority advert answers at once with its
//     own advert instead of ignoring it, so the other router steps down fast.
//   - A Master that leaves for Fault or Shutdown sends a priority-0 advert so
//     a backup takes over after Skew_Time.
//   - PreemptDelay is "seconds after startup until preemption": for that
//     long after Start (and after leaving Fault) a preempting Backup accepts
//     lower-priority adverts as if it were nopreempt.
//   - VRRPv2 adverts whose interval differs from ours are accepted (not
//     discarded as RFC 3768 §7.1 asks, which keepalived only does with
//     vrrp_strict); the v2 machine always times with its own interval.
package vrouter
