package haproxy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// maxTimer is HAProxy's largest timer: 2^31-1 milliseconds (about 24.8
// days); larger values overflow its internal clock and are refused.
const maxTimer = (1<<31 - 1) * time.Millisecond

// timeUnits are the suffixes of configuration.txt 2.5 "Time format".
var timeUnits = map[string]time.Duration{
	"us": time.Microsecond,
	"ms": time.Millisecond,
	"s":  time.Second,
	"m":  time.Minute,
	"h":  time.Hour,
	"d":  24 * time.Hour,
	"":   time.Millisecond, // a bare number is milliseconds
}

// parseTime reads a time value such as "10s", "1m" or "500" (milliseconds).
func parseTime(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	unit, ok := timeUnits[s[i:]]
	if i == 0 || !ok {
		return 0, fmt.Errorf("bad time value %q: want a number with an optional unit us, ms, s, m, h or d (bare numbers are milliseconds)", s)
	}
	n, err := strconv.ParseUint(s[:i], 10, 63)
	if err != nil || n > uint64(maxTimer/unit) {
		return 0, fmt.Errorf("time value %q is too large (the limit is 24d20h31m23s)", s)
	}
	return time.Duration(n) * unit, nil
}

// parseInt reads a decimal integer in [lo, hi].
func parseInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range %d..%d", n, lo, hi)
	}
	return n, nil
}

// parsePort reads a TCP port, 1..65535.
func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || !isDigit(s[0]) {
		return 0, fmt.Errorf("bad port %q", s)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("bad port %q: out of range 1..65535", s)
	}
	return n, nil
}

// validName reports whether s is a valid proxy or server name: HAProxy
// allows letters, digits, '-', '_', '.' and ':'.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isIdentByte(c) && c != '-' && c != '.' && c != ':' {
			return false
		}
	}
	return true
}

// validHostname reports whether s looks like a DNS name (RFC 1123 labels,
// underscores tolerated as resolvers do).
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isIdentByte(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// validHost reports whether s is an IP address or a host name.
func validHost(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	return validHostname(s)
}

// quoteList formats names as 'a', 'b' for messages.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}
