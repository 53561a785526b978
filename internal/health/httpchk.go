package health

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// httpCheck runs an HTTP check's rules in order (configuration.txt,
// "http-check connect", "http-check send", "http-check expect"): a connect
// opens a connection (closing the previous one), a send writes one
// request, and each expect judges the response to the last send, reading
// as much of it as the rule needs. The check passes when every rule does.
//
// On the event loop it returns done == false when it must wait, and
// resumes at the same rule on the next call.
func (s *session) httpCheck() (Result, bool) {
	for ; s.pc < len(s.p.httpRules); s.pc++ {
		r := &s.p.httpRules[s.pc]
		n := s.pc + 1
		switch {
		case r.Connect != nil:
			c := r.Connect
			res, wait := s.dial(dialOpts{port: c.Port, addr: c.Addr, tls: c.SSL || s.p.tls, sni: c.SNI, alpn: c.ALPN})
			if wait {
				return Result{}, false
			}
			if !res.OK {
				if r.Line != 0 {
					res.Reason += fmt.Sprintf(" at step %d of http-check (connect)", n)
				}
				return res, true
			}
		case r.Send != nil:
			if !s.connected() {
				return fail(CodeSockErr, "http-check send at step %d without a connection", n), true
			}
			switch io, err := s.send(s.p.requests[s.pc]); {
			case io == ioWait:
				return Result{}, false
			case io == ioTimeout:
				return fail(CodeL7Timeout, ""), true
			case err != nil:
				return fail(CodeL7Rsp, "send error: %s", errText(err)), true
			}
			s.buf, s.eof, s.head, s.fresh = nil, false, r.Send.Method == "HEAD", true
		case r.Expect != nil:
			e := r.Expect
			for s.fresh || !s.resp.enough(e) {
				s.fresh = false
				var err error
				if s.resp, err = parseResponse(s.buf, s.eof || s.full(), s.head); err != nil {
					return fail(CodeL7Rsp, "%v", err), true
				}
				if s.resp.enough(e) {
					break
				}
				if s.eof || s.full() {
					if len(s.buf) == 0 {
						return fail(CodeL7Rsp, "empty response"), true
					}
					return fail(CodeL7Rsp, "incomplete response in %d bytes", len(s.buf)), true
				}
				switch s.fill() {
				case ioWait:
					return Result{}, false
				case ioTimeout:
					return fail(CodeL7Timeout, ""), true
				}
			}
			res := judge(e, s.p.re[e], s.resp)
			if !res.OK {
				return res, true
			}
			s.last = res
		}
	}
	if s.last.Code == "" {
		return pass(CodeL7OK, ""), true
	}
	return s.last, true
}

// dialOpts says where and how one connection of a check goes; zero fields
// take the server's check settings.
type dialOpts struct {
	port int
	addr string
	tls  bool
	sni  string
	alpn string // comma-separated; h2 is never offered (the checks speak HTTP/1.1)
}

// buildRequest writes a request as HAProxy 2.6 sends it: the request line,
// the configured headers, "Connection: close" for HTTP/1.1 and later when
// no Connection header is configured, Content-Length with a body.
func buildRequest(r *haproxy.HTTPRequest) []byte {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.URI + " " + r.Version + "\r\n")
	conn, length := false, false
	for _, h := range r.Headers {
		conn = conn || strings.EqualFold(h.Name, "connection")
		if strings.EqualFold(h.Name, "content-length") || strings.EqualFold(h.Name, "transfer-encoding") {
			continue // HAProxy ignores them too: the body decides
		}
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	if !conn && r.Version != "HTTP/1.0" && r.Version != "HTTP/0.9" {
		b.WriteString("Connection: close\r\n")
	}
	if r.Body != "" {
		length = true
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
	}
	b.WriteString("\r\n")
	if length {
		b.WriteString(r.Body)
	}
	return []byte(b.String())
}

// judge applies an expect rule to a response; re is the rule's compiled
// pattern for rstatus and rstring.
func judge(e *haproxy.HTTPExpect, re *regexp.Regexp, r response) Result {
	detail := strings.TrimSpace(strconv.Itoa(r.status) + " " + r.reason)
	var matched bool
	switch e.Match {
	case haproxy.ExpectStatus:
		for _, c := range e.Codes {
			matched = matched || (r.status >= c.Lo && r.status <= c.Hi)
		}
	case haproxy.ExpectRStatus:
		matched = re.MatchString(strconv.Itoa(r.status))
	case haproxy.ExpectString:
		matched = strings.Contains(string(r.body), e.Pattern)
	case haproxy.ExpectRString:
		matched = re.Match(r.body)
	}
	if matched != e.Negate {
		return pass(CodeL7OK, "%s", detail)
	}
	switch {
	case e.Match == haproxy.ExpectStatus || e.Match == haproxy.ExpectRStatus:
		return fail(CodeL7Status, "%s", detail)
	case e.Negate:
		return fail(CodeL7Rsp, "HTTP content check matched unwanted content '%s' (status %s)", e.Pattern, detail)
	}
	return fail(CodeL7Rsp, "HTTP content check did not match '%s' (status %s)", e.Pattern, detail)
}
