package haproxy

import (
	"strconv"
	"strings"
)

// Monitor is a frontend's `monitor-uri URI` and its `monitor fail if|unless
// COND` rules (configuration.txt 4.2): a request for exactly URI is
// answered by halo, 503 while any rule holds, 200 otherwise.
type Monitor struct {
	URI  string
	Line int // of monitor-uri
	Fail []MonitorRule
}

// MonitorRule is one `monitor fail` line.
type MonitorRule struct {
	Line   int
	Unless bool // `unless`: the rule holds while Cond does not
	Cond   Cond
}

// Cond is an ACL condition in disjunctive form: it holds when every term of
// one of the Any groups holds (blanks mean "and", `or`/`||` separate the
// groups, as HAProxy reads conditions). halo evaluates the nbsrv criterion
// only, which is what monitor conditions use.
type Cond struct {
	Any [][]CondTerm
}

// CondTerm is a named ACL (or an anonymous `{ ... }` one), maybe negated.
// An ACL declared on several lines holds when any of its lines does.
type CondTerm struct {
	Name   string // the ACL's name; "{ nbsrv(b) lt 1 }" for an anonymous one
	Negate bool
	Always bool // the predefined ACL TRUE (FALSE is a negated TRUE)
	Tests  []NbsrvTest
}

// NbsrvTest is one ACL line on `nbsrv(BACKEND)`: the number of usable
// servers of BACKEND compared with the values (any may match).
type NbsrvTest struct {
	Backend string // resolved: the frontend's own backend when the ACL says `nbsrv`
	Values  []IntMatch
	Line    int
}

// IntMatch is one integer pattern of an ACL: `eq|ge|gt|le|lt N`, `N`, or a
// range `LO:HI` (either end may be left out).
type IntMatch struct {
	Op     string // "eq", "ge", "gt", "le", "lt" or "range"
	N      int    // the operand; for a range, the low end
	Hi     int    // for a range, the high end
	OpenLo bool   // range without a low end
	OpenHi bool   // range without a high end
}

// Holds reports whether v matches.
func (m IntMatch) Holds(v int) bool {
	switch m.Op {
	case "eq":
		return v == m.N
	case "ge":
		return v >= m.N
	case "gt":
		return v > m.N
	case "le":
		return v <= m.N
	case "lt":
		return v < m.N
	}
	return (m.OpenLo || v >= m.N) && (m.OpenHi || v <= m.Hi)
}

// Failing reports whether the monitor URI must answer 503 now. nbsrv
// returns the number of usable servers of a backend, as HAProxy's nbsrv
// counts them.
func (m *Monitor) Failing(nbsrv func(backend string) int) bool {
	for _, r := range m.Fail {
		if r.Cond.Holds(nbsrv) != r.Unless {
			return true
		}
	}
	return false
}

// Holds evaluates the condition.
func (c Cond) Holds(nbsrv func(backend string) int) bool {
	for _, all := range c.Any {
		ok := true
		for _, t := range all {
			if t.holds(nbsrv) == t.Negate {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (t CondTerm) holds(nbsrv func(backend string) int) bool {
	if t.Always {
		return true
	}
	for _, test := range t.Tests {
		n := nbsrv(test.Backend)
		for _, v := range test.Values {
			if v.Holds(n) {
				return true
			}
		}
	}
	return false
}

// aclDef is an `acl` line on nbsrv while its section is read; the backend
// is resolved in finish.
type aclDef struct {
	name string
	test NbsrvTest
}

// aclKw reads `acl NAME nbsrv[(BACKEND)] [-m int] VALUES...`. halo reads
// ACLs for monitor conditions only, and those use nbsrv; any other
// criterion is refused.
func (b *builder) aclKw(p *proxy, l line) {
	if len(l.words) < 4 {
		b.errf(l.num, "%s: 'acl' needs a name, a criterion and a value (acl NAME nbsrv(BACKEND) lt 1)", p.where())
		return
	}
	name := l.arg(1)
	if name == "TRUE" || name == "FALSE" || !validName(name) {
		b.errf(l.num, "%s: acl: bad name '%s'", p.where(), name)
		return
	}
	test, ok := b.nbsrvTest(p, l, l.words[2:])
	if !ok {
		return
	}
	p.acls = append(p.acls, aclDef{name: name, test: test})
}

// nbsrvTest reads "nbsrv(B) [-m int] [--] VALUES..." of an ACL.
func (b *builder) nbsrvTest(p *proxy, l line, words []string) (NbsrvTest, bool) {
	crit := words[0]
	test := NbsrvTest{Line: l.num}
	switch {
	case crit == "nbsrv":
	case strings.HasPrefix(crit, "nbsrv(") && strings.HasSuffix(crit, ")"):
		test.Backend = crit[len("nbsrv(") : len(crit)-1]
	default:
		b.errf(l.num, "%s: ACL criterion '%s' is not supported: halo is a layer-4 proxy and evaluates only nbsrv, for monitor fail", p.where(), crit)
		return test, false
	}
	words = words[1:]
flags:
	for len(words) > 0 && strings.HasPrefix(words[0], "-") {
		switch {
		case words[0] == "--":
			words = words[1:]
			break flags
		case words[0] == "-m" && len(words) > 1 && words[1] == "int":
			words = words[2:]
		default:
			b.errf(l.num, "%s: acl: flag '%s' is not supported with nbsrv", p.where(), words[0])
			return test, false
		}
	}
	if len(words) == 0 {
		b.errf(l.num, "%s: acl: '%s' needs a value such as 'lt 1' or '0'", p.where(), crit)
		return test, false
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch w {
		case "eq", "ge", "gt", "le", "lt":
			if i+1 >= len(words) {
				b.errf(l.num, "%s: acl: '%s' needs a number", p.where(), w)
				return test, false
			}
			i++
			n, err := parseInt(words[i], 0, 1<<30)
			if err != nil {
				b.errf(l.num, "%s: acl: %s: %v", p.where(), w, err)
				return test, false
			}
			test.Values = append(test.Values, IntMatch{Op: w, N: n})
			continue
		}
		m, ok := parseIntRange(w)
		if !ok {
			b.errf(l.num, "%s: acl: bad value '%s' for nbsrv: want eq|ge|gt|le|lt N, N, or LOW:HIGH", p.where(), w)
			return test, false
		}
		test.Values = append(test.Values, m)
	}
	return test, true
}

// parseIntRange reads "N", "LO:HI", "LO:" or ":HI".
func parseIntRange(w string) (IntMatch, bool) {
	lo, hi, isRange := strings.Cut(w, ":")
	if !isRange {
		n, err := parseInt(w, 0, 1<<30)
		return IntMatch{Op: "eq", N: n}, err == nil
	}
	m := IntMatch{Op: "range", OpenLo: lo == "", OpenHi: hi == ""}
	if m.OpenLo && m.OpenHi {
		return m, false
	}
	var err error
	if !m.OpenLo {
		if m.N, err = parseInt(lo, 0, 1<<30); err != nil {
			return m, false
		}
	}
	if !m.OpenHi {
		if m.Hi, err = parseInt(hi, 0, 1<<30); err != nil {
			return m, false
		}
	}
	return m, true
}

// monitorKw reads `monitor fail if|unless COND`.
func (b *builder) monitorKw(p *proxy, l line) {
	if l.arg(1) != "fail" || (l.arg(2) != "if" && l.arg(2) != "unless") || len(l.words) < 4 {
		b.errf(l.num, "%s: usage: monitor fail if|unless CONDITION", p.where())
		return
	}
	cond, ok := b.condition(p, l, l.words[3:])
	if !ok {
		return
	}
	p.monitorFail = append(p.monitorFail, MonitorRule{Line: l.num, Unless: l.arg(2) == "unless", Cond: cond})
}

// monitorURIKw reads `monitor-uri URI`.
func (b *builder) monitorURIKw(p *proxy, l line) {
	if !b.wantArgs(p, l, 1, 1, "a URI such as /healthz") {
		return
	}
	if !strings.HasPrefix(l.arg(1), "/") {
		b.errf(l.num, "%s: monitor-uri: '%s' must start with '/'", p.where(), l.arg(1))
		return
	}
	p.monitorURI, p.monitorLine = l.arg(1), l.num
	p.httpOnly = append(p.httpOnly, httpUse{what: "monitor-uri", line: l.num})
}

// condition reads the words after `if`/`unless`: ACL names, `!`, `{ ... }`
// anonymous ACLs, and `or`/`||`. Named ACLs must be declared before, as in
// HAProxy.
func (b *builder) condition(p *proxy, l line, words []string) (Cond, bool) {
	var c Cond
	var group []CondTerm
	neg := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "or" || w == "||" {
			if len(group) == 0 || neg {
				b.errf(l.num, "%s: condition: '%s' needs a term on each side", p.where(), w)
				return c, false
			}
			c.Any, group = append(c.Any, group), nil
			continue
		}
		if strings.HasPrefix(w, "!") {
			neg, w = !neg, w[1:]
			if w == "" {
				continue
			}
		}
		t := CondTerm{Name: w, Negate: neg}
		neg = false
		switch {
		case w == "{":
			end := i + 1
			for end < len(words) && words[end] != "}" {
				end++
			}
			if end >= len(words) || end == i+1 {
				b.errf(l.num, "%s: condition: '{' without a matching '}'", p.where())
				return c, false
			}
			test, ok := b.nbsrvTest(p, l, words[i+1:end])
			if !ok {
				return c, false
			}
			t.Name, t.Tests = "{ "+strings.Join(words[i+1:end], " ")+" }", []NbsrvTest{test}
			i = end
		case w == "TRUE" || w == "FALSE":
			t.Always, t.Negate = true, t.Negate != (w == "FALSE")
		default:
			for _, a := range p.acls {
				if a.name == w {
					t.Tests = append(t.Tests, a.test)
				}
			}
			if len(t.Tests) == 0 {
				b.errf(l.num, "%s: condition: no ACL named '%s' is declared before this line", p.where(), w)
				return c, false
			}
		}
		group = append(group, t)
	}
	if len(group) == 0 || neg {
		b.errf(l.num, "%s: condition: incomplete after '%s'", p.where(), strings.Join(words, " "))
		return c, false
	}
	c.Any = append(c.Any, group)
	return c, true
}

// monitor builds a frontend's Monitor in finish: nbsrv without a backend
// means the frontend's own, and every backend named must exist.
func (b *builder) monitor(p *proxy, fe *Frontend, backends map[string]*Backend) *Monitor {
	if p.monitorURI == "" {
		for _, r := range p.monitorFail {
			b.warnf(r.Line, "%s: 'monitor fail' is ignored without 'monitor-uri'", p.where())
		}
		return nil
	}
	if p.mode != ModeHTTP {
		return nil // sectionWarnings says it is ignored in mode tcp
	}
	m := &Monitor{URI: p.monitorURI, Line: p.monitorLine}
	own := ""
	if fe.DefaultBackend != nil {
		own = fe.DefaultBackend.Name
	}
	for _, r := range p.monitorFail {
		r.Cond = cloneCond(r.Cond)
		for _, all := range r.Cond.Any {
			for _, t := range all {
				for k := range t.Tests {
					test := &t.Tests[k]
					switch {
					case test.Backend == "" && own == "":
						b.errf(test.Line, "%s: nbsrv without a backend needs the frontend's default_backend: write nbsrv(BACKEND)", p.where())
					case test.Backend == "":
						test.Backend = own
					case backends[test.Backend] == nil:
						b.errf(test.Line, "%s: nbsrv(%s) names no backend%s", p.where(), test.Backend, suggest(test.Backend, backends))
					}
				}
			}
		}
		m.Fail = append(m.Fail, r)
	}
	return m
}

// cloneCond copies the test slices that finish resolves, so that a section
// never changes what another one (or its defaults) holds.
func cloneCond(c Cond) Cond {
	out := Cond{Any: make([][]CondTerm, len(c.Any))}
	for i, all := range c.Any {
		out.Any[i] = make([]CondTerm, len(all))
		for j, t := range all {
			t.Tests = append([]NbsrvTest(nil), t.Tests...)
			out.Any[i][j] = t
		}
	}
	return out
}

// condText prints a condition for dumps and messages.
func condText(c Cond) string {
	var groups []string
	for _, all := range c.Any {
		var terms []string
		for _, t := range all {
			s := t.Name
			if t.Negate {
				s = "!" + s
			}
			for _, test := range t.Tests {
				s += "[nbsrv(" + test.Backend + ") line " + strconv.Itoa(test.Line) + "]"
			}
			terms = append(terms, s)
		}
		groups = append(groups, strings.Join(terms, " "))
	}
	return strings.Join(groups, " || ")
}
