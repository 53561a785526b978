package haproxy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

func (b *builder) serverKw(p *proxy, l line) {
	if len(l.words) < 3 {
		b.errf(l.num, "%s: 'server' needs a name and an address (server NAME ADDR[:PORT] [options])", p.where())
		return
	}
	name := l.arg(1)
	if !validName(name) {
		b.errf(l.num, "%s: bad server name '%s': use letters, digits, '-', '_', '.' and ':'", p.where(), name)
		return
	}
	host, port, err := parseServerAddr(l.arg(2))
	if err != nil {
		b.errf(l.num, "%s server '%s': %v", p.where(), name, err)
		return
	}
	t := p.defServer // each server starts from default-server
	t.s.Name, t.s.Line, t.s.Host, t.s.Port = name, l.num, host, port
	if !b.serverOptions(p, l, 3, &t, "server '"+name+"'") {
		return
	}
	s := t.s
	// HAProxy's documented server defaults (configuration.txt 5.2).
	if s.Inter == 0 {
		s.Inter = 2 * time.Second // inter 2s
	}
	if s.FastInter == 0 {
		s.FastInter = s.Inter // fastinter defaults to inter
	}
	if s.DownInter == 0 {
		s.DownInter = s.Inter // downinter defaults to inter
	}
	if s.Rise == 0 {
		s.Rise = 2 // rise 2
	}
	if s.Fall == 0 {
		s.Fall = 3 // fall 3
	}
	if !t.weightSet {
		s.Weight = 1 // weight 1
	}
	if t.agent {
		if t.agentPort == 0 {
			b.errf(l.num, "%s server '%s': 'agent-check' needs 'agent-port'", p.where(), name)
			return
		}
		s.Agent = &AgentCheck{Port: t.agentPort, Addr: t.agentAddr, Send: t.agentSend, Inter: t.agentInter}
		if s.Agent.Inter == 0 {
			s.Agent.Inter = 2 * time.Second // agent-inter defaults to 2000 ms
		}
	}
	p.servers = append(p.servers, &s)
}

func (b *builder) defaultServerKw(p *proxy, l line) {
	b.serverOptions(p, l, 1, &p.defServer, "default-server")
}

// serverOptions applies the options of a server or default-server line
// from word i on. It reports false after an error.
func (b *builder) serverOptions(p *proxy, l line, i int, t *serverTemplate, who string) bool {
	s := &t.s
	for ; i < len(l.words); i++ {
		opt := l.words[i]
		val := func() (string, bool) {
			if i+1 >= len(l.words) {
				b.errf(l.num, "%s %s: option '%s' needs a value", p.where(), who, opt)
				return "", false
			}
			i++
			return l.words[i], true
		}
		bad := func(err error) bool {
			b.errf(l.num, "%s %s: %s: %v", p.where(), who, opt, err)
			return false
		}
		timeVal := func(dst *time.Duration, positive bool) bool {
			v, ok := val()
			if !ok {
				return false
			}
			d, err := parseTime(v)
			if err != nil {
				return bad(err)
			}
			if positive && d == 0 {
				return bad(textError("must be greater than 0"))
			}
			*dst = d
			return true
		}
		intVal := func(dst *int, lo, hi int) bool {
			v, ok := val()
			if !ok {
				return false
			}
			n, err := parseInt(v, lo, hi)
			if err != nil {
				return bad(err)
			}
			*dst = n
			return true
		}
		ok := true
		switch opt {
		case "check":
			s.Check = true
		case "no-check":
			s.Check = false
		case "backup":
			s.Backup = true
		case "no-backup":
			s.Backup = false
		case "disabled":
			s.Disabled = true
		case "enabled":
			s.Disabled = false
		case "send-proxy":
			s.SendProxy = 1
		case "send-proxy-v2":
			s.SendProxy = 2
		case "no-send-proxy", "no-send-proxy-v2":
			s.SendProxy = 0
		case "check-ssl":
			s.CheckSSL = true
		case "no-check-ssl":
			s.CheckSSL = false
		case "no-ssl", "no-verifyhost", "non-stick", "no-tfo":
		case "ssl":
			b.errf(l.num, "%s %s: 'ssl' is not supported: halo does not originate TLS to servers; in mode tcp it forwards the client's TLS untouched (remove 'ssl', keep 'check-ssl' for TLS health checks)", p.where(), who)
			return false
		case "inter":
			ok = timeVal(&s.Inter, true)
		case "fastinter":
			ok = timeVal(&s.FastInter, true)
		case "downinter":
			ok = timeVal(&s.DownInter, true)
		case "slowstart":
			ok = timeVal(&s.SlowStart, false)
		case "rise":
			ok = intVal(&s.Rise, 1, 1<<20)
		case "fall":
			ok = intVal(&s.Fall, 1, 1<<20)
		case "weight":
			ok = intVal(&s.Weight, 0, 256)
			t.weightSet = true
		case "maxconn":
			ok = intVal(&s.MaxConn, 0, 1<<30)
		case "maxqueue":
			ok = intVal(&s.MaxQueue, 0, 1<<30)
		case "minconn", "id", "pool-max-conn", "max-reuse":
			var n int
			ok = intVal(&n, 0, 1<<30)
		case "port":
			var v string
			if v, ok = val(); ok {
				s.CheckPort, _ = parsePort(v)
				if s.CheckPort == 0 {
					return bad(textError("bad port " + strconv.Quote(v)))
				}
			}
		case "addr":
			var v string
			if v, ok = val(); ok {
				if _, err := netip.ParseAddr(v); err != nil && !validHostname(v) {
					return bad(textError("bad address " + strconv.Quote(v)))
				}
				s.CheckAddr = v
			}
		case "verify":
			var v string
			if v, ok = val(); ok {
				switch v {
				case "none":
					s.VerifyNone = true
				case "required":
					s.VerifyNone = false
					b.warnf(l.num, "%s %s: 'verify required' is not enforced: halo does not verify certificates of TLS health checks", p.where(), who)
				default:
					return bad(textError("want none or required, got " + strconv.Quote(v)))
				}
			}
		case "sni", "check-sni", "ca-file", "crl-file", "crt", "alpn", "check-alpn", "ciphers",
			"ciphersuites", "ssl-min-ver", "ssl-max-ver", "pool-purge-delay", "cookie", "proto",
			"check-proto", "namespace", "tcp-ut", "shard", "log-proto", "ws", "verifyhost",
			"resolve-net", "init-state":
			_, ok = val() // TLS and connection details of no consequence for halo
		case "resolvers", "init-addr", "resolve-prefer", "resolve-opts":
			if _, ok = val(); ok {
				b.warnf(l.num, "%s %s: '%s' is ignored: halo resolves names with the system resolver at start and again while the server is DOWN", p.where(), who, opt)
			}
		case "agent-check":
			t.agent = true
		case "no-agent-check":
			t.agent = false
		case "agent-port":
			var v string
			if v, ok = val(); ok {
				if t.agentPort, _ = parsePort(v); t.agentPort == 0 {
					return bad(textError("bad port " + strconv.Quote(v)))
				}
			}
		case "agent-inter":
			ok = timeVal(&t.agentInter, true)
		case "agent-addr":
			if t.agentAddr, ok = val(); ok && !validHost(t.agentAddr) {
				return bad(textError("bad address " + strconv.Quote(t.agentAddr)))
			}
		case "agent-send":
			t.agentSend, ok = val()
		case "on-marked-down":
			var v string
			if v, ok = val(); ok {
				if v != ShutdownSessions {
					return bad(textError("want shutdown-sessions, got " + strconv.Quote(v)))
				}
				s.OnMarkedDown = v
			}
		case "on-marked-up":
			var v string
			if v, ok = val(); ok {
				if v != ShutdownBackupSessions {
					return bad(textError("want shutdown-backup-sessions, got " + strconv.Quote(v)))
				}
				s.OnMarkedUp = v
			}
		case "observe", "on-error", "error-limit", "track", "redir", "source", "usesrc", "interface":
			if _, ok = val(); ok {
				b.warnf(l.num, "%s %s: '%s' is not supported by halo and is ignored", p.where(), who, opt)
			}
		case "check-send-proxy", "tfo":
			b.warnf(l.num, "%s %s: '%s' is not supported by halo and is ignored", p.where(), who, opt)
		default:
			b.errf(l.num, "%s %s: unknown server option '%s'", p.where(), who, opt)
			return false
		}
		if !ok {
			return false
		}
	}
	return true
}

type textError string

func (e textError) Error() string { return string(e) }

// parseServerAddr reads a server address: IPv4, [IPv6], a bare IPv6 (the
// text after the last colon is the port, as in HAProxy), or a host name,
// each with an optional ipv4@/ipv6@ prefix and an optional :PORT. A missing
// or zero port means "the port the client connected to".
func parseServerAddr(s string) (host string, port int, err error) {
	orig := s
	for _, pre := range []string{"ipv4@", "ipv6@"} {
		s = strings.TrimPrefix(s, pre)
	}
	if strings.HasPrefix(s, "/") || strings.Contains(s, "@") {
		return "", 0, textError("address " + strconv.Quote(orig) + " is not supported: halo connects to servers over TCP (host:port)")
	}
	var portStr string
	hasPort := false
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, textError("bad address " + strconv.Quote(orig) + ": missing ']'")
		}
		host, rest := s[1:end], s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", 0, textError("bad address " + strconv.Quote(orig))
			}
			portStr, hasPort = rest[1:], true
		}
		s = host
	case strings.Count(s, ":") == 1:
		s, portStr, hasPort = cutLast(s)
	case strings.Count(s, ":") > 1:
		// Bare IPv6: HAProxy takes what follows the last colon as the
		// port when a port is written; "::1" alone stays an address.
		if h, p, _ := cutLast(s); p != "" && isDigits(p) {
			if _, err := netip.ParseAddr(h); err == nil {
				s, portStr, hasPort = h, p, true
			}
		}
	}
	if _, err := netip.ParseAddr(s); err != nil && !validHostname(s) {
		return "", 0, textError("bad address " + strconv.Quote(orig) + ": want an IP address or a host name, with an optional :PORT")
	}
	if hasPort && portStr != "" {
		if portStr[0] == '+' || portStr[0] == '-' {
			return "", 0, textError("port offset in " + strconv.Quote(orig) + " is not supported: give a port, or none to use the client's port")
		}
		if portStr != "0" {
			if port, err = parsePort(portStr); err != nil {
				return "", 0, err
			}
		}
	}
	return s, port, nil
}

func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
