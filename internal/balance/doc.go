// Package balance implements HAProxy's server selection algorithms as
// documented in configuration.txt (`balance roundrobin|static-rr|leastconn|
// first|source|random`, `hash-type map-based|consistent`), plus `hash-type
// maglev`, the lookup table of Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer" (NSDI 2016, section 3.4): pure functions of
// a server set and a client address, with no sockets and no clock. The hash
// used by `balance source` is specified byte for byte in docs/BALANCING.md so
// that two nodes (or two implementations) pick the same server for a client.
package balance
