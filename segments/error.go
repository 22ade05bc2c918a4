package segments

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/gridcast/gridcast/fault"
)

// Error is a syntax or value error in a segment expression. Parse returns
// every error as an *Error; Compile wraps one (reachable with errors.As) when
// a saved segment's text does not parse.
type Error struct {
	Col int    // 1-based column of the problem, counted in runes (not bytes)
	Msg string // what is wrong, in words an officer can act on
	Src string // the expression as given to Parse
}

// Error returns the message with its column, e.g.
// `column 23: expected a value after "skill:"`.
func (e *Error) Error() string {
	return fmt.Sprintf("column %d: %s", e.Col, e.Msg)
}

// Say tells a user where the expression went wrong (the description
// itself is in English in both languages).
func (e *Error) Say(lang fault.Lang) string {
	if lang == fault.English {
		return e.Error()
	}
	return fmt.Sprintf("分组表达式第 %d 列有误：%s", e.Col, e.Msg)
}

// Unwrap makes a mistake in an expression an invalid input.
func (e *Error) Unwrap() error { return fault.ErrInvalid }

// Pretty returns the source on one line and a caret under the column on the
// next, for a terminal or a <pre> block:
//
//	category:unemployed AND skill:
//	                              ^
//
// Tabs and line breaks in the source print as spaces, and East Asian wide
// characters are padded with two spaces, so the caret lines up in a
// monospaced font.
func (e *Error) Pretty() string {
	var line, pad strings.Builder
	col := 1
	for _, r := range e.Src {
		if unicode.IsSpace(r) && r != '\u3000' || unicode.IsControl(r) {
			r = ' '
		}
		line.WriteRune(r)
		if col < e.Col {
			if isWide(r) {
				pad.WriteString("  ")
			} else {
				pad.WriteByte(' ')
			}
		}
		col++
	}
	for ; col < e.Col; col++ { // a column past the end (end of input)
		pad.WriteByte(' ')
	}
	return line.String() + "\n" + pad.String() + "^"
}

// isWide approximates the East Asian Wide and Fullwidth ranges: the characters
// a monospaced terminal draws two cells wide.
func isWide(r rune) bool {
	switch {
	case r >= 0x1100 && r <= 0x115F,
		r >= 0x2E80 && r <= 0xA4CF,
		r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x20000 && r <= 0x3FFFD:
		return true
	}
	return false
}
