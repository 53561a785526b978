// Package track watches what a VRRP instance tracks: it runs vrrp_script
// commands with keepalived's interval, timeout, rise and fall, and follows
// interface link state over netlink. The daemon turns the verdicts into a
// priority with keepalived's weight rules (config/keepalived Track.Delta).
package track
