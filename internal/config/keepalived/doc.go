// Package keepalived reads keepalived.conf files, following the
// keepalived.conf(5) manual page, into a validated typed Config that drives
// halo's VRRP routers (RFC 3768 for version 2, RFC 5798/9568 for version 3),
// VIP manager and trackers, with "path:line: error|warning: text"
// diagnostics.
//
// The stages are: text -> tokens -> a tree of statements and blocks
// (lexer.go, include handling in load.go) -> typed sections (parse.go,
// instance.go) -> cross-checks (validate.go). CheckPair (pair.go) compares
// the files of the two nodes of a pair.
//
// Choices that keepalived leaves open or makes differently, in one place:
//   - advert_int with a fraction of a second under VRRPv2 is rounded UP to
//     the next whole second, with a warning (keepalived rounds to nearest);
//     rounding up never makes the interval shorter than what was written.
//     Under VRRPv3 it is rounded up to the next centisecond (0.01 s .. 40.95 s).
//   - IPv4 and IPv6 addresses mixed in one virtual_ipaddress block are an
//     error (keepalived drops the addresses of the other family with a log
//     line, which would leave a VIP silently unserved). The other family
//     belongs in virtual_ipaddress_excluded, which may mix families.
//   - Authentication with VRRPv3 is ignored with a warning, as keepalived
//     does; auth_pass longer than 8 characters is cut to its first 8 with a
//     warning, as keepalived does.
//   - LVS blocks (virtual_server, virtual_server_group, real_server) are
//     errors: the service belongs in the haproxy config.
//   - halo's keyword `vrrp_v3_checksum_pseudo_header BOOL` in global_defs
//     picks the VRRPv3-over-IPv4 checksum: true (default, keepalived's
//     behaviour) includes the IPv4 pseudo-header, false computes it over the
//     VRRP message only (RFC 9568). keepalived's own per-instance
//     `v3_checksum_as_v2 [BOOL]` is honoured too (same switch, inverse sense).
//   - halo's keyword `track_backend { NAME [weight N [reverse]] }` in a
//     vrrp_instance tracks a backend of the haproxy config.
package keepalived
