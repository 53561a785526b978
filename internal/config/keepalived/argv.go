package keepalived

import "fmt"

// SplitCommand splits a script line into argv the way keepalived does for
// vrrp_script and notify commands: words separated by blanks, with single or
// double quotes grouping a word and backslash escaping the next character.
// No shell is involved; a user who wants one writes `sh -c '...'`.
func SplitCommand(s string) ([]string, error) {
	var argv []string
	var cur []rune
	inWord := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur, esc, inWord = append(cur, r), false, true
		case r == '\\' && quote != '\'':
			esc, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur = append(cur, r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				argv = append(argv, string(cur))
				cur, inWord = cur[:0], false
			}
		default:
			cur, inWord = append(cur, r), true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
	}
	if esc {
		return nil, fmt.Errorf("trailing backslash in %q", s)
	}
	if inWord {
		argv = append(argv, string(cur))
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return argv, nil
}
