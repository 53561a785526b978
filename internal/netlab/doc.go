// Package netlab builds throw-away "hosts" out of Linux network namespaces
// (ip-netns(8)) joined by veth pairs (veth(4)) to one bridge that lives in a
// namespace of its own, so nothing in the caller's namespace changes. Tests
// and `halo lab` use it to run load balancers, backends and clients on one
// simulated Ethernet segment, cut their cables and make their links lossy.
//
// Namespaces are named "<prefix>-<pid>-<host>" (the switch is host
// "switch"), so the leftovers of a crashed run can be found and removed by
// CleanupStale. Everything needs root.
package netlab
