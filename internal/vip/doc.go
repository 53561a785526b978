// Package vip holds and releases virtual IP addresses on an interface, as
// keepalived's virtual_ipaddress block does (keepalived.conf(5)), through
// rtnetlink (rtnetlink(7)), and announces a newly held address to the
// segment: IPv4 with gratuitous ARP (RFC 5227 §3 ARP Announcement,
// RFC 5944 §4.6), IPv6 with unsolicited Neighbor Advertisements
// (RFC 4861 §7.2.6).
//
// A Manager acts in the network namespace of the calling OS thread.
package vip
