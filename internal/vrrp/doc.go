// Package vrrp encodes and decodes VRRP advertisements after RFC 3768
// (VRRPv2, IPv4) and RFC 5798 (VRRPv3, IPv4 and IPv6), and sends and receives
// them on a raw IPPROTO_VRRP (112) socket bound to one interface.
//
// The package holds no protocol state: the VRID, authentication and
// advertisement-interval checks of RFC 5798 section 7.1 belong to the virtual
// router instance. Conn drops and counts what fails the per-packet checks the
// RFCs require of every receiver (TTL/hop limit 255, version, type, length,
// checksum, arriving interface). Checksums, IPv6 ones included, are
// computed and verified by the package, not by the kernel (IPV6_CHECKSUM is
// left unset), so that bad ones are counted.
package vrrp
