package haproxy

import (
	"regexp"
	"strconv"
	"strings"
)

// httpchkOption reads `option httpchk [[METHOD] URI [VERSION]]`. The
// version may carry extra header lines ("HTTP/1.1\r\nHost:\ www"), the
// pre-2.2 way to send headers, which HAProxy 2.6 still honours.
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
		h.Version, h.Headers = splitVersion(args[2])
	default:
		b.errf(l.num, "%s: option httpchk: unexpected '%s' (usage: option httpchk [METHOD] [URI] [VERSION])", p.where(), args[3])
	}
}

// splitVersion cuts a version string into the version and the header lines
// it carries.
func splitVersion(v string) (string, []Header) {
	parts := strings.Split(v, "\r\n")
	var hs []Header
	for _, line := range parts[1:] {
		name, val, _ := strings.Cut(line, ":")
		if name = strings.TrimSpace(name); name != "" {
			hs = append(hs, Header{Name: name, Value: strings.TrimSpace(val)})
		}
	}
	return parts[0], hs
}

// httpCheckKw reads one HAProxy 2.2+ `http-check` rule. Rules written in a
// backend replace those it inherited from its defaults section, as in
// HAProxy; finish completes the sequence (httpRules).
func (b *builder) httpCheckKw(p *proxy, l line) {
	sub := l.arg(1)
	var rule HTTPCheckRule
	switch sub {
	case "connect":
		c, ok := b.checkConnect(p, l, "http-check connect", l.words[2:])
		if !ok {
			return
		}
		rule.Connect = c
	case "send":
		s, ok := b.httpSend(p, l)
		if !ok {
			return
		}
		rule.Send = s
	case "expect":
		e, ok := b.httpExpect(p, l)
		if !ok {
			return
		}
		rule.Expect = e
	case "disable-on-404", "send-state":
		b.warnf(l.num, "%s: 'http-check %s' is ignored", p.where(), sub)
		return
	case "comment":
		return
	case "":
		b.errf(l.num, "%s: 'http-check' needs connect, send or expect", p.where())
		return
	default:
		b.errf(l.num, "%s: 'http-check %s' is not supported: halo supports connect, send and expect", p.where(), sub)
		return
	}
	if p.kind != "defaults" && !p.httpRulesOwn {
		p.check.HTTP.Rules = nil // the section's own rules replace the inherited ones
	}
	p.httpRulesOwn = p.kind != "defaults"
	rule.Line = l.num
	p.check.HTTP.Rules = append(p.check.HTTP.Rules, rule)
	if p.httpRuleSeen == 0 {
		p.httpRuleSeen = l.num
	}
}

// checkConnect reads the options of `http-check connect` and `tcp-check
// connect`.
func (b *builder) checkConnect(p *proxy, l line, what string, args []string) (*CheckConnect, bool) {
	c := &CheckConnect{}
	for i := 0; i < len(args); i++ {
		opt := args[i]
		val := func() (string, bool) {
			if i+1 >= len(args) {
				b.errf(l.num, "%s: %s: '%s' needs a value", p.where(), what, opt)
				return "", false
			}
			i++
			return args[i], true
		}
		var v string
		ok := true
		switch opt {
		case "default", "linger":
		case "ssl":
			c.SSL = true
		case "send-proxy":
			c.SendProxy = true
			b.warnf(l.num, "%s: %s: 'send-proxy' is ignored: halo's checks send no PROXY header", p.where(), what)
		case "port":
			if v, ok = val(); ok {
				port, err := parsePort(v)
				if err != nil {
					b.errf(l.num, "%s: %s: %v (halo takes a number, not a sample expression)", p.where(), what, err)
					return nil, false
				}
				c.Port = port
			}
		case "addr":
			if v, ok = val(); ok {
				if !validHost(v) {
					b.errf(l.num, "%s: %s: bad address %s", p.where(), what, strconv.Quote(v))
					return nil, false
				}
				c.Addr = v
			}
		case "sni":
			c.SNI, ok = val()
		case "alpn":
			if c.ALPN, ok = val(); ok && strings.Contains(","+c.ALPN+",", ",h2,") {
				b.warnf(l.num, "%s: %s: alpn '%s': halo's checks speak HTTP/1.1, so they do not offer h2", p.where(), what, c.ALPN)
			}
		case "comment":
			_, ok = val()
		case "proto":
			if v, ok = val(); ok && v != "h1" {
				b.errf(l.num, "%s: %s: proto '%s' is not supported: halo's checks speak HTTP/1.x", p.where(), what, v)
				return nil, false
			}
		case "via-socks4":
			b.errf(l.num, "%s: %s: 'via-socks4' is not supported: halo's checks connect directly", p.where(), what)
			return nil, false
		default:
			b.errf(l.num, "%s: %s: unknown option '%s' (halo supports default, port, addr, ssl, sni, alpn, linger)", p.where(), what, opt)
			return nil, false
		}
		if !ok {
			return nil, false
		}
	}
	return c, true
}

// httpSend reads `http-check send [meth M] [uri U] [ver V] [hdr N V]*
// [body B] [comment C]`. Fields left out stay "" and finish fills them
// from `option httpchk`.
func (b *builder) httpSend(p *proxy, l line) (*HTTPRequest, bool) {
	r := &HTTPRequest{}
	for i := 2; i < len(l.words); i++ {
		opt := l.words[i]
		if i+1 >= len(l.words) {
			b.errf(l.num, "%s: http-check send: '%s' needs a value", p.where(), opt)
			return nil, false
		}
		i++
		val := l.words[i]
		if strings.HasSuffix(opt, "-lf") && hasLogFormat(val) {
			b.errf(l.num, "%s: http-check send: '%s %s': log-format expressions are not supported; write the value literally", p.where(), opt, val)
			return nil, false
		}
		switch opt {
		case "meth":
			r.Method = val
		case "uri", "uri-lf":
			r.URI = val
		case "ver":
			r.Version = val
		case "body", "body-lf":
			r.Body = val
		case "comment":
		case "hdr":
			if i+1 >= len(l.words) {
				b.errf(l.num, "%s: http-check send: 'hdr' needs a name and a value", p.where())
				return nil, false
			}
			i++
			if hasLogFormat(l.words[i]) {
				b.errf(l.num, "%s: http-check send: header '%s': log-format expressions are not supported; write the value literally", p.where(), val)
				return nil, false
			}
			r.Headers = append(r.Headers, Header{Name: val, Value: strings.ReplaceAll(l.words[i], "%%", "%")})
		default:
			b.errf(l.num, "%s: http-check send: unknown option '%s' (halo supports meth, uri, ver, hdr, body)", p.where(), opt)
			return nil, false
		}
	}
	return r, true
}

// hasLogFormat reports whether s uses log-format variables ("%[...]",
// "%ci"); "%%" is a literal percent sign.
func hasLogFormat(s string) bool {
	return strings.Contains(strings.ReplaceAll(s, "%%", ""), "%")
}

// expectOptions are the `http-check expect` options halo accepts and
// ignores: they shape logs and status names, not the verdict.
var expectOptions = map[string]bool{
	"min-recv": true, "comment": true, "on-success": true, "on-error": true,
	"ok-status": true, "error-status": true, "tout-status": true, "status-code": true,
}

// httpExpect reads `http-check expect [options] [!] MATCH PATTERN`.
func (b *builder) httpExpect(p *proxy, l line) (*HTTPExpect, bool) {
	args := l.words[2:]
	for len(args) > 0 && expectOptions[args[0]] {
		if len(args) < 2 {
			b.errf(l.num, "%s: http-check expect: '%s' needs a value", p.where(), args[0])
			return nil, false
		}
		if strings.HasSuffix(args[0], "-status") || args[0] == "status-code" {
			b.warnf(l.num, "%s: http-check expect: '%s %s' is ignored: halo reports its own check status", p.where(), args[0], args[1])
		}
		args = args[2:]
	}
	e := &HTTPExpect{}
	if len(args) > 0 && strings.HasPrefix(args[0], "!") {
		e.Negate = true
		if args[0] == "!" {
			args = args[1:]
		} else {
			args[0] = args[0][1:]
		}
	}
	const usage = "usage: http-check expect [!] status|rstatus|string|rstring PATTERN"
	if len(args) == 0 {
		b.errf(l.num, "%s: http-check expect: %s", p.where(), usage)
		return nil, false
	}
	e.Match = ExpectMatch(args[0])
	switch e.Match {
	case ExpectStatus, ExpectRStatus, ExpectString, ExpectRString:
	case "hdr", "fhdr", "string-lf":
		b.errf(l.num, "%s: http-check expect %s is not supported: halo matches status, rstatus, string and rstring", p.where(), e.Match)
		return nil, false
	default:
		b.errf(l.num, "%s: http-check expect: unknown match '%s' (%s)", p.where(), e.Match, usage)
		return nil, false
	}
	if len(args) != 2 {
		b.errf(l.num, "%s: http-check expect %s: want exactly one pattern (escape blanks with a backslash or quote the pattern)", p.where(), e.Match)
		return nil, false
	}
	e.Pattern = args[1]
	switch e.Match {
	case ExpectStatus:
		codes, err := parseCodes(e.Pattern)
		if err != nil {
			b.errf(l.num, "%s: http-check expect status: %v", p.where(), err)
			return nil, false
		}
		e.Codes = codes
	case ExpectRStatus, ExpectRString:
		if _, err := regexp.Compile(e.Pattern); err != nil {
			b.errf(l.num, "%s: http-check expect %s: bad regular expression (halo uses Go's RE2 syntax): %v", p.where(), e.Match, err)
			return nil, false
		}
	}
	return e, true
}

// parseCodes reads "200", "200-399" or "200,301-308".
func parseCodes(s string) ([]CodeRange, error) {
	var out []CodeRange
	for _, part := range strings.Split(s, ",") {
		a, z, isRange := strings.Cut(part, "-")
		lo, err := parseInt(a, 100, 599)
		if err != nil {
			return nil, textError("bad status code " + strconv.Quote(part) + ": want CODE or LOW-HIGH, codes 100..599")
		}
		hi := lo
		if isRange {
			if hi, err = parseInt(z, lo, 599); err != nil {
				return nil, textError("bad status range " + strconv.Quote(part) + ": want LOW-HIGH within 100..599")
			}
		}
		out = append(out, CodeRange{Lo: lo, Hi: hi})
	}
	return out, nil
}

// implicitExpect accepts any 2xx or 3xx status: HAProxy's rule when an
// HTTP check says nothing else.
func implicitExpect() HTTPCheckRule {
	return HTTPCheckRule{Expect: &HTTPExpect{Match: ExpectStatus, Pattern: "200-399", Codes: []CodeRange{{200, 399}}}}
}

// httpRules completes the rule sequence of a backend with `option httpchk`
// (see HTTPCheck). Every send gets the `option httpchk` request for what it
// leaves out, and the version-string headers. It reports an error for a
// sequence HAProxy refuses.
func (b *builder) httpRules(p *proxy, h *HTTPCheck) {
	var out []HTTPCheckRule
	connectAt := -1
	hasSend := false
	for i, r := range h.Rules {
		if r.Connect != nil && connectAt < 0 {
			connectAt = i
		}
		hasSend = hasSend || r.Send != nil
	}
	if connectAt > 0 {
		b.errf(h.Rules[connectAt].Line, "%s: 'http-check connect' must be the first http-check rule (line %d comes before it)", p.where(), h.Rules[0].Line)
		return
	}
	rules := h.Rules
	if connectAt < 0 {
		out = append(out, HTTPCheckRule{Connect: &CheckConnect{}})
	} else {
		out, rules = append(out, rules[0]), rules[1:]
	}
	if !hasSend {
		out = append(out, HTTPCheckRule{Send: &HTTPRequest{}})
	}
	out = append(out, rules...)
	var done []HTTPCheckRule
	pendingSend := false // a send not yet followed by an expect
	for _, r := range out {
		switch {
		case r.Send != nil:
			if pendingSend {
				done = append(done, implicitExpect())
			}
			req := *r.Send
			req.Method = firstOf(req.Method, h.Method, "OPTIONS")
			req.URI = firstOf(req.URI, h.URI, "/")
			req.Version = firstOf(req.Version, h.Version, "HTTP/1.0")
			req.Headers = append(append([]Header(nil), h.Headers...), req.Headers...)
			r.Send, pendingSend = &req, true
		case r.Expect != nil:
			if !pendingSend && !sentOnConnection(done) {
				b.errf(r.Line, "%s: 'http-check expect' comes before any 'http-check send' on its connection", p.where())
				return
			}
			pendingSend = false
		case r.Connect != nil && pendingSend:
			done = append(done, implicitExpect())
			pendingSend = false
		}
		done = append(done, r)
	}
	if pendingSend {
		done = append(done, implicitExpect())
	}
	h.Rules = done
}

// sentOnConnection reports whether a send happened since the last connect
// of rules: a second expect may look at the same response.
func sentOnConnection(rules []HTTPCheckRule) bool {
	for i := len(rules) - 1; i >= 0; i-- {
		switch {
		case rules[i].Send != nil:
			return true
		case rules[i].Connect != nil:
			return false
		}
	}
	return false
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// Sequence returns the rules to run: Rules, or for an HTTPCheck built
// without them (by hand, in tests) the sequence `option httpchk` alone
// means: connect, send Method URI Version with Headers, expect 2xx/3xx.
func (h HTTPCheck) Sequence() []HTTPCheckRule {
	if len(h.Rules) > 0 {
		return h.Rules
	}
	req := &HTTPRequest{Method: firstOf(h.Method, "OPTIONS"), URI: firstOf(h.URI, "/"), Version: firstOf(h.Version, "HTTP/1.0"), Headers: h.Headers}
	return []HTTPCheckRule{{Connect: &CheckConnect{}}, {Send: req}, implicitExpect()}
}
