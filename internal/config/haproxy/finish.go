package haproxy

import (
	"cmp"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/halo-lb/halo/internal/config/diag"
)

// finish turns the sections read into a Config: HAProxy's documented
// defaults are applied here (and in serverKw for servers), then the
// sections are checked against each other.
func (b *builder) finish() *Config {
	cfg := &Config{File: b.file, Global: b.global}
	b.uniqueFrontendNames()
	backends := map[string]*Backend{}
	for _, p := range b.proxies {
		b.sectionWarnings(p)
		if p.kind == "frontend" {
			continue
		}
		be := b.backend(p)
		if prev, dup := backends[be.Name]; dup {
			b.errf(p.line, "%s: a backend named '%s' is already defined at line %d", p.where(), be.Name, prev.Line)
			continue
		}
		backends[be.Name] = be
		cfg.Backends = append(cfg.Backends, be)
	}
	for _, p := range b.proxies {
		if p.kind == "backend" {
			continue
		}
		cfg.Frontends = append(cfg.Frontends, b.frontend(p, backends))
	}
	b.bindConflicts(cfg.Frontends)
	for _, fe := range cfg.Frontends {
		b.tlsToPlainWarnings(fe)
	}
	slices.SortStableFunc(b.diags, func(x, y diag.Diagnostic) int { return cmp.Compare(x.Line, y.Line) })
	return cfg
}

// uniqueFrontendNames renames frontends (and listens) that share a name:
// "main" bound on *:8443 becomes "main:8443", as the seed needs.
func (b *builder) uniqueFrontendNames() {
	groups := map[string][]*proxy{}
	for _, p := range b.proxies {
		if p.kind != "backend" {
			p.configName = p.name
			groups[p.name] = append(groups[p.name], p)
		}
	}
	taken := map[string]bool{}
	for name, g := range groups {
		if len(g) == 1 {
			taken[name] = true
		}
	}
	for _, p := range b.proxies {
		g := groups[p.configName]
		if p.kind == "backend" || len(g) < 2 {
			continue
		}
		name := p.configName
		if len(p.binds) > 0 {
			if _, port, err := net.SplitHostPort(p.binds[0].Addr); err == nil {
				name += ":" + port
			}
		}
		if taken[name] || name == p.configName {
			name = p.configName + "#" + strconv.Itoa(p.line)
		}
		taken[name] = true
		p.name = name
	}
	for _, g := range groups {
		for _, p := range g[1:] {
			b.warnf(p.line, "%s '%s' is already defined at line %d: names must be unique, so halo calls this one '%s' and the first '%s' (in logs, stats and the control socket)",
				p.kind, p.configName, g[0].line, p.name, g[0].name)
		}
	}
}

// sectionWarnings applies the default mode and reports what a section
// leaves out or ignores.
func (b *builder) sectionWarnings(p *proxy) {
	if p.mode == "" {
		p.mode = ModeTCP // HAProxy's default mode when no defaults section sets one
		if p.kind != "backend" {
			b.warnf(p.line, "%s: no 'mode' set: using tcp, HAProxy's default (set 'mode tcp' to say so)", p.where())
		}
	}
	statsOnly := p.answersHTTP() && len(p.servers) == 0
	switch {
	case p.mode == ModeHTTP && !statsOnly:
		b.warnf(p.line, "%s is mode http: halo forwards it as a plain TCP stream (no header changes, HTTP logging or keep-alive handling)", p.where())
	case p.mode == ModeTCP:
		var inherited []string
		for _, u := range p.httpOnly {
			if u.inherited {
				if !slices.Contains(inherited, u.what) {
					inherited = append(inherited, u.what)
				}
				continue
			}
			b.warnf(u.line, "%s is mode tcp: HTTP-only '%s' is ignored", p.where(), u.what)
		}
		if len(inherited) > 0 {
			b.warnf(p.line, "%s is mode tcp: HTTP-only settings from its defaults section are ignored: %s", p.where(), strings.Join(inherited, ", "))
		}
	}
	var missing []string
	t := p.timeouts
	if p.kind != "backend" && t.client == 0 {
		missing = append(missing, "client")
	}
	if p.kind != "frontend" && t.connect == 0 {
		missing = append(missing, "connect")
	}
	if p.kind != "frontend" && t.server == 0 && !statsOnly {
		missing = append(missing, "server")
	}
	if len(missing) > 0 {
		b.warnf(p.line, "%s: missing timeouts (%s): idle or stuck connections are never closed; set 'timeout %s' (HAProxy warns too)",
			p.where(), strings.Join(missing, ", "), strings.Join(missing, "', 'timeout "))
	}
}

// backend builds the Backend of a backend or listen section.
func (b *builder) backend(p *proxy) *Backend {
	be := &Backend{
		Name:       p.name,
		Line:       p.line,
		Mode:       p.mode,
		Balance:    p.balance,
		Retries:    p.retries,
		Redispatch: p.redispatch,
		AllBackups: p.allBackups,
		Check:      p.check,
		Servers:    p.servers,
		Timeouts: BackendTimeouts{
			Connect: p.timeouts.connect, Server: p.timeouts.server, ServerFin: p.timeouts.serverFin,
			Tunnel: p.timeouts.tunnel, Queue: p.timeouts.queue, Check: p.timeouts.check,
		},
	}
	if p.kind == "listen" {
		be.Name = p.configName
	}
	if be.Balance.Algorithm == "" {
		be.Balance.Algorithm = RoundRobin // balance roundrobin
	}
	if be.Balance.HashType == "" {
		be.Balance.HashType = MapBased // hash-type map-based
	}
	if !p.retriesSet {
		be.Retries = 3 // retries 3
	}
	if be.Check.Kind == "" {
		be.Check.Kind = CheckTCP // a check is a plain connect
	}
	be.Check.SpreadChecks = b.global.SpreadChecks
	if be.Check.Kind == CheckHTTP {
		h := &be.Check.HTTP
		h.Method = cmp.Or(h.Method, "OPTIONS")    // option httpchk sends OPTIONS
		h.URI = cmp.Or(h.URI, "/")                // ... for /
		h.Version = cmp.Or(h.Version, "HTTP/1.0") // ... as HTTP/1.0
		b.httpRules(p, h)
	} else {
		if p.httpRuleSeen != 0 {
			b.warnf(p.httpRuleSeen, "%s: 'http-check' rules are ignored without 'option httpchk'", p.where())
		}
		be.Check.HTTP.Rules = nil
	}
	b.serverState(p, be)
	if be.Check.Kind != CheckSeq {
		if p.tcpCheckSeen != 0 {
			b.warnf(p.tcpCheckSeen, "%s: 'tcp-check' rules are ignored without 'option tcp-check'", p.where())
		}
		be.Check.Steps = nil
	}
	connectPort := false
	for _, st := range be.Check.Steps {
		connectPort = connectPort || (st.Action == "connect" && st.Port != 0)
	}
	if be.Check.Kind == CheckHTTP && len(be.Check.HTTP.Rules) > 0 && be.Check.HTTP.Rules[0].Connect != nil {
		connectPort = be.Check.HTTP.Rules[0].Connect.Port != 0
	}
	seen := map[string]int{}
	for _, s := range be.Servers {
		if prev, dup := seen[s.Name]; dup {
			b.errf(s.Line, "%s: server '%s' is already defined at line %d", p.where(), s.Name, prev)
		}
		seen[s.Name] = s.Line
		if s.Check && s.Port == 0 && s.CheckPort == 0 && !connectPort {
			b.warnf(s.Line, "%s server '%s': neither a service port nor a check port: the check is disabled (add 'port N')", p.where(), s.Name)
			s.Check = false
		}
	}
	if len(be.Servers) == 0 && !p.answersHTTP() && !slices.Contains(p.failed, "server") {
		b.warnf(p.line, "%s has no server: its connections are refused", p.where())
	}
	return be
}

// frontend builds the Frontend of a frontend or listen section.
func (b *builder) frontend(p *proxy, backends map[string]*Backend) *Frontend {
	fe := &Frontend{
		Name:             p.name,
		ConfigName:       p.configName,
		Line:             p.line,
		Mode:             p.mode,
		Binds:            p.binds,
		MaxConn:          p.maxConn,
		TimeoutClient:    p.timeouts.client,
		TimeoutClientFin: p.timeouts.clientFin,
		Stats:            p.stats,
		TCPLog:           p.tcplog,
		DontLogNull:      p.dontLogNull,
	}
	if p.logGlobal {
		fe.Logs = append(fe.Logs, b.global.Logs...)
	}
	fe.Logs = append(fe.Logs, p.logs...)
	for i := range fe.Binds {
		fe.Binds[i].ReusePort = !b.global.NoReusePort // SO_REUSEPORT unless noreuseport
	}
	if fe.Stats != nil && fe.Stats.URI == "" {
		fe.Stats.URI = "/haproxy?stats" // HAProxy's default stats URI
	}
	if len(fe.Binds) == 0 && !slices.Contains(p.failed, "bind") {
		b.errf(p.line, "%s has no 'bind': add 'bind *:PORT' (or make it a backend)", p.where())
	}
	name, at, kw := p.defBackend, p.defBackendAt, "default_backend"
	if p.useBackend != "" {
		name, at, kw = p.useBackend, p.useBackendAt, "use_backend"
	}
	switch {
	case name != "":
		fe.DefaultBackend = backends[name]
		if fe.DefaultBackend == nil {
			b.errf(at, "%s: %s '%s' names no backend%s", p.where(), kw, name, suggest(name, backends))
		}
	case p.kind == "listen":
		fe.DefaultBackend = backends[p.configName]
	case !p.answersHTTP():
		b.warnf(p.line, "%s has no default_backend: its connections are closed at once", p.where())
	}
	if be := fe.DefaultBackend; be != nil && be.Mode != fe.Mode && p.kind != "listen" {
		b.warnf(at, "%s is mode %s but backend '%s' is mode %s; halo forwards both as TCP", p.where(), fe.Mode, be.Name, be.Mode)
	}
	b.selfServed(p, fe, backends)
	return fe
}

// suggest names a backend whose name differs only in case, if any.
func suggest(name string, backends map[string]*Backend) string {
	for n := range backends {
		if strings.EqualFold(n, name) {
			return " (did you mean '" + n + "'?)"
		}
	}
	return ""
}

// tlsPorts and plainPorts drive the "TLS forwarded to plain HTTP" warning.
var (
	tlsPorts   = map[int]bool{443: true, 8443: true}
	plainPorts = map[int]bool{80: true, 8080: true}
)

// tlsToPlainWarnings warns when a frontend listening on a TLS port sends its
// traffic to servers on a plain-HTTP port: the seed's router443 does this.
func (b *builder) tlsToPlainWarnings(fe *Frontend) {
	be := fe.DefaultBackend
	if be == nil {
		return
	}
	done := map[int]bool{}
	for _, bd := range fe.Binds {
		_, ps, _ := net.SplitHostPort(bd.Addr)
		port, _ := strconv.Atoi(ps)
		if !tlsPorts[port] || done[port] {
			continue
		}
		done[port] = true
		for _, s := range be.Servers {
			if plainPorts[s.Port] {
				b.warnf(s.Line, "backend '%s' server '%s': frontend '%s' sends port %d (TLS) traffic here on port %d (plain HTTP): the server will receive TLS it cannot read; did you mean port %d?",
					be.Name, s.Name, fe.Name, port, s.Port, port)
			}
		}
	}
}

// bindText prints a bind address the way HAProxy users write it.
func bindText(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "*" + addr
	}
	return addr
}
