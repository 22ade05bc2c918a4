// Package segments is the segment language: the expressions officers write to
// select residents, such as
//
//	category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:NY-03*
//	category:elderly_alone AND NOT channel:wechat
//	segment:job_seekers AND consent:job
//
// Parse turns the text into a syntax tree (Expr), checking and normalizing
// every value, and reports mistakes as *Error with a 1-based column counted
// in runes. Compile turns the tree into a boolean SQL fragment over the
// residents table aliased r, for SQLite or PostgreSQL, with every value
// passed as a bind argument: no value is ever written into the SQL text.
//
// # Grammar
//
// In EBNF, with keywords case-insensitive and white space (including the
// ideographic space U+3000) between tokens ignored:
//
//	expr     = and { ( "OR" | "||" ) and } ;
//	and      = unary { ( "AND" | "&&" ) unary } ;
//	unary    = ( "NOT" | "!" ) unary | "(" expr ")" | term ;
//	term     = field ":" values ;
//	values   = value { "," value }
//	         | "(" value { ( "OR" | "||" | "," ) value } ")" ;
//	value    = ( word | string ) [ "*" ]
//	         | range
//	         | ( ">=" | ">" | "<=" | "<" ) number ;
//	range    = number | number ".." [ number ] | ".." number ;
//	word     = wordchar { wordchar } ;       (* but not AND, OR or NOT *)
//	wordchar = letter | digit | mark | "-" | "_" | "." ;  (* any script *)
//	string   = '"' { char | '\"' | '\\' } '"' ;
//
// Precedence is NOT over AND over OR, so a OR b AND NOT c means
// a OR (b AND (NOT c)). Terms must be joined by an operator: "skill:a
// skill:b" is an error, not an implicit AND. The full-width ：（），typed by
// Chinese input methods are accepted for : ( ) ,.
//
// A value list is a set of alternatives: skill:(电工 OR 焊工), skill:电工,焊工
// and skill:电工 OR skill:焊工 select the same residents. A trailing * (no
// space before it) makes a prefix: grid:NY-03* is every grid in the NY-03
// subtree. Quote a value that holds spaces, punctuation or a keyword:
// skill:"高级 电工", job:"or". Ranges are inclusive; comparisons are
// shorthand for ranges (age:>=60 is age:60.., age:<18 is age:..17).
//
// An empty expression is an error rather than "everyone": a segment always
// says whom it selects.
//
// # Fields
//
//	field     values                         SQL (r = residents)
//	category  unemployed, 失业登记, hard_to*  r.id IN (resident_categories.category)
//	skill     text, prefix*                  r.id IN (resident_skills.skill)
//	job       text, prefix*                  r.id IN (resident_jobs.job) (desired job type)
//	age       60, 18..45, 60.., ..17, >=60   r.birth_date range from Options.Now
//	born      1960, 1960..1970, <1950        r.birth_date range of whole years
//	gender    M, F, 男, 女, male, female       r.gender
//	grid      NY-03, NY-03*                  r.grid_code (= or LIKE)
//	channel   wechat, sms (微信, 短信)        r.openid <> '' / r.phone <> ''
//	prefers   wechat, sms                    r.preferred_channel
//	course    text, prefix*                  r.training_course
//	cohort    text, prefix*                  r.training_cohort
//	optout    policy, job, training, visit, all   r.id IN (resident_optouts.topic = T)
//	consent   policy, job, training, visit, all   NOT r.id IN (resident_optouts.topic IN (T, all))
//	segment   NAME                           the saved segment's expression, inlined
//
// Fields returns the same table for help screens. Field names are
// case-insensitive; values are case-sensitive except gender. optout:job
// matches only a recorded opt-out of job postings; to leave out everyone who
// must not get a job posting, write consent:job.
//
// # Canonical form
//
// Expr.String prints the canonical form: upper-case keywords, normalized
// values (category:失业登记 prints category:unemployed, age:>=60 prints
// age:60..), nested ANDs and ORs flattened and parentheses only where needed.
// Parsing the canonical form gives the same canonical form, so it is safe to
// store and to compare.
//
// # Limits
//
// Parse refuses sources over MaxLen bytes and nesting deeper than MaxDepth.
// Compile expands saved segments at most MaxSegmentDepth deep, refuses
// cycles (ErrCycle) and expressions that expand to more than 2000 terms
// (ErrTooLarge).
//
// # Using the fragment
//
// Compile's fragment can be ANDed with a query's own conditions. On SQLite
// the placeholders are positional ?, so bind arguments in textual order:
//
//	where, args, err := segments.Compile(e, segments.Options{Now: now})
//	q := "SELECT r.id FROM residents r WHERE r.id > ? AND " + where + " ORDER BY r.id LIMIT ?"
//	rows, err := db.QueryContext(ctx, q, append(append([]any{lastID}, args...), limit)...)
//
// On PostgreSQL number the query's own parameters first and start the
// fragment after them with Options.ArgStart.
//
// SQLite's LIKE ignores ASCII case unless PRAGMA case_sensitive_like is on,
// so there grid:ny* also matches NY-03; PostgreSQL's LIKE is case-sensitive.
package segments
