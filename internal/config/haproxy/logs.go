package haproxy

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// LogTarget is one `log` line: where lines go, in which format, with which
// facility and levels (HAProxy 2.6 configuration.txt, "log").
type LogTarget struct {
	Written  string // the address as written, for messages
	Network  string // "unixgram", "udp", "stdout" or "stderr"
	Address  string // socket path or HOST:PORT; "" for stdout/stderr
	Format   string // rfc3164 (default), rfc5424, short, raw, local, priority, timed, iso
	Facility int    // syslog facility number
	MaxLevel int    // lines above (less severe than) this level are not sent; 7 = all
	MinLevel int    // lines below (more severe than) this level are sent at MinLevel
	Len      int    // longest line sent; 0 = 1024
	Line     int
}

// Facilities and levels, numbered as syslog numbers them.
var (
	logFacilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
		"uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	LogLevels  = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
	logFormats = []string{"rfc3164", "rfc5424", "short", "raw", "local", "priority", "timed", "iso"}
)

// logLine reads `log global`, `log TARGET [len N] [format F] [sample R:S]
// FACILITY [LEVEL [MINLEVEL]]` into *dst; where names the section.
// `log global` (in a proxy) copies the global targets in finish.
func (b *builder) logLine(where string, l line, dst *[]LogTarget, global *bool) {
	if l.arg(1) == "global" && len(l.words) == 2 {
		if global == nil {
			b.errf(l.num, "%s: 'log global' belongs in a defaults, frontend or listen section", where)
			return
		}
		*global = true
		return
	}
	if len(l.words) < 3 {
		b.errf(l.num, "%s: 'log' needs a target and a facility (log /dev/log local0), or 'global'", where)
		return
	}
	t := LogTarget{Written: l.arg(1), MaxLevel: 7, Line: l.num, Format: "rfc3164"}
	if err := parseLogAddress(&t); err != nil {
		if err == errRingTarget {
			b.warnf(l.num, "%s: log target '%s' is ignored: halo has no ring buffers; log to a socket, a host or stdout", where, t.Written)
			return
		}
		b.errf(l.num, "%s: log target '%s': %v", where, t.Written, err)
		return
	}
	rest := l.words[2:]
	for len(rest) >= 2 {
		switch rest[0] {
		case "len":
			n, err := strconv.Atoi(rest[1])
			if err != nil || n < 80 || n > 65535 {
				b.errf(l.num, "%s: log len '%s': want a number from 80 to 65535", where, rest[1])
				return
			}
			t.Len = n
		case "format":
			if !slices.Contains(logFormats, rest[1]) {
				b.errf(l.num, "%s: log format '%s': want one of %s", where, rest[1], strings.Join(logFormats, ", "))
				return
			}
			t.Format = rest[1]
		case "sample":
			b.warnf(l.num, "%s: log sample '%s' is ignored: halo sends every line", where, rest[1])
		default:
			goto facility
		}
		rest = rest[2:]
	}
facility:
	if len(rest) == 0 || len(rest) > 3 {
		b.errf(l.num, "%s: 'log %s' needs a facility, then at most a level and a minimum level", where, t.Written)
		return
	}
	t.Facility = slices.Index(logFacilities, rest[0])
	if t.Facility < 0 {
		b.errf(l.num, "%s: log facility '%s': want one of %s", where, rest[0], strings.Join(logFacilities, " "))
		return
	}
	if len(rest) >= 2 {
		if t.MaxLevel = slices.Index(LogLevels, rest[1]); t.MaxLevel < 0 {
			b.errf(l.num, "%s: log level '%s': want one of %s", where, rest[1], strings.Join(LogLevels, " "))
			return
		}
	}
	if len(rest) == 3 {
		if t.MinLevel = slices.Index(LogLevels, rest[2]); t.MinLevel < 0 {
			b.errf(l.num, "%s: log minimum level '%s': want one of %s", where, rest[2], strings.Join(LogLevels, " "))
			return
		}
	}
	*dst = append(*dst, t)
}

var errRingTarget = fmt.Errorf("ring target")

// parseLogAddress reads the target forms of configuration.txt: a path
// (unix datagram socket, such as /dev/log), unix@PATH, udp@ / udp4@ /
// udp6@ / ipv4@ / ipv6@ HOST[:PORT], HOST[:PORT] (UDP, port 514),
// stdout, stderr, fd@1, fd@2.
func parseLogAddress(t *LogTarget) error {
	a := t.Written
	switch a {
	case "stdout", "fd@1":
		t.Network = "stdout"
		return nil
	case "stderr", "fd@2":
		t.Network = "stderr"
		return nil
	}
	if strings.HasPrefix(a, "/") {
		t.Network, t.Address = "unixgram", a
		return nil
	}
	pfx, rest, ok := strings.Cut(a, "@")
	if !ok {
		pfx, rest = "udp", a
	}
	switch pfx {
	case "unix":
		t.Network, t.Address = "unixgram", rest
		return nil
	case "ring":
		return errRingTarget
	case "udp", "udp4", "udp6", "ipv4", "ipv6":
	default:
		return fmt.Errorf("unknown address family '%s@' (want a path, unix@, udp@, ipv4@, ipv6@, stdout or stderr)", pfx)
	}
	if ap, err := netip.ParseAddrPort(rest); err == nil {
		t.Network, t.Address = "udp", ap.String()
		return nil
	}
	if ip, err := netip.ParseAddr(strings.Trim(rest, "[]")); err == nil {
		t.Network, t.Address = "udp", netip.AddrPortFrom(ip, 514).String()
		return nil
	}
	host, port, err := splitHostPortDefault(rest, "514")
	if err != nil {
		return err
	}
	t.Network, t.Address = "udp", host+":"+port
	return nil
}

func splitHostPortDefault(s, port string) (string, string, error) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		p := s[i+1:]
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("bad port '%s'", p)
		}
		return s[:i], p, nil
	}
	if s == "" {
		return "", "", fmt.Errorf("no host")
	}
	return s, port, nil
}

func (b *builder) logKw(p *proxy, l line) { b.logLine(p.where(), l, &p.logs, &p.logGlobal) }
