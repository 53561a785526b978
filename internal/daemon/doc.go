// Package daemon supervises halo's parts in one process: the proxy and its
// health checks from haproxy.cfg, the VRRP instances and their trackers from
// keepalived.conf. It is the only place where a VRRP state change reaches the
// OS (VIP addresses, gratuitous ARP/NA, notify scripts).
package daemon
