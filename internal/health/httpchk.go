package health

import (
	"bytes"
	"strconv"
	"strings"
)

// httpCheck sends `option httpchk`'s request and judges the status line
// (configuration.txt, "option httpchk", "http-check expect status"): the
// request is "METHOD URI VERSION", a Host header when one is configured,
// and an empty line. Without an expected status any 2xx or 3xx is UP.
func (s *session) httpCheck() Result {
	h := s.p.http
	method, uri, version := h.Method, h.URI, h.Version
	if method == "" {
		method = "OPTIONS"
	}
	if uri == "" {
		uri = "/"
	}
	if version == "" {
		version = "HTTP/1.0"
	}
	var req strings.Builder
	req.WriteString(method + " " + uri + " " + version + "\r\n")
	if h.Host != "" {
		req.WriteString("Host: " + h.Host + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := s.conn.Write([]byte(req.String())); err != nil {
		if isTimeout(err) {
			return fail(CodeL7Timeout, "")
		}
		return fail(CodeL7Rsp, "send error: %s", errText(err))
	}

	s.buf, s.eof = nil, false
	for {
		if i := bytes.IndexByte(s.buf, '\n'); i >= 0 {
			return judgeStatus(string(bytes.TrimRight(s.buf[:i], "\r")), h.ExpectStatus)
		}
		if s.eof || s.full() {
			if len(s.buf) == 0 {
				return fail(CodeL7Rsp, "empty response")
			}
			return fail(CodeL7Rsp, "no status line in %d bytes", len(s.buf))
		}
		if r, ok := s.fill(""); !ok {
			return r
		}
	}
}

// judgeStatus parses "HTTP/1.1 200 OK" and compares the code.
func judgeStatus(line string, want int) Result {
	proto, rest, _ := strings.Cut(line, " ")
	codeText, text, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeText)
	if !strings.HasPrefix(proto, "HTTP/") || len(codeText) != 3 || err != nil {
		if len(line) > 64 {
			line = line[:64] + "..."
		}
		return fail(CodeL7Rsp, "invalid status line %q", line)
	}
	detail := strings.TrimSpace(codeText + " " + text)
	ok := code >= 200 && code < 400
	if want != 0 {
		ok = code == want
	}
	if ok {
		return pass(CodeL7OK, "%s", detail)
	}
	return fail(CodeL7Status, "%s", detail)
}
