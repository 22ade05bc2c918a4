package pii

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Kind names what a Finding found.
type Kind string

// The kinds of personal data Scan looks for.
const (
	KindPhone    Kind = "phone"     // a mainland mobile number
	KindIDNumber Kind = "id_number" // an 18-character resident ID number
	KindOpenID   Kind = "openid"    // a WeChat openid
)

// Finding is one piece of personal data Scan found in clear. It holds no
// clear value: Masked is the match as the pii types print it, and Excerpt
// the text around it with every match in it masked.
type Finding struct {
	Line    int    // 1-based line number
	Column  int    // 1-based byte offset of the match in its line
	Kind    Kind   // what was found
	Masked  string // the match, masked: 138****5678, 3201**********1234, oAbC****…
	Excerpt string // up to excerptRadius bytes either side of the match, masked
}

// String renders f as "line 12, column 40: phone 138****5678 in …excerpt…".
func (f Finding) String() string {
	return fmt.Sprintf("line %d, column %d: %s %s in %s", f.Line, f.Column, f.Kind, f.Masked, f.Excerpt)
}

// excerptRadius is how many bytes of context an excerpt keeps either side
// of a match (cut back to a character boundary).
const excerptRadius = 60

// Scan reads r line by line and returns every mainland mobile number,
// resident ID number and WeChat openid it holds in clear, in order. It is
// the check that logs, error messages and a program's output carry personal
// data only masked; the masked forms (138****5678, 3201**********1234,
// oAbC********************xYz1) are not findings.
//
// What counts, chosen to flag real values and not the ids, timestamps and
// hashes logs are full of:
//   - a mobile number: 1, then 3–9, then 9 digits — or the same after 86,
//     +86 or 0086 — not inside a longer run of ASCII letters and digits;
//   - an ID number: 17 digits and a digit or X, not inside a longer run,
//     whose check digit and embedded birth date are valid (a random
//     18-digit number passes about one time in 25);
//   - an openid: o and 27 characters of URL-safe base64, not inside a
//     longer run of them nor next to a + (standard base64, as in an
//     encrypted message), holding at least one upper-case letter or digit
//     (so that a 28-letter snake_case word is not one).
//
// The fraction of a decimal number (0.13812345678) is not a phone number.
//
// A number written with spaces or dashes inside (138 1234 5678) is not
// found. Lines of any length are read; the only error is r's.
func Scan(r io.Reader) ([]Finding, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Finding
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if line != "" {
			out = append(out, ScanLine(n, strings.TrimRight(line, "\r\n"))...)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("pii: scan: %w", err)
		}
	}
}

// ScanLine returns the findings in one line of text, numbered lineNo.
func ScanLine(lineNo int, line string) []Finding {
	ms := matches(line)
	if len(ms) == 0 {
		return nil
	}
	out := make([]Finding, len(ms))
	for i, m := range ms {
		out[i] = Finding{Line: lineNo, Column: m.start + 1, Kind: m.kind, Masked: m.masked(line), Excerpt: excerpt(line, m, ms)}
	}
	return out
}

type match struct {
	start, end int // byte offsets of the clear value in the line
	kind       Kind
}

func (m match) masked(line string) string {
	s := line[m.start:m.end]
	switch m.kind {
	case KindPhone:
		return Phone(s).Masked()
	case KindIDNumber:
		return IDNumber(s).Masked()
	default:
		return OpenID(s).Masked()
	}
}

// matches finds the runs of ASCII letters, digits, '-' and '_' in line
// and judges each: a run is an openid, or its digit-only part is a phone
// number or an ID number. Runs are maximal, which is what "not inside a
// longer run" means above.
func matches(line string) []match {
	var out []match
	for i := 0; i < len(line); {
		if !isB64(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && isB64(line[j]) {
			j++
		}
		out = append(out, judgeRun(line, i, j)...)
		i = j
	}
	return out
}

// judgeRun looks at line[i:j], a maximal run of base64url characters.
func judgeRun(line string, i, j int) []match {
	run := line[i:j]
	plus := (i > 0 && line[i-1] == '+') || (j < len(line) && line[j] == '+')
	if len(run) == 28 && run[0] == 'o' && hasUpperOrDigit(run[1:]) && !plus {
		return []match{{i, j, KindOpenID}}
	}
	// Inside the run, look at its alphanumeric parts ('-' and '_' separate
	// them: 2024-01-02, out:1035/13812345678, phone_13812345678).
	var out []match
	for a := i; a < j; {
		if !isAlnum(line[a]) {
			a++
			continue
		}
		b := a
		for b < j && isAlnum(line[b]) {
			b++
		}
		if m, ok := judgeWord(line, a, b); ok {
			out = append(out, m)
		}
		a = b
	}
	return out
}

// judgeWord looks at line[a:b], a maximal run of ASCII letters and digits.
func judgeWord(line string, a, b int) (match, bool) {
	w := line[a:b]
	if a >= 2 && line[a-1] == '.' && isDigit(line[a-2]) {
		return match{}, false // the fraction of a decimal number: 0.13812345678
	}
	switch {
	case len(w) == 11 && isMobile(w):
		return match{a, b, KindPhone}, true
	case len(w) == 13 && strings.HasPrefix(w, "86") && isMobile(w[2:]):
		return match{a + 2, b, KindPhone}, true
	case len(w) == 15 && strings.HasPrefix(w, "0086") && isMobile(w[4:]):
		return match{a + 4, b, KindPhone}, true
	case len(w) == 18 && isIDNumber(w):
		return match{a, b, KindIDNumber}, true
	}
	return match{}, false
}

func isMobile(s string) bool {
	return phoneRE.MatchString(s)
}

func isIDNumber(s string) bool {
	return NormalizeIDNumber(s).Validate() == nil
}

func hasUpperOrDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isB64(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// excerpt is the text around m, every match in it masked, cut to
// excerptRadius bytes either side at character boundaries, with … where cut.
func excerpt(line string, m match, all []match) string {
	from, to := m.start-excerptRadius, m.end+excerptRadius
	if from < 0 {
		from = 0
	}
	if to > len(line) {
		to = len(line)
	}
	for from > 0 && !startsRune(line[from]) {
		from--
	}
	for to < len(line) && !startsRune(line[to]) {
		to++
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	at := from
	for _, x := range all {
		if x.end <= from || x.start >= to {
			continue
		}
		s, e := max(x.start, from), min(x.end, to)
		if s > at {
			b.WriteString(line[at:s])
		}
		if s == x.start && e == x.end {
			b.WriteString(x.masked(line))
		} else {
			b.WriteString(strings.Repeat("*", e-s)) // a match cut by the window
		}
		at = e
	}
	b.WriteString(line[at:to])
	if to < len(line) {
		b.WriteString("…")
	}
	return b.String()
}

func startsRune(c byte) bool { return c&0xC0 != 0x80 }
