package stats

import (
	"io"
	"math"
	"strconv"
	"strings"
)

// expo writes the Prometheus text exposition format (version 0.0.4)
// straight into a buffer. At 2,000 servers a scrape is about 110,000
// series; a registry of const metrics spends ten times HAProxy's own
// exporter on them, appending bytes spends a fraction of it.
type expo struct {
	w   io.Writer
	b   []byte
	err error
}

// flushAt is how much expo buffers before writing.
const flushAt = 64 << 10

func newExpo(w io.Writer) *expo { return &expo{w: w, b: make([]byte, 0, flushAt+4096)} }

// family starts a metric family: its HELP and TYPE lines.
func (e *expo) family(name, typ, help string) {
	e.b = append(e.b, "# HELP "...)
	e.b = append(e.b, name...)
	e.b = append(e.b, ' ')
	e.b = appendHelp(e.b, help)
	e.b = append(e.b, "\n# TYPE "...)
	e.b = append(e.b, name...)
	e.b = append(e.b, ' ')
	e.b = append(e.b, typ...)
	e.b = append(e.b, '\n')
}

// sample writes one series. labels is the already-escaped label list
// without braces (`proxy="web",server="s1"`), "" for none; extra is one
// more escaped pair (`state="UP"`) or "".
func (e *expo) sample(name, labels, extra string, v float64) {
	e.b = append(e.b, name...)
	if labels != "" || extra != "" {
		e.b = append(e.b, '{')
		e.b = append(e.b, labels...)
		if labels != "" && extra != "" {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, extra...)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ' ')
	e.b = appendValue(e.b, v)
	e.b = append(e.b, '\n')
	if len(e.b) >= flushAt {
		e.flush()
	}
}

func (e *expo) flush() error {
	if e.err == nil && len(e.b) > 0 {
		_, e.err = e.w.Write(e.b)
	}
	e.b = e.b[:0]
	return e.err
}

// appendValue writes integers as integers, the rest as Go's shortest
// float, NaN and infinities as the format spells them.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case v == math.Trunc(v) && math.Abs(v) < 1<<53:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendHelp escapes a HELP text: backslash and line feed.
func appendHelp(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// label returns the escaped pair name="value": backslash, double quote and
// line feed escaped, invalid UTF-8 replaced (the parsers refuse it).
func label(name, value string) string {
	var b strings.Builder
	b.Grow(len(name) + len(value) + 3)
	b.WriteString(name)
	b.WriteString(`="`)
	for _, c := range strings.ToValidUTF8(value, "\uFFFD") {
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// labels joins escaped pairs.
func labels(pairs ...string) string { return strings.Join(pairs, ",") }
