package haproxy

import (
	"fmt"
	"strconv"
	"strings"
)

// condFrame is one open .if block (configuration.txt 2.4 "Conditional
// blocks").
type condFrame struct {
	line         int
	parentActive bool // the enclosing block is being read
	active       bool // the current branch is being read
	taken        bool // some branch of this block was chosen
	seenElse     bool
}

// active reports whether lines are currently being read.
func (b *builder) active() bool {
	return len(b.conds) == 0 || b.conds[len(b.conds)-1].active
}

// directive handles a line starting with '.'.
func (b *builder) directive(n int, text string) {
	words, err := splitWords(text, b.lookupEnv)
	if err != nil {
		if b.active() {
			b.errf(n, "%v", err)
		}
		return
	}
	if len(words) == 0 {
		return
	}
	top := func() *condFrame {
		if len(b.conds) == 0 {
			return nil
		}
		return &b.conds[len(b.conds)-1]
	}
	switch kw := words[0]; kw {
	case ".if":
		f := condFrame{line: n, parentActive: b.active()}
		if f.parentActive {
			v, err := evalCond(words[1:], b.lookupEnv)
			if err != nil {
				b.errf(n, ".if: %v", err)
			}
			f.active, f.taken = v, v
		}
		b.conds = append(b.conds, f)
	case ".elif":
		f := top()
		switch {
		case f == nil:
			b.errf(n, ".elif without .if")
		case f.seenElse:
			b.errf(n, ".elif after .else (the .if is at line %d)", f.line)
		case f.parentActive && !f.taken:
			v, err := evalCond(words[1:], b.lookupEnv)
			if err != nil {
				b.errf(n, ".elif: %v", err)
			}
			f.active, f.taken = v, v
		default:
			f.active = false
		}
	case ".else":
		f := top()
		switch {
		case f == nil:
			b.errf(n, ".else without .if")
		case f.seenElse:
			b.errf(n, "second .else in the .if block of line %d", f.line)
		default:
			f.active = f.parentActive && !f.taken
			f.taken, f.seenElse = true, true
		}
	case ".endif":
		if top() == nil {
			b.errf(n, ".endif without .if")
			return
		}
		b.conds = b.conds[:len(b.conds)-1]
	case ".diag", ".notice", ".warning", ".alert":
		if !b.active() {
			return
		}
		msg := strings.Join(words[1:], " ")
		if kw == ".alert" {
			b.errf(n, "%s", msg)
		} else {
			b.warnf(n, "%s", msg)
		}
	default:
		if b.active() {
			b.errf(n, "unknown directive '%s' (halo supports .if, .elif, .else, .endif, .diag, .notice, .warning, .alert)", kw)
		}
	}
}

// evalCond evaluates the words after .if: an optional '!' and one of a
// number (0 is false), defined(VAR), streq(a,b) or strneq(a,b). Variables
// were already expanded by the lexer.
func evalCond(words []string, env lookupFunc) (bool, error) {
	expr := strings.TrimSpace(strings.Join(words, " "))
	neg := false
	for strings.HasPrefix(expr, "!") {
		neg = !neg
		expr = strings.TrimSpace(expr[1:])
	}
	v, err := evalTerm(expr, env)
	return v != neg, err
}

func evalTerm(expr string, env lookupFunc) (bool, error) {
	if expr == "" {
		return false, nil
	}
	if n, err := strconv.ParseInt(expr, 10, 64); err == nil {
		return n != 0, nil
	}
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return false, fmt.Errorf("cannot evaluate %q: want a number, defined(VAR), streq(a,b) or strneq(a,b)", expr)
	}
	fn, args := expr[:open], strings.Split(expr[open+1:len(expr)-1], ",")
	for i := range args {
		args[i] = strings.TrimSpace(args[i])
	}
	switch fn {
	case "defined":
		if len(args) != 1 || !isIdent(args[0]) {
			return false, fmt.Errorf("defined() takes one variable name, got %q", expr)
		}
		_, ok := env(args[0])
		return ok, nil
	case "streq", "strneq":
		if len(args) != 2 {
			return false, fmt.Errorf("%s() takes two strings, got %q", fn, expr)
		}
		return (args[0] == args[1]) == (fn == "streq"), nil
	}
	return false, fmt.Errorf("unsupported condition %q: halo supports numbers, defined(), streq() and strneq()", fn+"()")
}
