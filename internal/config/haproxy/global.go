package haproxy

import (
	"net/netip"
	"strconv"
	"strings"
)

// globalIgnored are global keywords accepted with a warning saying what
// halo does instead.
var globalIgnored = map[string]string{
	"chroot":         "halo does not chroot; confine it with systemd (ProtectSystem=, RootDirectory=)",
	"nbproc":         "halo runs one process",
	"master-worker":  "halo reloads in process on SIGHUP",
	"external-check": "halo runs no external check programs",
	"resetenv":       "halo keeps the environment",
	"localpeer":      "halo has no peers section",
}

// globalSilent are global keywords without consequence for halo: tuning,
// TLS defaults (halo terminates no TLS), logging details, descriptions.
var globalSilent = map[string]bool{
	"nbthread": true, "cpu-map": true, "ca-base": true, "crt-base": true,
	"max-spread-checks": true, "node": true, "description": true,
	"quiet": true, "zero-warning": true,
	"maxsslconn":        true,
	"ssl-server-verify": true, "ssl-dh-param-file": true, "h1-case-adjust": true,
	"busy-polling": true, "noepoll": true, "nosplice": true, "nogetaddrinfo": true,
	"expose-experimental-directives": true, "insecure-fork-wanted": true, "pp2-never-send-local": true,
	"stats-file": true, "set-dumpable": true, "hard-stop-after-grace": true, "grace": true,
}

// globalLine applies one line of the global section.
func (b *builder) globalLine(l line) {
	b.global.noteLine(l)
	if b.globalLimit(l) { // resources, sockets, spread-checks, server state
		return
	}
	kw := l.kw()
	g := &b.global
	switch {
	case kw == "maxconn":
		if len(l.words) != 2 {
			b.errf(l.num, "global: 'maxconn' needs one number")
			return
		}
		n, err := parseInt(l.arg(1), 0, 1<<30)
		if err != nil {
			b.errf(l.num, "global: maxconn: %v", err)
			return
		}
		g.MaxConn = n
	case kw == "daemon":
		g.Daemon = true
		b.warnf(l.num, "global: 'daemon' is accepted, but halo stays in the foreground (run it under systemd)")
	case kw == "user" || kw == "group" || kw == "uid" || kw == "gid":
		b.globalAccount(l)
	case kw == "pidfile":
		if len(l.words) != 2 {
			b.errf(l.num, "global: 'pidfile' needs one path")
			return
		}
		g.PidFile = l.arg(1)
	case kw == "hard-stop-after":
		if len(l.words) != 2 {
			b.errf(l.num, "global: 'hard-stop-after' needs one time value")
			return
		}
		d, err := parseTime(l.arg(1))
		if err != nil {
			b.errf(l.num, "global: hard-stop-after: %v", err)
			return
		}
		g.HardStopAfter = d
	case kw == "stats":
		b.globalStats(l)
	case kw == "log":
		b.logLine("global", l, &g.Logs, nil)
	case kw == "log-tag":
		if len(l.words) != 2 {
			b.errf(l.num, "global: 'log-tag' needs one word")
			return
		}
		g.LogTag = l.arg(1)
	case kw == "log-send-hostname":
		g.LogHostname = "-" // the host's name, looked up when logging
		if len(l.words) > 1 {
			g.LogHostname = l.arg(1)
		}
	case kw == "setenv" || kw == "presetenv":
		if len(l.words) != 3 {
			b.errf(l.num, "global: '%s' needs a name and a value", kw)
			return
		}
		if _, set := b.lookupEnv(l.arg(1)); kw == "setenv" || !set {
			b.envSet[l.arg(1)] = l.arg(2)
		}
	case kw == "unsetenv":
		for _, name := range l.words[1:] {
			delete(b.envSet, name)
			b.envUnset[name] = true
		}
	case globalSilent[kw], strings.HasPrefix(kw, "tune."), strings.HasPrefix(kw, "ssl-default-"),
		strings.HasPrefix(kw, "ssl-engine"), strings.HasPrefix(kw, "ssl-mode-"):
	case kw == "lua-load" || kw == "lua-prepend-path" || kw == "lua-load-per-thread":
		b.errf(l.num, "global: '%s' is not supported: halo does not run Lua", kw)
	default:
		if why, ok := globalIgnored[kw]; ok {
			b.warnf(l.num, "global: '%s' is ignored: %s", kw, why)
			return
		}
		b.errf(l.num, "global: unknown keyword '%s'", kw)
	}
}

// globalStats reads `stats socket PATH [mode M] [level L] [expose-fd
// listeners] ...`, `stats timeout` and `stats maxconn`.
func (b *builder) globalStats(l line) {
	switch sub := l.arg(1); sub {
	case "socket":
	case "timeout":
		d, err := parseTime(l.arg(2))
		if err != nil {
			b.errf(l.num, "global: stats timeout: %v", err)
			return
		}
		b.global.StatsTimeout = d
		return
	case "maxconn", "bind-process":
		return
	default:
		b.errf(l.num, "global: 'stats %s' is not supported here (the stats page belongs in a listen or frontend section)", sub)
		return
	}
	path := l.arg(2)
	if path == "" {
		b.errf(l.num, "global: 'stats socket' needs a path")
		return
	}
	s := StatsSocket{Network: "unix", Path: path, Line: l.num}
	if pfx, rest, ok := strings.Cut(path, "@"); ok && !strings.HasPrefix(path, "/") { // a path may hold an @ (/run/halo@a/)
		switch pfx {
		case "unix":
			s.Path = rest
		case "ipv4", "ipv6":
			ap, err := netip.ParseAddrPort(rest)
			if err != nil || (pfx == "ipv4") != ap.Addr().Is4() {
				b.errf(l.num, "global: stats socket '%s': want %s@ADDRESS:PORT", path, pfx)
				return
			}
			s.Network, s.Path = "tcp", ap.String()
		default:
			b.warnf(l.num, "global: stats socket '%s' is ignored: halo serves its runtime API on unix@, ipv4@ and ipv6@ addresses and paths", path)
			return
		}
	} else if ap, err := netip.ParseAddrPort(path); err == nil {
		s.Network, s.Path = "tcp", ap.String()
	} else if !strings.Contains(path, "/") {
		b.warnf(l.num, "global: stats socket '%s' is ignored: give a path or ipv4@ADDRESS:PORT", path)
		return
	}
	for i := 3; i < len(l.words); i++ {
		o := l.words[i]
		if i+1 >= len(l.words) {
			b.errf(l.num, "global: stats socket option '%s' needs a value", o)
			return
		}
		i++
		v := l.words[i]
		switch o {
		case "mode":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil || m > 0o777 {
				b.errf(l.num, "global: stats socket mode: bad octal file mode '%s'", v)
				return
			}
			s.Mode = uint32(m)
		case "level":
			if v != "user" && v != "operator" && v != "admin" {
				b.errf(l.num, "global: stats socket level: want user, operator or admin, got '%s'", v)
				return
			}
			s.Level = v
		case "user", "group":
			if o == "user" {
				s.User = v
			} else {
				s.Group = v
			}
		case "uid", "gid":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				b.errf(l.num, "global: stats socket %s: want a number, got '%s'", o, v)
				return
			}
			if o == "uid" {
				s.UID = &n
			} else {
				s.GID = &n
			}
		case "expose-fd", "process", "thread", "name", "maxconn", "severity-output":
		default:
			b.errf(l.num, "global: unknown stats socket option '%s'", o)
			return
		}
	}
	if s.Level == "" {
		s.Level = "operator" // HAProxy's default
	}
	b.global.StatsSockets = append(b.global.StatsSockets, s)
}

// globalAccount reads `user NAME`, `group NAME`, `uid N` and `gid N`: whom
// `halo run` serves as once its sockets are open (internal/priv). The last
// of user/uid (group/gid) wins, as in HAProxy.
func (b *builder) globalAccount(l line) {
	kw := l.kw()
	if len(l.words) != 2 {
		b.errf(l.num, "global: '%s' needs one value", kw)
		return
	}
	v := l.arg(1)
	if kw == "uid" || kw == "gid" {
		if _, err := parseInt(v, 0, 1<<31-1); err != nil {
			b.errf(l.num, "global: %s: %v", kw, err)
			return
		}
	}
	if kw == "user" || kw == "uid" {
		b.global.User, b.global.UserLine = v, l.num
	} else {
		b.global.Group, b.global.GroupLine = v, l.num
	}
}
