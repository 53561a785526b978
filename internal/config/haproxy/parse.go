package haproxy

import (
	"os"
	"strings"

	"github.com/halo-lb/halo/internal/config/diag"
)

// Parse reads a haproxy.cfg held in data; file names it in diagnostics and
// in Config.File. Environment variables come from the process environment
// and the `setenv`/`presetenv`/`unsetenv` lines of the global section. cfg
// is nil when diags has errors.
func Parse(file string, data []byte) (*Config, diag.List) {
	b := newBuilder(file)
	b.read(string(data))
	cfg := b.finish()
	if b.diags.HasErrors() {
		return nil, b.diags
	}
	return cfg, b.diags
}

// line is one configuration line cut into words.
type line struct {
	num   int
	words []string
}

// kw is the keyword of a line, in lower case for messages and lookups.
func (l line) kw() string { return l.words[0] }

// arg returns word i or "".
func (l line) arg(i int) string {
	if i < len(l.words) {
		return l.words[i]
	}
	return ""
}

// builder turns lines into sections as it reads them, the way HAProxy does
// (a section applies what the defaults before it said).
type builder struct {
	file  string
	diags diag.List

	envSet   map[string]string // from setenv/presetenv
	envUnset map[string]bool   // from unsetenv

	conds []condFrame // open .if blocks

	section     string // "global", "defaults", "frontend", "backend", "listen", "skip" or ""
	global      Global
	cur         *proxy            // the section being read (not for global)
	lastDefault *proxy            // the defaults section that applies to sections without `from`
	defaults    map[string]*proxy // named defaults sections
	proxies     []*proxy          // frontends, backends and listens in file order
}

func newBuilder(file string) *builder {
	return &builder{
		file:        file,
		envSet:      map[string]string{},
		envUnset:    map[string]bool{},
		defaults:    map[string]*proxy{},
		lastDefault: newProxy("defaults", "", 0),
		global:      Global{StrictLimits: true}, // on by default since HAProxy 2.6
	}
}

func (b *builder) errf(n int, format string, args ...any)  { b.diags.Errorf(b.file, n, format, args...) }
func (b *builder) warnf(n int, format string, args ...any) { b.diags.Warnf(b.file, n, format, args...) }

// lookupEnv is the environment the configuration sees.
func (b *builder) lookupEnv(name string) (string, bool) {
	if v, ok := b.envSet[name]; ok {
		return v, true
	}
	if b.envUnset[name] {
		return "", false
	}
	return os.LookupEnv(name)
}

// read feeds every line to the conditional filter and the section parser.
func (b *builder) read(text string) {
	text = strings.TrimPrefix(text, "\uFEFF")
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		trimmed := strings.TrimLeft(raw, " \t")
		if strings.HasPrefix(trimmed, ".") {
			b.directive(n, trimmed)
			continue
		}
		if !b.active() {
			continue
		}
		words, err := splitWords(raw, b.lookupEnv)
		if err != nil {
			b.errf(n, "%v", err)
			continue
		}
		if len(words) == 0 {
			continue
		}
		b.line(line{num: n, words: words})
	}
	for _, c := range b.conds {
		b.errf(c.line, ".if block is never closed by .endif")
	}
}

// sectionKinds are the section keywords halo reads.
var sectionKinds = map[string]bool{"global": true, "defaults": true, "frontend": true, "backend": true, "listen": true}

// skippedSections are HAProxy sections halo has no use for: their content
// is skipped with one warning.
var skippedSections = map[string]string{
	"resolvers":   "halo re-resolves server names with the system resolver",
	"userlist":    "halo does not authenticate HTTP users",
	"peers":       "halo has no stick tables to synchronise",
	"mailers":     "halo sends no e-mail alerts",
	"http-errors": "halo does not answer HTTP errors",
	"cache":       "halo does not cache HTTP",
	"ring":        "halo logs to stderr",
	"program":     "run other programs with systemd",
	"crt-store":   "halo does not terminate TLS",
	"log-forward": "halo does not forward logs",
	"traces":      "halo has no trace sources",
}

// line dispatches one active, non-empty line.
func (b *builder) line(l line) {
	kw := l.kw()
	if sectionKinds[kw] {
		b.startSection(l)
		return
	}
	if why, ok := skippedSections[kw]; ok {
		b.section, b.cur = "skip", nil
		b.warnf(l.num, "section '%s' is ignored: %s", kw, why)
		return
	}
	switch b.section {
	case "":
		b.errf(l.num, "'%s' is outside any section: start with global, defaults, frontend, backend or listen", kw)
	case "skip":
	case "global":
		b.globalLine(l)
	default:
		b.proxyLine(b.cur, l)
	}
}
