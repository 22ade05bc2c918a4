package segments

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tError          // a lexical error; text is the message
	tWord           // unquoted word; text is the word
	tString         // "quoted string"; text is the unescaped content
	tColon          // : or ：
	tLParen         // ( or （
	tRParen         // ) or ）
	tComma          // , or ，
	tAnd            // AND, &&
	tOr             // OR, ||
	tNot            // NOT, !
	tGE             // >=
	tGT             // >
	tLE             // <=
	tLT             // <
)

// token is one lexeme; col is the 1-based rune column of its first rune.
type token struct {
	kind   tokKind
	text   string
	src    string // the token as written, for messages
	prefix bool   // a word or string directly followed by '*'
	col    int
}

// describe names the token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the expression"
	case tString:
		return "a quoted string"
	}
	return fmt.Sprintf("%q", t.src)
}

// isWordRune reports whether r may appear in an unquoted word.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
		r == '-' || r == '_' || r == '.'
}

func isKeyword(s string) bool {
	return strings.EqualFold(s, "and") || strings.EqualFold(s, "or") || strings.EqualFold(s, "not")
}

// lex splits src into tokens ending with tEOF, or with a tError at the first
// lexical error (the parser reports it only if it gets that far, so that an
// earlier syntax error wins).
func lex(src string) []token {
	toks := make([]token, 0, len(src)/3+1)
	col := 1
	i := 0
	// emit appends a token that runs from start to the current position.
	emit := func(k tokKind, start, startCol int) {
		toks = append(toks, token{kind: k, src: src[start:i], col: startCol})
	}
	fail := func(at int, msg string) []token {
		return append(toks, token{kind: tError, text: msg, col: at})
	}
	for i < len(src) {
		r, n := utf8.DecodeRuneInString(src[i:])
		if r == utf8.RuneError && n == 1 {
			return fail(col, "invalid UTF-8")
		}
		start, startCol := i, col
		// single(k) emits a one-rune token.
		single := func(k tokKind) {
			i += n
			col++
			emit(k, start, startCol)
		}
		switch {
		case unicode.IsSpace(r):
			i += n
			col++
		case r == ':' || r == '：':
			single(tColon)
		case r == '(' || r == '（':
			single(tLParen)
		case r == ')' || r == '）':
			single(tRParen)
		case r == ',' || r == '，':
			single(tComma)
		case r == '!':
			single(tNot)
		case r == '&' || r == '|':
			if i+1 < len(src) && rune(src[i+1]) == r {
				i += 2
				col += 2
				k := tAnd
				if r == '|' {
					k = tOr
				}
				emit(k, start, startCol)
				continue
			}
			word := "AND or &&"
			if r == '|' {
				word = "OR or ||"
			}
			return fail(col, fmt.Sprintf("unexpected %q; write %s", r, word))
		case r == '>' || r == '<':
			k, ke := tGT, tGE
			if r == '<' {
				k, ke = tLT, tLE
			}
			i++
			col++
			if i < len(src) && src[i] == '=' {
				k = ke
				i++
				col++
			}
			emit(k, start, startCol)
		case r == '=':
			return fail(col, "unexpected '='; write field:value, as in category:unemployed, or a comparison such as age:>=60")
		case r == '*':
			return fail(col, "'*' must directly follow a value, as in grid:NY-03*")
		case r == '"':
			var b strings.Builder
			i++
			col++
			closed := false
			for i < len(src) {
				r, n := utf8.DecodeRuneInString(src[i:])
				switch {
				case r == utf8.RuneError && n == 1:
					return fail(col, "invalid UTF-8")
				case r == '"':
					closed = true
				case r == '\\':
					if i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '\\') {
						b.WriteByte(src[i+1])
						i += 2
						col += 2
						continue
					}
					return fail(col, `unknown escape in a quoted string; only \" and \\ are allowed`)
				case unicode.IsControl(r):
					return fail(col, fmt.Sprintf("control character %U in a quoted string", r))
				}
				i += n
				col++
				if closed {
					break
				}
				b.WriteRune(r)
			}
			if !closed {
				return fail(startCol, "unterminated quoted string")
			}
			t := token{kind: tString, text: b.String(), col: startCol}
			if i < len(src) && src[i] == '*' {
				t.prefix = true
				i++
				col++
			}
			t.src = src[start:i]
			toks = append(toks, t)
			if i < len(src) {
				if r, _ := utf8.DecodeRuneInString(src[i:]); isWordRune(r) || r == '"' || r == '*' {
					return fail(col, "a quoted value must be followed by a space, an operator or ')'")
				}
			}
		case isWordRune(r):
			for i < len(src) {
				r, n := utf8.DecodeRuneInString(src[i:])
				if !isWordRune(r) {
					break
				}
				i += n
				col++
			}
			t := token{kind: tWord, text: src[start:i], col: startCol}
			if i < len(src) && src[i] == '*' {
				t.prefix = true
				i++
				col++
				if i < len(src) {
					if r, _ := utf8.DecodeRuneInString(src[i:]); isWordRune(r) || r == '*' || r == '"' {
						return fail(col-1, "'*' is only allowed at the end of a value, as in grid:NY-03*")
					}
				}
			} else if i < len(src) && src[i] == '"' {
				return fail(col, "unexpected '\"' inside a word; quote the whole value")
			}
			t.src = src[start:i]
			if !t.prefix {
				switch {
				case strings.EqualFold(t.text, "and"):
					t.kind = tAnd
				case strings.EqualFold(t.text, "or"):
					t.kind = tOr
				case strings.EqualFold(t.text, "not"):
					t.kind = tNot
				}
			}
			toks = append(toks, t)
		case unicode.IsControl(r):
			return fail(col, fmt.Sprintf("unexpected control character %U", r))
		case r == '\'' || r == '“' || r == '”' || r == '‘' || r == '’' || r == '「' || r == '」':
			return fail(col, fmt.Sprintf("unexpected %q; quote values with ASCII double quotes, as in skill:\"电工 高级\"", r))
		default:
			return fail(col, fmt.Sprintf("unexpected %q; quote values that contain it", r))
		}
	}
	return append(toks, token{kind: tEOF, col: col})
}
