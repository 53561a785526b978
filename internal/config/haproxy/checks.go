package haproxy

import (
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
)

// httpchkOption reads `option httpchk [[METHOD] URI [VERSION]]`. The
// version may carry extra header lines ("HTTP/1.1\r\nHost:\ www"), the
// pre-2.2 way to send a Host header.
func (b *builder) httpchkOption(p *proxy, l line) {
	args := l.words[2:]
	p.check.Kind, p.checkLine = CheckHTTP, l.num
	h := &p.check.HTTP
	switch len(args) {
	case 0:
	case 1:
		h.URI = args[0]
	case 2:
		h.Method, h.URI = args[0], args[1]
	case 3:
		h.Method, h.URI = args[0], args[1]
		b.httpVersion(p, l, args[2])
	default:
		b.errf(l.num, "%s: option httpchk: unexpected '%s' (usage: option httpchk [METHOD] [URI] [VERSION])", p.where(), args[3])
	}
}

// httpVersion stores a version string and the Host header it may carry.
func (b *builder) httpVersion(p *proxy, l line, v string) {
	parts := strings.Split(v, "\r\n")
	p.check.HTTP.Version = parts[0]
	for _, hdr := range parts[1:] {
		name, val, _ := strings.Cut(hdr, ":")
		switch {
		case strings.TrimSpace(hdr) == "":
		case strings.EqualFold(strings.TrimSpace(name), "host"):
			p.check.HTTP.Host = strings.TrimSpace(val)
		default:
			b.warnf(l.num, "%s: health check header '%s' is ignored (halo sends only Host)", p.where(), strings.TrimSpace(name))
		}
	}
}

// httpCheckKw reads the HAProxy 2.2+ `http-check send|expect` rules.
func (b *builder) httpCheckKw(p *proxy, l line) {
	h := &p.check.HTTP
	switch sub := l.arg(1); sub {
	case "send":
		p.httpSendSeen = true
		for i := 2; i < len(l.words); i += 2 {
			opt := l.words[i]
			if i+1 >= len(l.words) {
				b.errf(l.num, "%s: http-check send: '%s' needs a value", p.where(), opt)
				return
			}
			val := l.words[i+1]
			switch opt {
			case "meth":
				h.Method = val
			case "uri":
				h.URI = val
			case "ver":
				b.httpVersion(p, l, val)
			case "hdr":
				if i+2 >= len(l.words) {
					b.errf(l.num, "%s: http-check send: 'hdr' needs a name and a value", p.where())
					return
				}
				if strings.EqualFold(val, "host") {
					h.Host = l.words[i+2]
				} else {
					b.warnf(l.num, "%s: http-check send: header '%s' is ignored (halo sends only Host)", p.where(), val)
				}
				i++
			case "body", "body-lf", "uri-lf", "hdr-lf":
				b.warnf(l.num, "%s: http-check send: '%s' is ignored", p.where(), opt)
			default:
				b.errf(l.num, "%s: http-check send: unknown option '%s' (halo supports meth, uri, ver, hdr)", p.where(), opt)
				return
			}
		}
	case "expect":
		if l.arg(2) != "status" || len(l.words) != 4 {
			b.errf(l.num, "%s: 'http-check %s' is not supported: halo supports 'http-check expect status CODE'", p.where(), strings.Join(l.words[2:], " "))
			return
		}
		n, err := parseInt(l.arg(3), 100, 599)
		if err != nil {
			b.errf(l.num, "%s: http-check expect status: %v", p.where(), err)
			return
		}
		h.ExpectStatus = n
	case "disable-on-404", "send-state":
		b.warnf(l.num, "%s: 'http-check %s' is ignored", p.where(), sub)
	case "comment":
	case "":
		b.errf(l.num, "%s: 'http-check' needs send or expect", p.where())
	default:
		b.errf(l.num, "%s: 'http-check %s' is not supported: halo supports send and expect status", p.where(), sub)
	}
}

// tcpCheckKw reads one `tcp-check` rule of an `option tcp-check` sequence.
func (b *builder) tcpCheckKw(p *proxy, l line) {
	step := TCPCheckStep{Action: l.arg(1), Line: l.num}
	args := l.words[2:]
	switch step.Action {
	case "connect":
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case "port":
				if i+1 >= len(args) {
					b.errf(l.num, "%s: tcp-check connect: 'port' needs a value", p.where())
					return
				}
				port, err := parsePort(args[i+1])
				if err != nil {
					b.errf(l.num, "%s: tcp-check connect: %v", p.where(), err)
					return
				}
				step.Port = port
				i++
			case "ssl":
				step.SSL = true
			case "default", "linger":
			default:
				b.errf(l.num, "%s: tcp-check connect: unsupported option '%s' (halo supports port and ssl)", p.where(), args[i])
				return
			}
		}
	case "send", "send-binary":
		if len(args) != 1 {
			b.errf(l.num, "%s: 'tcp-check %s' needs exactly one argument (quote data that holds blanks)", p.where(), step.Action)
			return
		}
		step.Data = args[0]
		if step.Action == "send-binary" {
			raw, err := hex.DecodeString(args[0])
			if err != nil {
				b.errf(l.num, "%s: tcp-check send-binary: bad hexadecimal string %q", p.where(), args[0])
				return
			}
			step.Action, step.Data = "send", string(raw)
		}
	case "expect":
		if !b.tcpExpect(p, l, &step, args) {
			return
		}
	case "comment":
		return
	case "":
		b.errf(l.num, "%s: 'tcp-check' needs connect, send, send-binary or expect", p.where())
		return
	default:
		b.errf(l.num, "%s: 'tcp-check %s' is not supported: halo supports connect, send, send-binary and expect", p.where(), step.Action)
		return
	}
	if p.tcpCheckSeen == 0 {
		p.tcpCheckSeen = l.num
	}
	p.check.Steps = append(p.check.Steps, step)
}

// tcpExpect reads `tcp-check expect [!] string|rstring|binary PATTERN`.
func (b *builder) tcpExpect(p *proxy, l line, step *TCPCheckStep, args []string) bool {
	if len(args) > 0 && args[0] == "!" {
		step.Negate, args = true, args[1:]
	}
	if len(args) != 2 {
		b.errf(l.num, "%s: tcp-check expect: usage: tcp-check expect [!] string|rstring|binary PATTERN", p.where())
		return false
	}
	step.Data = args[1]
	switch args[0] {
	case "string":
	case "rstring":
		if _, err := regexp.Compile(args[1]); err != nil {
			b.errf(l.num, "%s: tcp-check expect rstring: bad regular expression: %v", p.where(), err)
			return false
		}
		step.Regex = true
	case "binary":
		raw, err := hex.DecodeString(args[1])
		if err != nil {
			b.errf(l.num, "%s: tcp-check expect binary: bad hexadecimal string %q", p.where(), args[1])
			return false
		}
		step.Data = string(raw)
	default:
		b.errf(l.num, "%s: tcp-check expect '%s' is not supported: use string, rstring or binary", p.where(), args[0])
		return false
	}
	return true
}

// statsKw reads the `stats` keywords of a proxy section (the statistics
// page); `stats socket` belongs to the global section.
func (b *builder) statsKw(p *proxy, l line) {
	sub := l.arg(1)
	page := func() *StatsPage {
		if p.stats == nil {
			p.stats = &StatsPage{}
			p.statsLine = l.num
		}
		return p.stats
	}
	switch sub {
	case "socket", "timeout", "maxconn", "bind-process":
		b.errf(l.num, "%s: 'stats %s' belongs in the global section", p.where(), sub)
		return
	case "":
		b.errf(l.num, "%s: 'stats' needs a sub-keyword such as enable or uri", p.where())
		return
	}
	if b.misplaced(p, l, "stats "+sub, capDF) {
		return
	}
	switch sub {
	case "enable":
		page()
	case "uri":
		if b.wantArgs(p, l, 2, 1, "a path") {
			page().URI = l.arg(2)
		}
	case "refresh":
		if !b.wantArgs(p, l, 2, 1, "a time value") {
			return
		}
		d, err := parseTime(l.arg(2))
		if err != nil {
			b.errf(l.num, "%s: stats refresh: %v", p.where(), err)
			return
		}
		page().Refresh = d
	case "auth":
		if !b.wantArgs(p, l, 2, 1, "user:password") {
			return
		}
		if !strings.Contains(l.arg(2), ":") {
			b.errf(l.num, "%s: stats auth: want user:password, got %s", p.where(), strconv.Quote(l.arg(2)))
			return
		}
		page().Auth = append(page().Auth, l.arg(2))
	case "realm", "hide-version", "show-legends", "show-node", "show-desc", "show-modules":
	case "admin", "scope":
		b.warnf(l.num, "%s: 'stats %s' is ignored: the stats page is read-only (use the control socket)", p.where(), sub)
	default:
		b.errf(l.num, "%s: 'stats %s' is not supported", p.where(), sub)
	}
}
