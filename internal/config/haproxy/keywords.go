package haproxy

import "strings"

// proxyKeyword is one keyword of defaults/frontend/backend/listen sections.
type proxyKeyword struct {
	caps int  // where it applies (capDefaults|capFrontend|capBackend)
	hard bool // elsewhere it is an error, not an ignored setting
	fn   func(b *builder, p *proxy, l line)
}

const (
	capDFB = capDefaults | capFrontend | capBackend
	capDF  = capDefaults | capFrontend
	capDB  = capDefaults | capBackend
)

var proxyKeywords = map[string]proxyKeyword{
	"mode":                        {capDFB, false, (*builder).modeKw},
	"bind":                        {capFrontend, true, (*builder).bindKw},
	"default_backend":             {capDF, false, (*builder).defaultBackendKw},
	"use_backend":                 {capFrontend, false, (*builder).useBackendKw},
	"maxconn":                     {capDF, false, (*builder).maxConnKw},
	"timeout":                     {capDFB, false, (*builder).timeoutKw},
	"contimeout":                  {capDB, false, (*builder).legacyTimeoutKw},
	"clitimeout":                  {capDF, false, (*builder).legacyTimeoutKw},
	"srvtimeout":                  {capDB, false, (*builder).legacyTimeoutKw},
	"retries":                     {capDB, false, (*builder).retriesKw},
	"option":                      {capDFB, false, (*builder).optionKw},
	"balance":                     {capDB, false, (*builder).balanceKw},
	"hash-type":                   {capDB, false, (*builder).hashTypeKw},
	"server":                      {capBackend, true, (*builder).serverKw},
	"default-server":              {capDB, false, (*builder).defaultServerKw},
	"tcp-check":                   {capDB, false, (*builder).tcpCheckKw},
	"http-check":                  {capDB, false, (*builder).httpCheckKw},
	"stats":                       {capDFB, false, (*builder).statsKw},
	"monitor-uri":                 {capDF, false, (*builder).monitorURIKw},
	"monitor":                     {capFrontend, false, (*builder).monitorKw},
	"acl":                         {capFrontend | capBackend, true, (*builder).aclKw},
	"http-request":                {capDFB, false, (*builder).httpRequestKw},
	"load-server-state-from-file": {capDB, false, (*builder).loadStateKw},
	"server-state-file-name":      {capDB, false, (*builder).stateFileNameKw},
	// Accepted and without effect on a layer-4 proxy.
	"log":              {capDFB, false, (*builder).logKw},
	"log-format":       {capDFB, false, nil},
	"log-tag":          {capDFB, false, nil},
	"error-log-format": {capDFB, false, nil},
	"description":      {capDFB, false, nil},
	"id":               {capDFB, false, nil},
	"backlog":          {capDF, false, nil},
	"fullconn":         {capDB, false, nil},
	"enabled":          {capDFB, false, nil},
}

// ignoredKeywords are accepted with a warning: they change nothing halo does.
var ignoredKeywords = map[string]string{
	"rate-limit":   "halo does not rate-limit accepts; use maxconn",
	"bind-process": "halo runs one process",
	"email-alert":  "halo sends no e-mail",
	"grace":        "halo drains on stop with global hard-stop-after",
}

// httpOnlyKeywords are HTTP-mode settings: accepted, and reported once per
// section that is in mode tcp.
var httpOnlyKeywords = map[string]bool{
	"errorfile": true, "errorfiles": true, "errorloc": true, "errorloc302": true,
	"errorloc303": true, "http-reuse": true, "compression": true,
	"unique-id-format": true, "unique-id-header": true, "http-error": true,
	"cookie": true, "capture": true, "http-send-name-header": true,
	"max-keep-alive-queue": true,
}

// unsupportedKeywords are refused: ignoring them would change what the
// configuration means (rules, ACLs, persistence, source addresses).
var unsupportedKeywords = map[string]string{
	"tcp-request":         "halo is a layer-4 proxy and does not evaluate content rules",
	"tcp-response":        "halo is a layer-4 proxy and does not evaluate content rules",
	"http-response":       "halo is a layer-4 proxy and does not evaluate HTTP rules",
	"http-after-response": "halo is a layer-4 proxy and does not evaluate HTTP rules",
	"redirect":            "halo is a layer-4 proxy and does not answer HTTP",
	"stick-table":         "halo has no stick tables; balance source keeps client affinity",
	"stick":               "halo has no stick tables; balance source keeps client affinity",
	"use-server":          "halo does not evaluate rules",
	"force-persist":       "halo does not evaluate rules",
	"ignore-persist":      "halo does not evaluate rules",
	"persist":             "halo has no persistence rules",
	"dispatch":            "list the server with a server line",
	"source":              "halo connects to servers from the address the kernel chooses",
	"disabled":            "remove or comment out the section instead",
	"external-check":      "halo runs no external check programs",
	"filter":              "halo has no stream filters",
	"use-fcgi-app":        "halo does not speak FastCGI",
	"server-template":     "list the servers one by one",
	"dynamic-cookie-key":  "halo has no cookies",
}

// proxyLine applies one line of a defaults/frontend/backend/listen section.
func (b *builder) proxyLine(p *proxy, l line) {
	kw := l.kw()
	if kw == "no" && l.arg(1) == "option" {
		b.option(p, line{num: l.num, words: l.words[1:]}, true)
		return
	}
	if kw == "no" && l.arg(1) == "log" && len(l.words) == 2 {
		p.logs, p.logGlobal = nil, false // forget the inherited targets
		return
	}
	if why, ok := unsupportedKeywords[kw]; ok {
		b.errf(l.num, "%s: '%s' is not supported: %s", p.where(), kw, why)
		return
	}
	if why, ok := ignoredKeywords[kw]; ok {
		b.warnf(l.num, "%s: '%s' is ignored: %s", p.where(), kw, why)
		return
	}
	if httpOnlyKeywords[kw] {
		p.httpOnly = append(p.httpOnly, httpUse{what: kw, line: l.num})
		return
	}
	k, ok := proxyKeywords[kw]
	if !ok {
		b.errf(l.num, "%s: unknown keyword '%s'", p.where(), kw)
		return
	}
	if k.caps&p.caps() == 0 {
		if k.hard {
			b.errf(l.num, "%s: '%s' is not allowed in a %s section", p.where(), kw, p.kind)
		} else {
			b.warnf(l.num, "%s: '%s' is ignored in a %s section", p.where(), kw, p.kind)
		}
		return
	}
	if k.fn == nil {
		return
	}
	n := len(b.diags)
	k.fn(b, p, l)
	if b.diags[n:].HasErrors() {
		// Remember it, so that "no bind" or "no server" does not repeat
		// the error already reported on this line.
		p.failed = append(p.failed, kw)
	}
}

// misplaced warns and reports true when a setting has no effect in p.
func (b *builder) misplaced(p *proxy, l line, what string, caps int) bool {
	if caps&p.caps() != 0 {
		return false
	}
	b.warnf(l.num, "%s: '%s' is ignored in a %s section", p.where(), what, p.kind)
	return true
}

// wantArgs reports an error unless l has exactly n words after its first
// skip words.
func (b *builder) wantArgs(p *proxy, l line, skip, n int, usage string) bool {
	if len(l.words)-skip == n {
		return true
	}
	what := strings.Join(l.words[:skip], " ")
	if len(l.words)-skip < n {
		b.errf(l.num, "%s: '%s' needs %s", p.where(), what, usage)
	} else {
		b.errf(l.num, "%s: '%s': unexpected '%s' (usage: %s %s)", p.where(), what, l.words[skip+n], what, usage)
	}
	return false
}

func (b *builder) modeKw(p *proxy, l line) {
	if !b.wantArgs(p, l, 1, 1, "tcp or http") {
		return
	}
	switch m := Mode(l.arg(1)); m {
	case ModeTCP, ModeHTTP:
		p.mode = m
	default:
		b.errf(l.num, "%s: mode '%s' is not supported: use tcp or http", p.where(), m)
	}
}

func (b *builder) defaultBackendKw(p *proxy, l line) {
	if b.wantArgs(p, l, 1, 1, "a backend name") {
		p.defBackend, p.defBackendAt = l.arg(1), l.num
	}
}

func (b *builder) useBackendKw(p *proxy, l line) {
	if len(l.words) > 2 && (l.words[2] == "if" || l.words[2] == "unless") {
		b.errf(l.num, "%s: conditional 'use_backend ... %s' is not supported: halo is a layer-4 proxy and does not evaluate ACLs; use default_backend", p.where(), l.words[2])
		return
	}
	if !b.wantArgs(p, l, 1, 1, "a backend name") {
		return
	}
	if p.useBackend == "" { // the first unconditional rule wins, as in HAProxy
		p.useBackend, p.useBackendAt = l.arg(1), l.num
	}
}

func (b *builder) maxConnKw(p *proxy, l line) {
	if !b.wantArgs(p, l, 1, 1, "a number") {
		return
	}
	n, err := parseInt(l.arg(1), 0, 1<<30)
	if err != nil {
		b.errf(l.num, "%s: maxconn: %v", p.where(), err)
		return
	}
	p.maxConn = n
}

func (b *builder) retriesKw(p *proxy, l line) {
	if !b.wantArgs(p, l, 1, 1, "a number") {
		return
	}
	n, err := parseInt(l.arg(1), 0, 1000)
	if err != nil {
		b.errf(l.num, "%s: retries: %v", p.where(), err)
		return
	}
	p.retries, p.retriesSet = n, true
}
