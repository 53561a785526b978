// Package track turns what an instance tracks — vrrp_script results,
// interface link state, and halo's track_backend — into the effective VRRP
// priority or FAULT, following keepalived.conf(5): a positive weight is added
// while the tracked thing is good, a negative weight is added while it is
// bad, and weight 0 puts the instance in FAULT while it is bad. The result is
// clamped to 1..254 (255 is reserved for the address owner).
package track
