// Package diag holds the file:line diagnostics that both configuration
// parsers produce, printed the way `haproxy -c` and compilers do:
// "path:line: error|warning: text".
package diag

import (
	"fmt"
	"strings"
)

// Severity says whether a diagnostic stops the configuration from running.
type Severity int

const (
	Warning Severity = iota
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Diagnostic is one message about one line of one file. Line 0 means the
// message is about the whole file (or a pair of files).
type Diagnostic struct {
	File     string
	Line     int
	Severity Severity
	Msg      string
}

func (d Diagnostic) String() string {
	if d.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", d.File, d.Line, d.Severity, d.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", d.File, d.Severity, d.Msg)
}

// List collects diagnostics in the order they were found.
type List []Diagnostic

// Errorf records an error at file:line.
func (l *List) Errorf(file string, line int, format string, args ...any) {
	*l = append(*l, Diagnostic{File: file, Line: line, Severity: Error, Msg: fmt.Sprintf(format, args...)})
}

// Warnf records a warning at file:line.
func (l *List) Warnf(file string, line int, format string, args ...any) {
	*l = append(*l, Diagnostic{File: file, Line: line, Severity: Warning, Msg: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (l List) Errors() List {
	var out List
	for _, d := range l {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Err returns nil when there is no error, otherwise an error whose text is
// every error diagnostic, one per line, so that a reload that fails can log
// exactly what `halo check` would print.
func (l List) Err() error {
	errs := l.Errors()
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Error joins the diagnostics one per line; it lets a List be an error.
func (l List) Error() string {
	var b strings.Builder
	for i, d := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}
