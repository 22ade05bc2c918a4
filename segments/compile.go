package segments

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dialect selects the SQL flavour Compile writes.
type Dialect int

// The dialects. The zero value is SQLite.
const (
	SQLite   Dialect = iota // ? placeholders; birth_date is TEXT YYYY-MM-DD
	Postgres                // $N placeholders; birth_date is DATE, compared with $N::date
)

// String returns "sqlite" or "postgres".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// MaxSegmentDepth is how deeply saved segments may refer to one another:
// segment:a whose text names segment:b counts as depth 2.
const MaxSegmentDepth = 8

// maxTerms bounds the terms of an expression after saved segments are
// expanded, so that segments referring to one another many times over cannot
// build an enormous query. Both SQLite (32766) and PostgreSQL (65535) take
// more placeholders than this allows.
const maxTerms = 2000

// Errors Compile returns, wrapped with the segment names involved; test for
// them with errors.Is.
var (
	ErrNoResolver = errors.New("segments: saved segments cannot be referenced here")
	ErrCycle      = errors.New("segments: saved segments refer to each other in a cycle")
	ErrTooDeep    = fmt.Errorf("segments: saved segments nested more than %d deep", MaxSegmentDepth)
	ErrTooLarge   = fmt.Errorf("segments: expression expands to more than %d terms", maxTerms)
)

// Options configure Compile.
type Options struct {
	// Dialect is the SQL flavour. The zero value is SQLite.
	Dialect Dialect
	// Now is the reference instant for age: terms; required (the zero value
	// is an error). Its date in its own location is used, so pass the time
	// in the population's zone (e.g. Asia/Shanghai): ages turn over at local
	// midnight. Injected rather than read from the clock so that a count and
	// the send that follows it select the same residents.
	Now time.Time
	// Resolve returns the expression text of the saved segment named name,
	// for segment:NAME terms. Its error is wrapped with %w (so a store's
	// ErrNotFound stays testable). Nil makes every segment: term an error
	// wrapping ErrNoResolver.
	Resolve func(name string) (string, error)
	// ArgStart is the number of the first Postgres placeholder ($ArgStart),
	// for queries that bind their own arguments before the fragment. Zero
	// means 1. Ignored for SQLite, whose ? placeholders are positional.
	ArgStart int
	// ActiveOnly limits an expression that has no status: term (itself or
	// in a saved segment it refers to) to active residents, as if it were
	// ANDed with status:active: a resident who moved out or died leaves
	// every audience unless one asks for them by status. The zero value
	// leaves the expression as written.
	ActiveOnly bool
}

// ActiveOnlySQL is the condition ActiveOnly adds, for a caller that
// selects with no expression at all. It is written as an anti-join over
// the few residents who are not active (a partial index in the store), so
// that it leaves a segment's plan — often an index alone — as it was.
const ActiveOnlySQL = "r.id NOT IN (SELECT i.id FROM residents i WHERE i.status <> 'active')"

// Compile turns e into a boolean SQL fragment over the residents table
// aliased r (FROM residents r), with every value passed as a bind argument
// in args, never written into the SQL. The fragment is self-contained: it can
// be joined to other conditions with AND without extra parentheses.
//
// For SQLite the placeholders are ? in the order of args; for PostgreSQL they
// are $ArgStart, $ArgStart+1, … in the order of args. Compile is safe for
// concurrent use (Resolve is called from the calling goroutine only).
func Compile(e Expr, opt Options) (where string, args []any, err error) {
	switch {
	case e == nil:
		return "", nil, errors.New("segments: compile: nil expression")
	case opt.Dialect != SQLite && opt.Dialect != Postgres:
		return "", nil, fmt.Errorf("segments: compile: unknown dialect %d", opt.Dialect)
	case opt.Now.IsZero():
		return "", nil, errors.New("segments: compile: Options.Now is required")
	case opt.Now.Year() < 1900 || opt.Now.Year() > 9999:
		return "", nil, fmt.Errorf("segments: compile: Options.Now %s is out of range", opt.Now.Format(time.DateOnly))
	case opt.ArgStart < 0:
		return "", nil, fmt.Errorf("segments: compile: Options.ArgStart %d is negative", opt.ArgStart)
	}
	if opt.ArgStart == 0 {
		opt.ArgStart = 1
	}
	c := &compiler{opt: opt, cache: map[string]Expr{}}
	where, err = c.expr(e)
	if err != nil {
		return "", nil, err
	}
	if opt.ActiveOnly && !c.status {
		where = "(" + where + " AND " + ActiveOnlySQL + ")"
	}
	return where, c.args, nil
}

type compiler struct {
	opt   Options
	args  []any
	stack []string        // saved segments being expanded, outermost first
	cache map[string]Expr // parsed saved segments by name
	terms int
	// status records that a status: term was compiled (ActiveOnly).
	status bool
}

// arg binds v and returns its placeholder.
func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	if c.opt.Dialect == Postgres {
		return "$" + strconv.Itoa(c.opt.ArgStart+len(c.args)-1)
	}
	return "?"
}

// dateArg binds a YYYY-MM-DD date: TEXT in SQLite, DATE in PostgreSQL.
func (c *compiler) dateArg(d string) string {
	p := c.arg(d)
	if c.opt.Dialect == Postgres {
		p += "::date"
	}
	return p
}

func (c *compiler) expr(e Expr) (string, error) {
	switch e := e.(type) {
	case *And:
		return c.list(e.Operands, " AND ")
	case *Or:
		return c.list(e.Operands, " OR ")
	case *Not:
		if e.X == nil {
			return "", errors.New("segments: compile: NOT without an operand")
		}
		x, err := c.expr(e.X)
		if err != nil {
			return "", err
		}
		if enclosed(x) {
			return "NOT " + x, nil
		}
		return "NOT (" + x + ")", nil
	case *Term:
		return c.term(e)
	case *SegmentRef:
		return c.ref(e)
	case nil:
		return "", errors.New("segments: compile: nil expression")
	}
	return "", fmt.Errorf("segments: compile: unknown node %T", e)
}

// enclosed reports whether s is one parenthesized group, "(…)". The SQL
// Compile writes has no parentheses inside string literals, so counting is
// enough.
func enclosed(s string) bool {
	if !strings.HasPrefix(s, "(") {
		return false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i == len(s)-1
			}
		}
	}
	return false
}

func (c *compiler) list(xs []Expr, sep string) (string, error) {
	if len(xs) == 0 {
		return "", fmt.Errorf("segments: compile: %s without operands", strings.TrimSpace(sep))
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		s, err := c.expr(x)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, sep) + ")", nil
}

func (c *compiler) term(t *Term) (string, error) {
	c.terms++
	if c.terms > maxTerms {
		return "", ErrTooLarge
	}
	f := lookupField(t.Field)
	if f == nil || f.compile == nil {
		return "", fmt.Errorf("segments: compile: unknown field %q", t.Field)
	}
	if len(t.Values) == 0 {
		return "", fmt.Errorf("segments: compile: %s: no values", f.Name)
	}
	// Check hand-built terms as strictly as parsed ones.
	vals := make([]Value, len(t.Values))
	for i, v := range t.Values {
		var err error
		if f.Range {
			err = f.checkValueRange(v)
		} else {
			v, err = f.check(v)
		}
		if err != nil {
			return "", fmt.Errorf("segments: compile: %w", err)
		}
		vals[i] = v
	}
	if f.Name == "status" {
		c.status = true
	}
	return f.compile(c, &Term{Field: f.Name, Values: vals, Col: t.Col})
}

func (f *field) checkValueRange(v Value) error {
	if v.Range == nil {
		return fmt.Errorf("%s: want a range, got %q", f.Name, v.Text)
	}
	if msg := f.checkRange(*v.Range, v.Range.String()); msg != "" {
		return errors.New(msg)
	}
	return nil
}

func (c *compiler) ref(e *SegmentRef) (string, error) {
	c.terms++
	if c.terms > maxTerms {
		return "", ErrTooLarge
	}
	if c.opt.Resolve == nil {
		return "", fmt.Errorf("%w: segment:%s", ErrNoResolver, e.Name)
	}
	for i, n := range c.stack {
		if n == e.Name {
			path := append(append([]string{}, c.stack[i:]...), e.Name)
			return "", fmt.Errorf("%w: %s", ErrCycle, strings.Join(path, " → "))
		}
	}
	if len(c.stack) >= MaxSegmentDepth {
		return "", fmt.Errorf("%w: %s → %s", ErrTooDeep, strings.Join(c.stack, " → "), e.Name)
	}
	x, ok := c.cache[e.Name]
	if !ok {
		text, err := c.opt.Resolve(e.Name)
		if err != nil {
			return "", fmt.Errorf("segments: segment %q: %w", e.Name, err)
		}
		if x, err = Parse(text); err != nil {
			return "", fmt.Errorf("segments: saved segment %q: %w", e.Name, err)
		}
		c.cache[e.Name] = x
	}
	c.stack = append(c.stack, e.Name)
	s, err := c.expr(x)
	c.stack = c.stack[:len(c.stack)-1]
	return s, err // s is parenthesized already unless it is a single term
}

// match writes col's test against vals: = or IN for exact values, LIKE for
// prefixes, ORed together.
func (c *compiler) match(col string, vals []Value) string {
	var parts, exact []string
	for _, v := range vals {
		if !v.Prefix {
			exact = append(exact, c.arg(v.Text))
		}
	}
	switch len(exact) {
	case 0:
	case 1:
		parts = append(parts, col+" = "+exact[0])
	default:
		parts = append(parts, col+" IN ("+strings.Join(exact, ", ")+")")
	}
	for _, v := range vals {
		if v.Prefix {
			parts = append(parts, col+` LIKE `+c.arg(likePrefix(v.Text))+` ESCAPE '\'`)
		}
	}
	return orParts(parts)
}

func orParts(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// likePrefix escapes LIKE's metacharacters in s and appends the wildcard.
func likePrefix(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('%')
	return b.String()
}

func column(col string) func(*compiler, *Term) (string, error) {
	return func(c *compiler, t *Term) (string, error) {
		return c.match(col, t.Values), nil
	}
}

func childTable(table, alias, col string) func(*compiler, *Term) (string, error) {
	// An uncorrelated IN lets both planners drive the query from the child
	// table's (value, resident_id) index instead of probing it once per resident.
	prefix := "r.id IN (SELECT " + alias + ".resident_id FROM " + table + " " + alias + " WHERE "
	return func(c *compiler, t *Term) (string, error) {
		return prefix + c.match(alias+"."+col, t.Values) + ")", nil
	}
}

// cutoff is the latest birth date of someone who is at least years old on
// the reference date. Born on 29 February, one turns a year older on 1 March
// in common years (as segments.AgeOn counts), so a reference date of
// 29 February maps to 28 February in a common year.
func (c *compiler) cutoff(years int) string {
	y, m, d := c.opt.Now.Date()
	y -= years
	if last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)
}

// compileAge: age >= A is birth_date <= cutoff(A); age <= B is
// birth_date > cutoff(B+1).
func compileAge(c *compiler, t *Term) (string, error) {
	var parts []string
	for _, v := range t.Values {
		var conds []string
		if v.Range.Min != NoBound {
			conds = append(conds, "r.birth_date <= "+c.dateArg(c.cutoff(v.Range.Min)))
		}
		if v.Range.Max != NoBound {
			conds = append(conds, "r.birth_date > "+c.dateArg(c.cutoff(v.Range.Max+1)))
		}
		parts = append(parts, andParts(conds))
	}
	return orParts(parts), nil
}

func compileBorn(c *compiler, t *Term) (string, error) {
	var parts []string
	for _, v := range t.Values {
		var conds []string
		if v.Range.Min != NoBound {
			conds = append(conds, "r.birth_date >= "+c.dateArg(fmt.Sprintf("%04d-01-01", v.Range.Min)))
		}
		if v.Range.Max != NoBound {
			conds = append(conds, "r.birth_date < "+c.dateArg(fmt.Sprintf("%04d-01-01", v.Range.Max+1)))
		}
		parts = append(parts, andParts(conds))
	}
	return orParts(parts), nil
}

func andParts(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

func compileChannel(c *compiler, t *Term) (string, error) {
	var parts []string
	for _, v := range t.Values {
		switch v.Text {
		case "wechat":
			parts = append(parts, "r.openid <> ''")
		case "sms":
			parts = append(parts, "r.phone <> ''")
		}
	}
	return orParts(parts), nil
}

const optoutExists = "r.id IN (SELECT o.resident_id FROM resident_optouts o WHERE "

func compileOptout(c *compiler, t *Term) (string, error) {
	return optoutExists + c.match("o.topic", t.Values) + ")", nil
}

func compileConsent(c *compiler, t *Term) (string, error) {
	var parts []string
	for _, v := range t.Values {
		vals := []Value{{Text: v.Text}}
		if v.Text != "all" {
			vals = append(vals, Value{Text: "all"})
		}
		parts = append(parts, "NOT "+optoutExists+c.match("o.topic", vals)+")")
	}
	return orParts(parts), nil
}
