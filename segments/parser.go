package segments

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on what Parse accepts. They keep a hostile or runaway expression
// from using unbounded memory or stack.
const (
	MaxLen   = 4096 // bytes of source
	MaxDepth = 64   // nesting of parentheses and NOTs
)

// Parse parses a segment expression (see the package documentation for the
// grammar) and returns its syntax tree. Values are checked and normalized
// here, so an unknown category, a bad range or an unknown topic is reported
// with its column. Every error is an *Error. Parse is safe for concurrent
// use.
func Parse(src string) (Expr, error) {
	if len(src) > MaxLen {
		return nil, &Error{Col: utf8.RuneCountInString(src[:MaxLen]) + 1, Src: src,
			Msg: fmt.Sprintf("expression is %d bytes long; the limit is %d", len(src), MaxLen)}
	}
	p := &parser{src: src, toks: lex(src)}
	e, err := p.parse()
	if err != nil {
		return nil, err
	}
	return e, nil
}

type parser struct {
	src   string
	toks  []token
	pos   int
	depth int
}

// bail carries an *Error up through the recursive descent.
type bail struct{ err *Error }

func (p *parser) parse() (e Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			e, err = nil, b.err
		}
	}()
	if p.peek().kind == tEOF {
		p.failAt(p.peek().col, "empty expression; write at least one field:value term, e.g. category:unemployed")
	}
	e = p.orExpr()
	switch t := p.peek(); t.kind {
	case tEOF:
	case tRParen:
		p.failAt(t.col, "unmatched ')'")
	default:
		p.missingOperator(t)
	}
	return e, nil
}

func (p *parser) peek() token {
	t := p.toks[p.pos]
	if t.kind == tError {
		p.failAt(t.col, "%s", t.text)
	}
	return t
}

func (p *parser) next() token {
	t := p.peek()
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) failAt(col int, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	panic(bail{&Error{Col: col, Msg: msg, Src: p.src}})
}

// missingOperator reports a token that follows a complete operand without
// an operator in between.
func (p *parser) missingOperator(t token) {
	switch t.kind {
	case tWord, tString, tLParen, tNot:
		p.failAt(t.col, "expected AND or OR before %s; terms are not joined implicitly", t.describe())
	case tColon:
		p.failAt(t.col, "unexpected ':'; a term has one field and one value, quote values that contain ':'")
	}
	p.failAt(t.col, "unexpected %s", t.describe())
}

func (p *parser) enter(col int) {
	p.depth++
	if p.depth > MaxDepth {
		p.failAt(col, "expression is nested more than %d deep", MaxDepth)
	}
}

func (p *parser) orExpr() Expr {
	xs := []Expr{p.andExpr()}
	for p.peek().kind == tOr {
		op := p.next()
		p.expectOperand(op)
		xs = append(xs, p.andExpr())
	}
	return flatten[*Or](xs, func(o *Or) []Expr { return o.Operands }, func(xs []Expr) Expr { return &Or{Operands: xs} })
}

func (p *parser) andExpr() Expr {
	xs := []Expr{p.unary()}
	for p.peek().kind == tAnd {
		op := p.next()
		p.expectOperand(op)
		xs = append(xs, p.unary())
	}
	return flatten[*And](xs, func(a *And) []Expr { return a.Operands }, func(xs []Expr) Expr { return &And{Operands: xs} })
}

// flatten splices operands of the same kind into their parent (AND and OR
// are associative), so that String is canonical.
func flatten[T Expr](xs []Expr, operands func(T) []Expr, build func([]Expr) Expr) Expr {
	if len(xs) == 1 {
		return xs[0]
	}
	var out []Expr
	for _, x := range xs {
		if t, ok := x.(T); ok {
			out = append(out, operands(t)...)
		} else {
			out = append(out, x)
		}
	}
	return build(out)
}

// expectOperand gives a precise message when an operator is not followed by
// an operand.
func (p *parser) expectOperand(op token) {
	switch t := p.peek(); t.kind {
	case tEOF, tRParen, tAnd, tOr, tComma, tColon:
		p.failAt(t.col, "expected a term after %q, found %s", op.src, t.describe())
	}
}

func (p *parser) unary() Expr {
	t := p.peek()
	switch t.kind {
	case tNot:
		p.next()
		p.expectOperand(t)
		p.enter(t.col)
		x := p.unary()
		p.depth--
		return &Not{X: x, Col: t.col}
	case tLParen:
		p.next()
		p.expectOperand(t)
		p.enter(t.col)
		x := p.orExpr()
		p.depth--
		p.closeParen(t)
		return x
	case tWord:
		return p.term()
	case tString:
		p.failAt(t.col, "expected a field name before the quoted value, as in skill:%s", t.src)
	case tEOF:
		p.failAt(t.col, "expected a term, found the end of the expression")
	}
	p.failAt(t.col, "expected a term, found %s", t.describe())
	return nil
}

func (p *parser) closeParen(open token) {
	switch t := p.peek(); t.kind {
	case tRParen:
		p.next()
	case tEOF:
		p.failAt(t.col, "expected ')' to close the '(' at column %d", open.col)
	default:
		p.missingOperator(t)
	}
}

func (p *parser) term() Expr {
	name := p.next()
	if c := p.peek(); c.kind != tColon {
		if name.prefix {
			p.failAt(name.col, "expected field:value, found %q; write e.g. grid:%s", name.src, name.src)
		}
		p.failAt(c.col, "expected ':' after %q; a term is field:value, as in category:unemployed", name.text)
	}
	colon := p.next()
	f := lookupField(name.text)
	if f == nil || name.prefix {
		p.failAt(name.col, "unknown field %q; valid fields are %s", name.src, strings.Join(fieldNames(), ", "))
	}
	after := name.src + colon.src
	var raw []token // value tokens, with comparisons folded in
	var rawOps []token
	if open := p.peek(); open.kind == tLParen {
		p.next()
		for {
			v, op := p.value(after)
			raw, rawOps = append(raw, v), append(rawOps, op)
			sep := p.peek()
			switch sep.kind {
			case tOr, tComma:
				p.next()
				after = sep.src
				continue
			case tRParen:
				p.next()
			case tAnd:
				p.failAt(sep.col, "only OR or ',' may join the values in %s( … ); to require both, repeat the field: %s:a AND %s:b", name.src+colon.src, f.Name, f.Name)
			case tEOF:
				p.failAt(sep.col, "expected ')' to close the list of values opened at column %d", open.col)
			default:
				p.failAt(sep.col, "expected OR, ',' or ')' after a value, found %s", sep.describe())
			}
			break
		}
	} else {
		for {
			v, op := p.value(after)
			raw, rawOps = append(raw, v), append(rawOps, op)
			if sep := p.peek(); sep.kind == tComma {
				p.next()
				after = sep.src
				continue
			}
			break
		}
	}
	if f.Name == "segment" {
		var refs []Expr
		for i, v := range raw {
			if rawOps[i].kind != tEOF {
				p.failAt(rawOps[i].col, "segment: takes the name of a saved segment, not a comparison")
			}
			if v.prefix {
				p.failAt(v.col, "segment: takes the name of a saved segment, not a prefix")
			}
			refs = append(refs, &SegmentRef{Name: v.text, Col: name.col})
		}
		return flatten[*Or](refs, func(o *Or) []Expr { return o.Operands }, func(xs []Expr) Expr { return &Or{Operands: xs} })
	}
	t := &Term{Field: f.Name, Col: name.col}
	for i, v := range raw {
		val, msg := f.parseValue(v, rawOps[i])
		if msg != "" {
			col := v.col
			if rawOps[i].kind != tEOF {
				col = rawOps[i].col
			}
			p.failAt(col, "%s", msg)
		}
		t.Values = append(t.Values, val)
	}
	return t
}

// value reads one value, optionally preceded by a comparison operator. It
// returns the value token and the operator (tEOF kind when there is none).
func (p *parser) value(after string) (token, token) {
	var op token
	t := p.peek()
	switch t.kind {
	case tGE, tGT, tLE, tLT:
		op = p.next()
		after = op.src
		t = p.peek()
	}
	switch t.kind {
	case tWord, tString:
		if t.kind == tString && t.text == "" && !t.prefix {
			p.failAt(t.col, "empty value after %q", after)
		}
		return p.next(), op
	case tAnd, tOr, tNot:
		p.failAt(t.col, "expected a value after %q, found the keyword %s; quote it to use it as a value: \"%s\"", after, strings.ToUpper(t.text), t.text)
	}
	p.failAt(t.col, "expected a value after %q", after)
	return token{}, token{}
}
