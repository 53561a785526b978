package health

import (
	"bytes"
	"fmt"
)

// tcpCheck runs the `tcp-check` rules (configuration.txt, "tcp-check
// connect", "tcp-check send", "tcp-check expect"). Without a leading
// connect rule the check first connects to the check port, as HAProxy
// does. An expect rule reads until its pattern matches, the server closes,
// the 16 KiB buffer is full or the check times out; consecutive expect
// rules look at the same received data, and a send or connect rule starts
// a fresh buffer.
func (s *session) tcpCheck() Result {
	steps := s.p.steps
	var r Result
	if len(steps) == 0 || steps[0].Action != "connect" {
		if r = s.dial(dialOpts{tls: s.p.tls}); !r.OK {
			return r
		}
	}
	layer7 := false
	for i, st := range steps {
		n := i + 1
		switch st.Action {
		case "connect":
			// `connect ssl` asks for TLS; so does `check-ssl` on the server.
			if r = s.dial(dialOpts{port: st.Port, addr: st.Addr, tls: st.SSL || s.p.tls, sni: st.SNI, alpn: st.ALPN}); !r.OK {
				r.Reason += fmt.Sprintf(" at step %d of tcp-check (connect)", n)
				return r
			}
		case "send":
			layer7 = true
			s.buf, s.eof = nil, false
			if _, err := s.conn.Write([]byte(st.Data)); err != nil {
				if isTimeout(err) {
					return fail(CodeL7Timeout, "at step %d of tcp-check (send)", n)
				}
				return fail(CodeL7Rsp, "TCPCHK send error at step %d: %s", n, errText(err))
			}
		case "expect":
			layer7 = true
			if r = s.expect(st, n); !r.OK {
				return r
			}
		default:
			return fail(CodeSockErr, "unknown tcp-check action %q at step %d", st.Action, n)
		}
	}
	if layer7 {
		return pass(CodeL7OK, "(tcp-check)")
	}
	return r
}

// expect applies one expect rule to the received data, reading more as
// needed. A negated rule fails as soon as its pattern shows up and passes
// once the server has closed or the buffer is full without it.
func (s *session) expect(st step, n int) Result {
	kind := "content"
	if st.re != nil {
		kind = "content (regex)"
	}
	for {
		matched := false
		if st.re != nil {
			matched = st.re.Match(s.buf)
		} else {
			matched = bytes.Contains(s.buf, []byte(st.Data))
		}
		switch {
		case matched && !st.Negate:
			return pass(CodeL7OK, "")
		case matched && st.Negate:
			return fail(CodeL7Rsp, "TCPCHK matched unwanted %s '%s' at step %d", kind, st.Data, n)
		case s.eof || s.full():
			if st.Negate {
				return pass(CodeL7OK, "")
			}
			if len(s.buf) == 0 {
				return fail(CodeL7Rsp, "TCPCHK got an empty response at step %d", n)
			}
			return fail(CodeL7Rsp, "TCPCHK did not match %s '%s' at step %d", kind, st.Data, n)
		}
		if r, ok := s.fill(fmt.Sprintf("at step %d of tcp-check (expect %s '%s')", n, kind, st.Data)); !ok {
			return r
		}
	}
}
