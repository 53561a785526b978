package haproxy

import (
	"errors"
	"fmt"
	"strings"
)

// lookupFunc returns the value of an environment variable.
type lookupFunc func(name string) (string, bool)

// splitWords cuts one configuration line into words the way HAProxy does
// (configuration.txt 2.2 "Quoting and escaping", 2.3 "Environment
// variables"):
//   - blanks separate words and '#' starts a comment, outside quotes;
//   - "..." groups blanks, decodes escapes and expands $VAR, ${VAR} and
//     ${VAR-default} (an unset variable expands to nothing);
//   - '...' groups blanks and is taken literally;
//   - a backslash outside single quotes escapes ' ', '#', '\', '"', ”',
//     '$', and decodes \r, \n, \t and \xNN; any other "\c" is kept as is, so
//     regular expressions survive.
//
// Quotes may appear inside a word: a"b c"d is the single word "ab cd". A
// quoted empty string is an (empty) word.
func splitWords(s string, env lookupFunc) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	flush := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	const (
		outside = iota
		inDouble
		inSingle
	)
	state := outside
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case inSingle:
			if c == '\'' {
				state = outside
				continue
			}
			cur.WriteByte(c)
		case inDouble:
			switch c {
			case '"':
				state = outside
			case '\\':
				n, err := unescape(s, i, &cur)
				if err != nil {
					return nil, err
				}
				i = n
			case '$':
				n, err := expand(s, i, env, &cur)
				if err != nil {
					return nil, err
				}
				i = n
			default:
				cur.WriteByte(c)
			}
		default:
			switch c {
			case ' ', '\t', '\r', '\n':
				flush()
			case '#':
				flush()
				return words, nil
			case '"':
				state, inWord = inDouble, true
			case '\'':
				state, inWord = inSingle, true
			case '\\':
				n, err := unescape(s, i, &cur)
				if err != nil {
					return nil, err
				}
				i, inWord = n, true
			default:
				cur.WriteByte(c)
				inWord = true
			}
		}
	}
	switch state {
	case inDouble:
		return nil, errors.New(`unterminated double quote (")`)
	case inSingle:
		return nil, errors.New(`unterminated single quote (')`)
	}
	flush()
	return words, nil
}

// unescape decodes the escape sequence whose backslash is at s[i] into b
// and returns the index of its last byte.
func unescape(s string, i int, b *strings.Builder) (int, error) {
	if i+1 >= len(s) {
		return i, errors.New("backslash at end of line (HAProxy has no line continuation)")
	}
	c := s[i+1]
	switch c {
	case ' ', '#', '\\', '"', '\'', '$':
		b.WriteByte(c)
	case 'r':
		b.WriteByte('\r')
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'x':
		if i+3 >= len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) {
			return i, fmt.Errorf(`bad escape %q: \x needs two hexadecimal digits`, s[i:min(i+4, len(s))])
		}
		b.WriteByte(hexVal(s[i+2])<<4 | hexVal(s[i+3]))
		return i + 3, nil
	default:
		b.WriteByte('\\')
		b.WriteByte(c)
	}
	return i + 1, nil
}

// expand writes the value of the variable reference starting with the '$'
// at s[i] and returns the index of its last byte. A '$' that starts no
// variable name is kept.
func expand(s string, i int, env lookupFunc, b *strings.Builder) (int, error) {
	if i+1 < len(s) && s[i+1] == '{' {
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return i, errors.New("unterminated ${ in variable reference")
		}
		ref := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(ref, "-")
		if !isIdent(name) {
			return i, fmt.Errorf("bad variable name %q in ${%s}", name, ref)
		}
		if v, ok := env(name); ok {
			b.WriteString(v)
		} else if hasDef {
			b.WriteString(def)
		}
		return i + 2 + end, nil
	}
	j := i + 1
	for j < len(s) && (isIdentByte(s[j]) && (j > i+1 || !isDigit(s[j]))) {
		j++
	}
	if j == i+1 {
		b.WriteByte('$')
		return i, nil
	}
	if v, ok := env(s[i+1 : j]); ok {
		b.WriteString(v)
	}
	return j - 1, nil
}

func isIdent(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}

func isIdentByte(c byte) bool {
	return c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func hexVal(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
