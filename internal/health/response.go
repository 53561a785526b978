package health

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// response is what an HTTP check has read of a response so far.
type response struct {
	status   int    // 0 until the status line is complete
	reason   string // "OK"
	body     []byte // decoded (chunked) body received so far
	complete bool   // the body is whole: its length reached, the last chunk seen, or the server closed
}

// enough reports whether r has what expect rule e looks at: the status
// line for status rules, the whole body for content rules.
func (r response) enough(e *haproxy.HTTPExpect) bool {
	if e.Match == haproxy.ExpectStatus || e.Match == haproxy.ExpectRStatus {
		return r.status != 0
	}
	return r.status != 0 && r.complete
}

// parseResponse reads an HTTP/1.x response from buf; ended says no more
// bytes will come (the server closed, or the buffer is full). It fails
// only on a malformed status line; a response cut short is returned as far
// as it goes. HEAD answers and 1xx/204/304 statuses have no body.
func parseResponse(buf []byte, ended bool, head bool) (response, error) {
	var r response
	eol := bytes.IndexByte(buf, '\n')
	if eol < 0 {
		if ended && len(buf) > 0 {
			return r, fmt.Errorf("no status line in %d bytes", len(buf))
		}
		return r, nil
	}
	line := string(bytes.TrimRight(buf[:eol], "\r"))
	proto, rest, _ := strings.Cut(line, " ")
	codeText, reason, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeText)
	if !strings.HasPrefix(proto, "HTTP/") || len(codeText) != 3 || err != nil || code < 100 {
		if len(line) > 64 {
			line = line[:64] + "..."
		}
		return r, fmt.Errorf("invalid status line %q", line)
	}
	r.status, r.reason = code, strings.TrimSpace(reason)
	headers, body, ok := cutHead(buf[eol+1:])
	if !ok {
		r.complete = ended
		return r, nil
	}
	if head || code < 200 || code == 204 || code == 304 {
		r.complete = true
		return r, nil
	}
	length, chunked := -1, false
	for rest := headers; len(rest) > 0; {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\n"))
		name, val, _ := bytes.Cut(bytes.TrimRight(h, "\r"), []byte(":"))
		name = bytes.TrimSpace(name)
		switch {
		case bytes.EqualFold(name, []byte("content-length")):
			if n, err := strconv.Atoi(string(bytes.TrimSpace(val))); err == nil && n >= 0 {
				length = n
			}
		case bytes.EqualFold(name, []byte("transfer-encoding")):
			chunked = bytes.Contains(bytes.ToLower(val), []byte("chunked"))
		}
	}
	switch {
	case chunked:
		r.body, r.complete = dechunk(body)
	case length >= 0:
		r.body, r.complete = body[:min(length, len(body))], len(body) >= length
	default:
		r.body = body
	}
	r.complete = r.complete || ended
	return r, nil
}

// cutHead splits the header lines from the body at the empty line.
func cutHead(b []byte) (headers, body []byte, ok bool) {
	if bytes.HasPrefix(b, []byte("\r\n")) {
		return nil, b[2:], true
	}
	if bytes.HasPrefix(b, []byte("\n")) {
		return nil, b[1:], true
	}
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return b[:i], b[i+4:], true
	}
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		return b[:i], b[i+2:], true
	}
	return nil, nil, false
}

// dechunk decodes as much of a chunked body as b holds and reports whether
// the last chunk was seen.
func dechunk(b []byte) ([]byte, bool) {
	var out []byte
	for {
		eol := bytes.IndexByte(b, '\n')
		if eol < 0 {
			return out, false
		}
		sizeText, _, _ := strings.Cut(strings.TrimSpace(string(b[:eol])), ";")
		size, err := strconv.ParseUint(sizeText, 16, 31)
		if err != nil {
			return out, true // malformed: judge what came
		}
		b = b[eol+1:]
		if size == 0 {
			return out, true
		}
		if uint64(len(b)) < size {
			return append(out, b...), false
		}
		out = append(out, b[:size]...)
		b = bytes.TrimPrefix(bytes.TrimPrefix(b[size:], []byte("\r")), []byte("\n"))
	}
}
