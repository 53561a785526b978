package haproxy

import (
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
)

// tcpCheckKw reads one `tcp-check` rule of an `option tcp-check` sequence.
func (b *builder) tcpCheckKw(p *proxy, l line) {
	step := TCPCheckStep{Action: l.arg(1), Line: l.num}
	args := l.words[min(2, len(l.words)):] // a bare `tcp-check` has no action and no args
	switch step.Action {
	case "connect":
		cc, ok := b.checkConnect(p, l, "tcp-check connect", args)
		if !ok {
			return
		}
		step.Port, step.Addr, step.SSL, step.SNI, step.ALPN = cc.Port, cc.Addr, cc.SSL, cc.SNI, cc.ALPN
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
	if p.kind != "defaults" && !p.tcpRulesOwn {
		p.check.Steps = nil // the section's own rules replace the inherited ones
	}
	p.tcpRulesOwn = p.kind != "defaults"
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
