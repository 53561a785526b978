package keepalived

import (
	"strings"

	"github.com/halo-lb/halo/internal/config/diag"
)

// token is one word of a line: a bare word, a "quoted string" (quotes
// removed), or a brace.
type token struct {
	text   string
	raw    string // as written, quotes included
	quoted bool
}

// node is one statement: a keyword with its arguments, and, when it opens a
// { ... } block, the statements inside.
type node struct {
	file     string
	line     int
	args     []token // args[0] is the keyword
	block    bool
	children []*node
}

func (n *node) key() string { return n.args[0].text }

// words returns the argument texts after the keyword.
func (n *node) words() []string {
	out := make([]string, 0, len(n.args)-1)
	for _, t := range n.args[1:] {
		out = append(out, t.text)
	}
	return out
}

// rest returns the arguments after the keyword as one string: a single
// quoted argument is returned without its quotes, anything else as written,
// separated by single spaces. It is how commands (script, notify_*) are kept.
func (n *node) rest() string {
	a := n.args[1:]
	if len(a) == 1 {
		return a[0].text
	}
	parts := make([]string, len(a))
	for i, t := range a {
		parts[i] = t.raw
	}
	return strings.Join(parts, " ")
}

// lexLine splits one line into tokens. Comments start with '#' or '!'
// anywhere outside a quoted string; braces are tokens of their own.
func lexLine(s string) (toks []token, unterminated bool) {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			i++
		case c == '#' || c == '!':
			return toks, false
		case c == '{' || c == '}':
			toks = append(toks, token{text: s[i : i+1], raw: s[i : i+1]})
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				toks = append(toks, token{text: s[i+1:], raw: s[i:], quoted: true})
				return toks, true
			}
			toks = append(toks, token{text: s[i+1 : i+1+end], raw: s[i : i+2+end], quoted: true})
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\v\f#!{}\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{text: s[i:j], raw: s[i:j]})
			i = j
		}
	}
	return toks, false
}

// buildTree turns a file into its top-level statements. A block opens with
// '{' at the end of its statement or alone on a following line; '}' may be
// alone or end a line; `a { b c }` on one line is a block holding `b c`.
func buildTree(file string, data []byte, d *diag.List) []*node {
	root := &node{block: true}
	stack := []*node{root}
	var open []int    // line each open block started on
	var indents []int // indentation of each open block's line
	// suspect is the block that most likely lacks its '}': a '}' alone on
	// its line that lines up with an outer block rather than the innermost.
	suspect, suspectLine, suspectClose := (*node)(nil), 0, 0
	lines := strings.Split(string(data), "\n")
	for i, text := range lines {
		lineNo := i + 1
		indent := indentOf(text)
		toks, unterminated := lexLine(text)
		if unterminated {
			d.Errorf(file, lineNo, "unterminated quoted string")
		}
		var cur []token
		flush := func() {
			if len(cur) > 0 {
				top := stack[len(stack)-1]
				top.children = append(top.children, &node{file: file, line: lineNo, args: cur})
				cur = nil
			}
		}
		for _, t := range toks {
			if t.quoted {
				cur = append(cur, t)
				continue
			}
			switch t.text {
			case "{":
				top := stack[len(stack)-1]
				var n *node
				switch {
				case len(cur) > 0:
					n = &node{file: file, line: lineNo, args: cur, block: true}
					top.children = append(top.children, n)
					cur = nil
				case len(top.children) > 0 && !top.children[len(top.children)-1].block &&
					top.children[len(top.children)-1].line < lineNo:
					n = top.children[len(top.children)-1]
					n.block = true
				default:
					d.Errorf(file, lineNo, "'{' without a keyword before it")
					n = &node{file: file, line: lineNo, args: []token{{text: "{", raw: "{"}}, block: true}
				}
				stack = append(stack, n)
				open = append(open, lineNo)
				indents = append(indents, indentOf(lines[n.line-1]))
			case "}":
				flush()
				if len(stack) == 1 {
					d.Errorf(file, lineNo, "'}' without a matching '{'")
					continue
				}
				if top := len(indents) - 1; suspect == nil && len(toks) == 1 && indents[top] > indent {
					for j := top - 1; j >= 0; j-- {
						if indents[j] == indent {
							suspect, suspectLine, suspectClose = stack[len(stack)-1], open[top], lineNo
							break
						}
					}
				}
				stack = stack[:len(stack)-1]
				open = open[:len(open)-1]
				indents = indents[:len(indents)-1]
			default:
				cur = append(cur, t)
			}
		}
		flush()
	}
	if len(stack) > 1 && suspect != nil {
		// Name the block left open, not the outer one the count ends on.
		d.Errorf(file, suspectLine, "block %q opened here is never closed with '}' (the '}' on line %d lines up with the block around it)", suspect.key(), suspectClose)
		return root.children
	}
	for i := len(stack) - 1; i > 0; i-- {
		d.Errorf(file, open[i-1], "block %q opened here is never closed with '}'", stack[i].key())
	}
	return root.children
}

// indentOf is the width of a line's leading blanks, a tab counting 8.
func indentOf(line string) int {
	n := 0
	for _, c := range line {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 8 - n%8
		default:
			return n
		}
	}
	return n
}
