// Package bgp is halo's BGP speaker: GoBGP (github.com/osrg/gobgp/v4),
// embedded, configured from keepalived.conf's bgp_speaker block. It
// announces routes to the configured neighbors and never installs what
// they send (the import policy rejects everything).
//
// Owners (a bgp_announce block, a vrrp_instance with bgp_announce_vips)
// say which routes they want with Speaker.Set; the speaker keeps GoBGP's
// local RIB equal to the union. Shutdown and Maintenance send every route
// again with RFC 8326's GRACEFUL_SHUTDOWN community, wait the configured
// delay so the routers move traffic away, then withdraw.
package bgp
