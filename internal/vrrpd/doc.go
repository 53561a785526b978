// Package vrrpd runs the keepalived.conf half of halo: the VRRP instances
// of RFC 5798 (and RFC 3768 for version 2) on their raw sockets, the
// trackers that move their priority, and the effects a transition has on
// the host — VIPs added and announced, notify scripts run.
//
// The state machine itself is internal/vrouter; this package wires it to
// the world through the small interfaces of env.go (sockets, addresses,
// announcements, links), so that it runs against fakes in tests
// (vrrpdtest) and against netlink and raw sockets in halo. Transitions are
// published to listeners (Router.Subscribe) in order on the instance's
// loop: the VIPs first, then notify scripts, metrics and, later, BGP.
package vrrpd
