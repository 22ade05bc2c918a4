package segments

import (
	"strconv"
	"strings"
)

// Expr is a parsed segment expression: one of *And, *Or, *Not, *Term and
// *SegmentRef. Parse builds it; Compile turns it into SQL. An Expr is
// immutable once built and safe to share between goroutines.
type Expr interface {
	// String returns the canonical form: keywords in upper case, values
	// normalized (category labels become identifiers, 男 becomes M,
	// comparisons become ranges), and parentheses only where precedence
	// needs them. Parse(e.String()) yields an expression with the same
	// String.
	String() string
	isExpr()
}

// And matches residents that every operand matches. Parse flattens nested
// ANDs, so an operand of a parsed And is never itself an *And.
type And struct {
	Operands []Expr // two or more
}

// Or matches residents that at least one operand matches. Parse flattens
// nested ORs.
type Or struct {
	Operands []Expr // two or more
}

// Not matches residents that X does not match.
type Not struct {
	X   Expr
	Col int // column of the NOT keyword; 0 when built by hand
}

// Term is one field:value test. Several values are alternatives: the term
// matches a resident that any of them matches.
type Term struct {
	Field  string  // a field name from Fields, lower case
	Values []Value // one or more
	Col    int     // column of the field name; 0 when built by hand
}

// Value is one value of a Term: exact text, a prefix, or a numeric range.
type Value struct {
	// Text is the value after normalization (category identifier, M/F,
	// topic, channel …); empty for a range.
	Text string
	// Prefix makes the value match any text that starts with Text (written
	// Text*). Only fields whose FieldDoc.Prefix is true accept it.
	Prefix bool
	// Range is set for the range fields (age, born) and nil otherwise.
	Range *Range
}

// NoBound marks an open end of a Range.
const NoBound = -1

// Range is an inclusive range of whole numbers (years of age, or birth
// years). Min or Max is NoBound for an open end; never both.
type Range struct {
	Min, Max int
}

// SegmentRef refers to a saved segment by name (segment:NAME). Compile
// expands it through Options.Resolve.
type SegmentRef struct {
	Name string
	Col  int // column of the "segment" field name; 0 when built by hand
}

func (*And) isExpr()        {}
func (*Or) isExpr()         {}
func (*Not) isExpr()        {}
func (*Term) isExpr()       {}
func (*SegmentRef) isExpr() {}

// Operator precedence, for printing with the fewest parentheses.
const (
	precOr = iota + 1
	precAnd
	precNot
	precTerm
)

func prec(e Expr) int {
	switch e.(type) {
	case *Or:
		return precOr
	case *And:
		return precAnd
	case *Not:
		return precNot
	}
	return precTerm
}

func writeExpr(b *strings.Builder, e Expr, min int) {
	if e == nil {
		b.WriteString("<nil>")
		return
	}
	paren := prec(e) < min
	if paren {
		b.WriteByte('(')
	}
	switch e := e.(type) {
	case *Or:
		writeOperands(b, e.Operands, " OR ", precOr)
	case *And:
		writeOperands(b, e.Operands, " AND ", precAnd)
	case *Not:
		b.WriteString("NOT ")
		writeExpr(b, e.X, precNot)
	case *Term:
		e.write(b)
	case *SegmentRef:
		b.WriteString("segment:")
		b.WriteString(quote(e.Name))
	}
	if paren {
		b.WriteByte(')')
	}
}

func writeOperands(b *strings.Builder, xs []Expr, sep string, p int) {
	for i, x := range xs {
		if i > 0 {
			b.WriteString(sep)
		}
		// An operand of the same precedence needs no parentheses: AND and
		// OR are associative.
		writeExpr(b, x, p)
	}
}

// String returns the canonical form, e.g. "category:unemployed AND age:18..45".
func (e *And) String() string { return exprString(e) }

// String returns the canonical form, e.g. "grid:NY-03* OR grid:NY-04*".
func (e *Or) String() string { return exprString(e) }

// String returns the canonical form, e.g. "NOT channel:wechat".
func (e *Not) String() string { return exprString(e) }

// String returns the canonical form, e.g. "skill:(电工 OR 焊工)".
func (e *Term) String() string { return exprString(e) }

// String returns the canonical form, e.g. "segment:job_seekers".
func (e *SegmentRef) String() string { return exprString(e) }

func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, 0)
	return b.String()
}

func (t *Term) write(b *strings.Builder) {
	b.WriteString(t.Field)
	b.WriteByte(':')
	if len(t.Values) == 1 {
		b.WriteString(t.Values[0].String())
		return
	}
	b.WriteByte('(')
	for i, v := range t.Values {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(v.String())
	}
	b.WriteByte(')')
}

// String returns the value as the language writes it: 18..45, 60, NY-03*,
// "two words".
func (v Value) String() string {
	if v.Range != nil {
		return v.Range.String()
	}
	s := quote(v.Text)
	if v.Prefix {
		s += "*"
	}
	return s
}

// String returns the range as the language writes it: 18..45, 60.., ..17, or
// 60 for a one-year range.
func (r Range) String() string {
	switch {
	case r.Min == r.Max:
		return strconv.Itoa(r.Min)
	case r.Min == NoBound:
		return ".." + strconv.Itoa(r.Max)
	case r.Max == NoBound:
		return strconv.Itoa(r.Min) + ".."
	}
	return strconv.Itoa(r.Min) + ".." + strconv.Itoa(r.Max)
}

// quote returns s bare if it lexes back as the same single word, and as a
// double-quoted string otherwise.
func quote(s string) string {
	if s != "" && !isKeyword(s) {
		bare := true
		for _, r := range s {
			if !isWordRune(r) {
				bare = false
				break
			}
		}
		if bare {
			return s
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// Refs returns the names of the saved segments e refers to directly, in
// order of appearance and without duplicates. A store can use it to refuse
// deleting a segment that another one still uses.
func Refs(e Expr) []string {
	var names []string
	seen := map[string]bool{}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *And:
			for _, x := range e.Operands {
				walk(x)
			}
		case *Or:
			for _, x := range e.Operands {
				walk(x)
			}
		case *Not:
			walk(e.X)
		case *SegmentRef:
			if !seen[e.Name] {
				seen[e.Name] = true
				names = append(names, e.Name)
			}
		}
	}
	walk(e)
	return names
}
