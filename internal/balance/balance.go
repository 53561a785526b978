package balance

import (
	"fmt"
	"net/netip"
)

// Server is one usable server as an algorithm sees it.
type Server struct {
	ID      int    // position in the backend's config order; stable across changes
	Name    string // the key of the consistent-hash ring and of the Maglev table
	Weight  int    // effective weight, > 0 (servers of weight 0 are not in a Set), possibly multiplied by WeightScale
	Conns   int    // connections currently established or being established
	MaxConn int    // effective limit (ramped during slowstart); 0 = unlimited
}

// Full reports whether s has no free connection slot.
func (s *Server) Full() bool { return s.MaxConn > 0 && s.Conns >= s.MaxConn }

// Set is the usable servers of a backend, in config order. The caller bumps
// Gen whenever membership or a weight changes (not for Conns), so algorithms
// can cache derived tables such as a hash ring.
type Set struct {
	Servers []Server
	Gen     uint64
}

// TotalWeight is the sum of the weights in s.
func (s *Set) TotalWeight() int {
	t := 0
	for i := range s.Servers {
		t += s.Servers[i].Weight
	}
	return t
}

// Selector picks a server for a new connection. It returns an index into
// set.Servers, or -1 when no server can take it. Non-hashing algorithms skip
// full servers (the caller queues the connection on the backend when every
// server is full); hashing ones return the client's server even when full
// (the caller queues on that server). Selectors keep state between calls and
// are not safe for concurrent use: the caller serializes them.
type Selector interface {
	Select(set *Set, client netip.Addr) int
}

// Algorithm names match haproxy.cfg's `balance` keyword.
const (
	RoundRobin = "roundrobin"
	StaticRR   = "static-rr"
	LeastConn  = "leastconn"
	First      = "first"
	Source     = "source"
	Random     = "random"
)

// New returns a fresh Selector for algorithm (a `balance` keyword) and, for
// source, hashType ("map-based", the default when empty, "consistent" or
// "maglev", a halo extension).
func New(algorithm, hashType string) (Selector, error) {
	switch algorithm {
	case RoundRobin, "":
		return &roundRobin{}, nil
	case StaticRR:
		return &staticRR{}, nil
	case LeastConn:
		return &leastConn{}, nil
	case First:
		return first{}, nil
	case Random:
		return &random{draws: 2}, nil
	case Source:
		switch hashType {
		case "map-based", "":
			return mapBased{}, nil
		case "consistent":
			return &consistent{}, nil
		case "maglev":
			return &maglev{}, nil
		}
		return nil, fmt.Errorf("unknown hash-type %q", hashType)
	}
	return nil, fmt.Errorf("unknown balance algorithm %q", algorithm)
}

// IsHash reports whether algorithm maps a client to a fixed server (and so
// queues on that server rather than skipping it when it is full).
func IsHash(algorithm string) bool { return algorithm == Source }
