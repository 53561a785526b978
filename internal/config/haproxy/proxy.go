package haproxy

import (
	"slices"
	"time"
)

// proxy is a defaults, frontend, backend or listen section while it is read.
// A section starts as a copy of its defaults section (HAProxy semantics:
// the defaults' values are the section's initial values), then its own
// lines overwrite them. HAProxy's documented defaults are applied later, in
// one place: finishProxy.
type proxy struct {
	kind       string // "defaults", "frontend", "backend", "listen"
	name       string // unique name; for a frontend it may get a suffix in finish
	configName string // name as written (set in finish)
	line       int

	mode             Mode // "" = not set in this section nor its defaults
	binds            []Bind
	legacyBinds      bool
	maxConn          int
	defBackend       string
	defBackendAt     int
	useBackend       string
	useBackendAt     int
	timeouts         proxyTimeouts
	retries          int
	retriesSet       bool
	redispatch       bool
	allBackups       bool
	balance          Balance
	hashLine         int
	check            Check
	checkLine        int  // line of the option selecting check.Kind
	tcpCheckSeen     int  // line of the first tcp-check rule, 0 = none
	tcpRulesOwn      bool // the section wrote tcp-check rules (they replace the inherited ones)
	httpRuleSeen     int  // line of the first http-check rule, 0 = none
	httpRulesOwn     bool // the section wrote http-check rules (they replace the inherited ones)
	defServer        serverTemplate
	servers          []*Server
	stats            *StatsPage
	statsLine        int
	httpOnly         []httpUse
	acls             []aclDef // nbsrv ACLs, in order
	monitorURI       string   // `monitor-uri`
	monitorLine      int
	monitorFail      []MonitorRule // `monitor fail` rules
	prometheus       string        // path of `http-request use-service prometheus-exporter`
	prometheusPrefix bool
	prometheusLine   int
	loadState        StateSource // `load-server-state-from-file`
	loadStateLine    int
	stateFileName    string   // `server-state-file-name`
	failed           []string // keywords of this section whose line had an error
	logs             []LogTarget
	logGlobal        bool // `log global`
	tcplog           bool
	dontLogNull      bool
}

// proxyTimeouts are the `timeout` values of a section; 0 = not set.
type proxyTimeouts struct {
	client, clientFin, connect, server, serverFin, tunnel, queue, check time.Duration
}

// httpUse records an HTTP-only setting so a tcp-mode section can say once
// which of them it ignores.
type httpUse struct {
	what      string
	line      int
	inherited bool // came from the defaults section
}

// serverTemplate is what `default-server` sets: the starting point of
// every following `server` line.
type serverTemplate struct {
	s         Server
	weightSet bool // weight 0 is valid, so "unset" needs its own flag

	// agent-* options: HAProxy lets default-server set them and a server
	// turn the agent on or off, so they are kept apart until serverKw.
	agent      bool
	agentPort  int
	agentInter time.Duration
	agentAddr  string
	agentSend  string
}

func newProxy(kind, name string, n int) *proxy {
	return &proxy{kind: kind, name: name, line: n}
}

// inherit returns a new section of kind and name starting from the
// settings of defaults section d.
func (d *proxy) inherit(kind, name string, n int) *proxy {
	p := *d
	p.kind, p.name, p.line = kind, name, n
	p.binds, p.legacyBinds, p.servers, p.failed = nil, false, nil, nil
	p.acls, p.monitorFail = nil, nil
	p.logs = slices.Clone(d.logs)
	p.check.Steps = slices.Clone(d.check.Steps)
	p.check.HTTP.Rules = slices.Clone(d.check.HTTP.Rules)
	p.check.HTTP.Headers = slices.Clone(d.check.HTTP.Headers)
	p.tcpRulesOwn, p.httpRulesOwn = false, false
	if d.stats != nil {
		st := *d.stats
		p.stats = &st
	}
	p.httpOnly = make([]httpUse, len(d.httpOnly))
	for i, u := range d.httpOnly {
		u.inherited = true
		p.httpOnly[i] = u
	}
	return &p
}

// where names the section in messages: "frontend 'main'".
func (p *proxy) where() string {
	if p.kind == "defaults" && p.name == "" {
		return "defaults section"
	}
	return p.kind + " '" + p.name + "'"
}

// Capabilities of a section kind, as in HAProxy's keyword matrix
// (configuration.txt 4.1).
const (
	capDefaults = 1 << iota
	capFrontend
	capBackend
)

func (p *proxy) caps() int {
	switch p.kind {
	case "defaults":
		return capDefaults
	case "frontend":
		return capFrontend
	case "backend":
		return capBackend
	}
	return capFrontend | capBackend // listen
}

// startSection opens a section on its header line.
func (b *builder) startSection(l line) {
	kind := l.kw()
	args := l.words[1:]
	var from string
	if i := slices.Index(args, "from"); i >= 0 && kind != "global" {
		if i+1 >= len(args) {
			b.errf(l.num, "%s: 'from' needs the name of a defaults section", kind)
		} else {
			from = args[i+1]
			if i+2 < len(args) {
				b.errf(l.num, "%s: unexpected '%s' after 'from %s'", kind, args[i+2], from)
			}
		}
		args = args[:i]
	}
	b.section, b.cur = kind, nil
	if kind == "global" {
		if len(args) > 0 {
			b.warnf(l.num, "global: arguments after 'global' are ignored")
		}
		return
	}
	base := b.lastDefault
	if from != "" {
		d, ok := b.defaults[from]
		if !ok {
			b.errf(l.num, "%s: 'from %s' names no defaults section defined before this line", kind, from)
		} else {
			base = d
		}
	}
	if kind == "defaults" {
		name := ""
		if len(args) > 0 {
			name, args = args[0], args[1:]
		}
		if name != "" && !validName(name) {
			b.errf(l.num, "defaults: bad name '%s': use letters, digits, '-', '_', '.' and ':'", name)
		}
		if len(args) > 0 {
			b.errf(l.num, "defaults '%s': unexpected '%s' after the name", name, args[0])
		}
		// A defaults section without `from` starts afresh: it resets what
		// the previous defaults section said.
		if from == "" {
			base = newProxy("defaults", "", 0)
		}
		p := base.inherit("defaults", name, l.num)
		if name != "" {
			if prev, dup := b.defaults[name]; dup {
				b.errf(l.num, "defaults '%s' is already defined at line %d", name, prev.line)
			}
			b.defaults[name] = p
		}
		b.cur, b.lastDefault = p, p
		return
	}
	if len(args) == 0 {
		b.errf(l.num, "%s: missing name", kind)
		b.section = "skip"
		return
	}
	name := args[0]
	if !validName(name) {
		b.errf(l.num, "%s: bad name '%s': use letters, digits, '-', '_', '.' and ':'", kind, name)
	}
	p := base.inherit(kind, name, l.num)
	b.cur = p
	b.proxies = append(b.proxies, p)
	if extra := args[1:]; len(extra) > 0 {
		if kind == "backend" {
			b.errf(l.num, "backend '%s': unexpected '%s' after the name", name, extra[0])
			return
		}
		// HAProxy 1.x let frontends and listens take their address on
		// the section line; 2.x removed it. The seed configuration uses it.
		b.warnf(l.num, "%s: the address on the section line is HAProxy 1.x syntax (removed in 2.0); halo accepts it, but prefer 'bind %s'", p.where(), extra[0])
		p.legacyBinds = true
		n := len(b.diags)
		for _, a := range extra {
			b.addBinds(p, l.num, a, Bind{})
		}
		if b.diags[n:].HasErrors() {
			p.failed = append(p.failed, "bind")
		}
	}
}
