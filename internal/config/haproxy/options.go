package haproxy

import (
	"slices"
	"strings"
	"time"
)

// silentOptions are logging and tuning options that need no action from a
// layer-4 proxy which logs to stderr.
var silentOptions = map[string]bool{
	"dontlog-normal": true, "log-health-checks": true,
	"logasap": true, "log-separate-errors": true, "tcp-smart-accept": true,
	"tcp-smart-connect": true, "splice-auto": true, "splice-request": true,
	"splice-response": true, "contstats": true, "socket-stats": true,
	"independent-streams": true, "abortonclose": true,
}

// httpOnlyOptions have no meaning outside mode http.
var httpOnlyOptions = map[string]bool{
	"httplog": true, "forwardfor": true, "http-server-close": true, "httpclose": true,
	"forceclose": true, "http-keep-alive": true, "http-pretend-keepalive": true,
	"http-buffer-request": true, "http-no-delay": true, "originalto": true,
	"http-use-proxy-header": true, "http-ignore-probes": true, "http-use-htx": true,
	"accept-invalid-http-request": true, "accept-invalid-http-response": true,
	"checkcache": true, "http-restrict-req-hdr-names": true, "h1-case-adjust-bogus-client": true,
	"h1-case-adjust-bogus-server": true, "forwarded": true,
}

// ignoredOptions are accepted with a warning: halo does not implement them.
var ignoredOptions = map[string]string{
	"tcpka":              "halo does not enable TCP keep-alive",
	"clitcpka":           "halo does not enable TCP keep-alive",
	"srvtcpka":           "halo does not enable TCP keep-alive",
	"nolinger":           "halo closes connections normally",
	"transparent":        "halo does not connect to the client's original destination",
	"prefer-last-server": "halo has no connection reuse",
}

// protocolChecks are check options halo replaces by a plain TCP connect.
var protocolChecks = map[string]bool{
	"ssl-hello-chk": true, "ldap-check": true, "mysql-check": true, "pgsql-check": true,
	"redis-check": true, "smtpchk": true, "spop-check": true,
}

func (b *builder) optionKw(p *proxy, l line) { b.option(p, l, false) }

// option applies `option NAME [args]` or, when neg, `no option NAME`.
func (b *builder) option(p *proxy, l line, neg bool) {
	name := l.arg(1)
	if name == "" {
		b.errf(l.num, "%s: 'option' needs a name", p.where())
		return
	}
	what := "option " + name
	switch {
	case name == "redispatch":
		if !b.misplaced(p, l, what, capDB) {
			p.redispatch = !neg
		}
	case name == "allbackups":
		if !b.misplaced(p, l, what, capDB) {
			p.allBackups = !neg
		}
	case name == "tcp-check":
		if b.misplaced(p, l, what, capDB) {
			return
		}
		p.check.Kind, p.checkLine = CheckSeq, l.num
		if neg {
			p.check.Kind = CheckTCP
		}
	case name == "httpchk":
		if b.misplaced(p, l, what, capDB) {
			return
		}
		if neg {
			p.check.Kind, p.checkLine = CheckTCP, l.num
			return
		}
		b.httpchkOption(p, l)
	case protocolChecks[name]:
		if b.misplaced(p, l, what, capDB) || neg {
			return
		}
		b.warnf(l.num, "%s: '%s' is treated as a plain TCP connect check", p.where(), what)
		p.check.Kind, p.checkLine = CheckTCP, l.num
	case name == "external-check":
		b.errf(l.num, "%s: '%s' is not supported: halo runs no external check programs", p.where(), what)
	case name == "tcplog":
		p.tcplog = !neg
	case name == "dontlognull":
		p.dontLogNull = !neg
	case silentOptions[name]:
	case httpOnlyOptions[name]:
		if name == "httplog" {
			p.tcplog = !neg // halo relays HTTP as TCP: it logs the TCP line
		}
		if neg { // `no option forwardfor` cancels the inherited one
			p.httpOnly = slices.DeleteFunc(p.httpOnly, func(u httpUse) bool { return u.what == what })
			return
		}
		p.httpOnly = append(p.httpOnly, httpUse{what: what, line: l.num})
	default:
		if why, ok := ignoredOptions[name]; ok {
			if !neg {
				b.warnf(l.num, "%s: '%s' is ignored: %s", p.where(), what, why)
			}
			return
		}
		b.errf(l.num, "%s: unknown option '%s'", p.where(), name)
	}
}

// timeoutKinds maps `timeout NAME` to where it applies, whether it is
// HTTP-only, and where it is stored.
var timeoutKinds = map[string]struct {
	caps     int
	httpOnly bool
	field    func(*proxyTimeouts) *time.Duration
}{
	"client":          {capDF, false, func(t *proxyTimeouts) *time.Duration { return &t.client }},
	"client-fin":      {capDF, false, func(t *proxyTimeouts) *time.Duration { return &t.clientFin }},
	"connect":         {capDB, false, func(t *proxyTimeouts) *time.Duration { return &t.connect }},
	"server":          {capDB, false, func(t *proxyTimeouts) *time.Duration { return &t.server }},
	"server-fin":      {capDB, false, func(t *proxyTimeouts) *time.Duration { return &t.serverFin }},
	"tunnel":          {capDB, false, func(t *proxyTimeouts) *time.Duration { return &t.tunnel }},
	"queue":           {capDB, false, func(t *proxyTimeouts) *time.Duration { return &t.queue }},
	"check":           {capDB, false, func(t *proxyTimeouts) *time.Duration { return &t.check }},
	"http-request":    {capDF, true, nil},
	"http-keep-alive": {capDFB, true, nil},
	"tarpit":          {capDFB, true, nil},
}

func (b *builder) timeoutKw(p *proxy, l line) {
	name := l.arg(1)
	k, ok := timeoutKinds[name]
	if !ok {
		if name == "" {
			b.errf(l.num, "%s: 'timeout' needs a name and a value", p.where())
		} else {
			b.errf(l.num, "%s: unknown timeout 'timeout %s'", p.where(), name)
		}
		return
	}
	if !b.wantArgs(p, l, 2, 1, "a time value") {
		return
	}
	d, err := parseTime(l.arg(2))
	if err != nil {
		b.errf(l.num, "%s: timeout %s: %v", p.where(), name, err)
		return
	}
	b.setTimeout(p, l, "timeout "+name, k.caps, k.httpOnly, k.field, d)
}

func (b *builder) setTimeout(p *proxy, l line, what string, caps int, httpOnly bool, field func(*proxyTimeouts) *time.Duration, d time.Duration) {
	if b.misplaced(p, l, what, caps) {
		return
	}
	if httpOnly {
		p.httpOnly = append(p.httpOnly, httpUse{what: what, line: l.num})
		return
	}
	*field(&p.timeouts) = d
}

// legacyTimeoutKw reads the HAProxy 1.x contimeout/clitimeout/srvtimeout.
func (b *builder) legacyTimeoutKw(p *proxy, l line) {
	if !b.wantArgs(p, l, 1, 1, "a time value") {
		return
	}
	d, err := parseTime(l.arg(1))
	if err != nil {
		b.errf(l.num, "%s: %s: %v", p.where(), l.kw(), err)
		return
	}
	name := map[string]string{"contimeout": "connect", "clitimeout": "client", "srvtimeout": "server"}[l.kw()]
	b.warnf(l.num, "%s: '%s' is HAProxy 1.x syntax (removed in 2.1); halo reads it as 'timeout %s'", p.where(), l.kw(), name)
	k := timeoutKinds[name]
	b.setTimeout(p, l, l.kw(), k.caps, false, k.field, d)
}

func (b *builder) balanceKw(p *proxy, l line) {
	alg := l.arg(1)
	switch a := Algorithm(alg); {
	case a == RoundRobin || a == StaticRR || a == LeastConn || a == First || a == Source || a == Random:
		if !b.wantArgs(p, l, 1, 1, "an algorithm") {
			return
		}
		p.balance.Algorithm = a
	case strings.HasPrefix(alg, "random("):
		b.warnf(l.num, "%s: balance %s: the number of draws is ignored; halo picks one server at random by weight", p.where(), alg)
		p.balance.Algorithm = Random
	case alg == "":
		p.balance.Algorithm = RoundRobin // a bare `balance` is roundrobin in HAProxy
	default:
		b.errf(l.num, "%s: unknown balance algorithm '%s': halo supports roundrobin, static-rr, leastconn, first, source and random", p.where(), alg)
	}
}

// hashFunctions are HAProxy's hash-type functions: accepted, but halo
// hashes with its own function.
var hashFunctions = map[string]bool{"sdbm": true, "djb2": true, "wt6": true, "crc32": true, "none": true}

func (b *builder) hashTypeKw(p *proxy, l line) {
	switch HashType(l.arg(1)) {
	case MapBased, Consistent, Maglev:
	case "":
		b.errf(l.num, "%s: 'hash-type' needs map-based, consistent or maglev", p.where())
		return
	default:
		b.errf(l.num, "%s: unknown hash-type '%s': use map-based, consistent or maglev", p.where(), l.arg(1))
		return
	}
	var extra []string
	for i, w := range l.words[2:] {
		switch {
		case hashFunctions[w] && i == 0, w == "avalanche" && i == len(l.words)-3:
			extra = append(extra, w)
		default:
			b.errf(l.num, "%s: hash-type: unexpected '%s' (usage: hash-type map-based|consistent|maglev [sdbm|djb2|wt6|crc32|none] [avalanche])", p.where(), w)
			return
		}
	}
	if len(extra) > 0 {
		b.warnf(l.num, "%s: hash-type: '%s' accepted, but halo hashes with its own function: a client may land on another server than under HAProxy (all halo nodes agree)", p.where(), strings.Join(extra, " "))
	}
	p.balance.HashType = HashType(l.arg(1))
	p.hashLine = l.num
}
