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
//
// On the event loop it returns done == false when it must wait, and
// resumes at the same rule on the next call.
func (s *session) tcpCheck() (r Result, done bool) {
	steps := s.p.steps
	if s.pc < 0 { // no leading connect rule: connect to the check port first
		r, wait := s.dial(dialOpts{tls: s.p.tls})
		if wait {
			return Result{}, false
		}
		if !r.OK {
			return r, true
		}
		s.last, s.pc = r, 0
	}
	for ; s.pc < len(steps); s.pc++ {
		st := &steps[s.pc]
		n := s.pc + 1
		switch st.Action {
		case "connect":
			// `connect ssl` asks for TLS; so does `check-ssl` on the server.
			r, wait := s.dial(dialOpts{port: st.Port, addr: st.Addr, tls: st.SSL || s.p.tls, sni: st.SNI, alpn: st.ALPN})
			if wait {
				return Result{}, false
			}
			if !r.OK {
				r.Reason += fmt.Sprintf(" at step %d of tcp-check (connect)", n)
				return r, true
			}
			s.last = r
		case "send":
			s.layer7 = true
			if !s.sending {
				s.buf, s.eof = nil, false
			}
			switch io, err := s.send(st.data); {
			case io == ioWait:
				return Result{}, false
			case io == ioTimeout:
				return fail(CodeL7Timeout, "at step %d of tcp-check (send)", n), true
			case err != nil:
				return fail(CodeL7Rsp, "TCPCHK send error at step %d: %s", n, errText(err)), true
			}
		case "expect":
			s.layer7 = true
			r, io := s.expect(st, n)
			if io == ioWait {
				return Result{}, false
			}
			if !r.OK {
				return r, true
			}
		default:
			return fail(CodeSockErr, "unknown tcp-check action %q at step %d", st.Action, n), true
		}
	}
	if s.layer7 {
		return pass(CodeL7OK, "(tcp-check)"), true
	}
	return s.last, true
}

// expect applies one expect rule to the received data, reading more as
// needed. A negated rule fails as soon as its pattern shows up and passes
// once the server has closed or the buffer is full without it. ioWait
// says it must be called again when more can be read.
func (s *session) expect(st *step, n int) (Result, ioState) {
	kind := "content"
	if st.re != nil {
		kind = "content (regex)"
	}
	for {
		matched := false
		if st.re != nil {
			matched = st.re.Match(s.buf)
		} else {
			matched = bytes.Contains(s.buf, st.data)
		}
		switch {
		case matched && !st.Negate:
			return pass(CodeL7OK, ""), ioDone
		case matched && st.Negate:
			return fail(CodeL7Rsp, "TCPCHK matched unwanted %s '%s' at step %d", kind, st.Data, n), ioDone
		case s.eof || s.full():
			if st.Negate {
				return pass(CodeL7OK, ""), ioDone
			}
			if len(s.buf) == 0 {
				return fail(CodeL7Rsp, "TCPCHK got an empty response at step %d", n), ioDone
			}
			return fail(CodeL7Rsp, "TCPCHK did not match %s '%s' at step %d", kind, st.Data, n), ioDone
		}
		switch s.fill() {
		case ioWait:
			return Result{}, ioWait
		case ioTimeout:
			return fail(CodeL7Timeout, "at step %d of tcp-check (expect %s '%s')", n, kind, st.Data), ioDone
		}
	}
}
