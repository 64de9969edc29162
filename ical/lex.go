package ical

import (
	"fmt"
	"strings"
)

// Content lines (RFC 5545 §3.1): unfolding, the name;param=value:value syntax, quoted parameter
// values, RFC 6868 parameter escapes and TEXT escapes (§3.3.11).

// contentLine is one unfolded content line.
type contentLine struct {
	line   int    // 1-based physical line where the content line starts
	name   string // upper case
	params []param
	value  string // raw value, still escaped
}

// param is one property parameter; names are upper case, values unquoted.
type param struct {
	name   string
	values []string
}

// param returns the first value of the named parameter ("" when absent).
func (cl *contentLine) param(name string) string {
	for _, p := range cl.params {
		if p.name == name && len(p.values) > 0 {
			return p.values[0]
		}
	}
	return ""
}

// unfold splits doc into logical content lines and calls fn with each and its starting line
// number. A physical line that starts with a space or a horizontal tab continues the previous
// one (the leading white-space character is removed); lines end in CRLF or a bare LF. Blank
// lines are skipped. No line length limit is enforced.
func unfold(doc string, fn func(line int, s string) error) error {
	doc = strings.TrimPrefix(doc, "\ufeff")
	var (
		cur     string
		curLine int
		pending bool
		folded  bool
		buf     []byte
	)
	flush := func() error {
		if !pending {
			return nil
		}
		pending = false
		if folded {
			return fn(curLine, string(buf))
		}
		return fn(curLine, cur)
	}
	n := 0
	for pos := 0; pos < len(doc); {
		var ln string
		if i := strings.IndexByte(doc[pos:], '\n'); i >= 0 {
			ln, pos = doc[pos:pos+i], pos+i+1
		} else {
			ln, pos = doc[pos:], len(doc)
		}
		n++
		ln = strings.TrimSuffix(ln, "\r")
		if ln == "" {
			continue
		}
		if ln[0] == ' ' || ln[0] == '\t' {
			if !pending {
				if strings.TrimSpace(ln) == "" {
					continue
				}
				return &ParseError{Line: n, Msg: "continuation line (starting with white space) with no line to continue"}
			}
			if !folded {
				buf = append(buf[:0], cur...)
				folded = true
			}
			buf = append(buf, ln[1:]...)
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		cur, curLine, pending, folded = ln, n, true, false
	}
	return flush()
}

func isNameChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// isTokenName reports whether s is a non-empty iana-token or x-name.
func isTokenName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// parseContentLine parses name *(";" param) ":" value.
func parseContentLine(s string, line int) (contentLine, error) {
	fail := func(format string, args ...any) (contentLine, error) {
		return contentLine{}, &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == 0 {
		return fail("expected a property name, found %s", quoteShort(s))
	}
	cl := contentLine{line: line, name: strings.ToUpper(s[:i])}
	for i < len(s) && s[i] == ';' {
		i++
		start := i
		for i < len(s) && isNameChar(s[i]) {
			i++
		}
		if i == start {
			return fail("%s: empty parameter name", cl.name)
		}
		p := param{name: strings.ToUpper(s[start:i])}
		if i >= len(s) || s[i] != '=' {
			return fail("%s: parameter %s has no value", cl.name, p.name)
		}
		i++
		for {
			var v string
			if i < len(s) && s[i] == '"' {
				j := strings.IndexByte(s[i+1:], '"')
				if j < 0 {
					return fail("%s: unterminated quoted value of parameter %s", cl.name, p.name)
				}
				v, i = s[i+1:i+1+j], i+2+j
			} else {
				start := i
				for i < len(s) && s[i] != ';' && s[i] != ':' && s[i] != ',' && s[i] != '"' {
					i++
				}
				v = s[start:i]
			}
			p.values = append(p.values, decodeParam(v))
			if i < len(s) && s[i] == ',' {
				i++
				continue
			}
			break
		}
		cl.params = append(cl.params, p)
	}
	if i >= len(s) {
		return fail("%s: missing ':' before the value", cl.name)
	}
	if s[i] != ':' {
		return fail("%s: unexpected %q (expected ';' or ':')", cl.name, s[i])
	}
	cl.value = s[i+1:]
	return cl, nil
}

// decodeParam undoes RFC 6868 escapes: ^n newline, ^^ caret, ^' double quote.
func decodeParam(v string) string {
	if strings.IndexByte(v, '^') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '^' && i+1 < len(v) {
			switch v[i+1] {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '^':
				b.WriteByte('^')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// unescapeText undoes TEXT escapes: \n or \N newline, \\ \; \, the character itself. Any other
// backslash pair is tolerated and yields the second character.
func unescapeText(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' || s[i] == 'N' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// splitText splits a multi-valued TEXT value on unescaped commas, unescapes and trims each item
// and drops empty ones.
func splitText(s string) []string {
	var out []string
	add := func(item string) {
		if v := strings.TrimSpace(unescapeText(item)); v != "" {
			out = append(out, v)
		}
	}
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ',':
			add(s[start:i])
			start = i + 1
		}
	}
	add(s[start:])
	return out
}

// quoteShort quotes s for an error message, cut to 40 bytes.
func quoteShort(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…", s[:40])
	}
	return fmt.Sprintf("%q", s)
}
