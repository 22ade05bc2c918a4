// Package access says who may do what, and where: the users of the API and
// the console, their roles, and their scope in the grid tree.
//
// A scope is a set of grid codes at any level of the hierarchy; a code
// covers its own grid and every grid below it (NY-03 covers NY-03-02 and
// NY-03-02-05, not NY-030), because grid codes are hierarchical (see
// population.Grid). The code "*" stands for the whole city. So a grid
// worker's scope is their grid (or grids), a grid leader's their community,
// street staff's their street, an officer's the streets they serve.
//
// Roles say what a user may change; every role may read what its scope
// covers. The package imports no storage or HTTP library: the store keeps
// users and the API enforces what this package decides.
package access

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may change.
type Role string

// The roles.
const (
	// RoleAdmin manages users and reads the audit log and the messages of
	// senders no resident matches.
	RoleAdmin Role = "admin"
	// RoleOfficer creates campaigns within their scope, sends, pauses,
	// resumes and cancels them, approves others' campaigns, and saves and
	// deletes named segments.
	RoleOfficer Role = "officer"
	// RoleChecker approves or refuses others' campaigns within their scope
	// (the checker of maker–checker) and changes nothing else.
	RoleChecker Role = "checker"
	// RoleWorker acts on the tickets of their scope: reply, start,
	// resolve, close, reopen, reassign, merge. A grid worker's scope is
	// their grid; a grid leader's their community.
	RoleWorker Role = "worker"
	// RoleDepartment is a department's user (城管, 民政 …): they act on
	// the tasks dispatched to their department, named by Department.
	RoleDepartment Role = "department"
	// RoleViewer reads only.
	RoleViewer Role = "viewer"
)

// Roles lists every role, in the order the documentation gives them.
var Roles = []Role{RoleAdmin, RoleOfficer, RoleChecker, RoleWorker, RoleDepartment, RoleViewer}

// ParseRole returns the role named s, or an error listing the roles.
func ParseRole(s string) (Role, error) {
	if r := Role(strings.TrimSpace(s)); slices.Contains(Roles, r) {
		return r, nil
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("unknown role %q; want one of %s", s, strings.Join(names, ", "))
}

// All is the scope code that stands for the whole city.
const All = "*"

// MaxNameLen is the longest user name, in characters.
const MaxNameLen = 64

// User is one person who may call the API with a bearer token.
type User struct {
	ID int64
	// Name is the person, recorded as the actor of everything they do
	// (a campaign's owner and approver, a ticket's timeline). Unique,
	// compared without regard to case, as the self-approval rule compares
	// names.
	Name string
	// Roles are what the user may change; at least one.
	Roles []Role
	// Grids is the user's scope: grid codes, each covering its subtree, or
	// All. Empty means nothing in the grid tree (a department's user).
	Grids []string
	// Department names the department whose tasks a RoleDepartment user
	// acts on; empty otherwise.
	Department string
	// WorkerCode links the user to the grid worker they are (their 工号 in
	// the population's workers), for the user of the worker role: their
	// tickets (我的工单) and their visit register. Empty when the user is no
	// worker on record (an officer, a department's user, a leader not in
	// the workers' list).
	WorkerCode string
	// TokenSHA256 is the SHA-256 of the user's bearer token; the server
	// never holds the token itself.
	TokenSHA256 [sha256.Size]byte
	// Disabled users are refused as if their token were unknown; they are
	// kept so that the actor of their past acts still resolves.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Has reports whether u holds role r.
func (u User) Has(r Role) bool { return slices.Contains(u.Roles, r) }

// HasAny reports whether u holds at least one of rs.
func (u User) HasAny(rs ...Role) bool {
	return slices.ContainsFunc(rs, u.Has)
}

// Scope is the user's scope.
func (u User) Scope() Scope { return Scope(u.Grids) }

// Validate reports what is wrong with u, if anything; the token hash is
// checked by the store, which alone knows the other users'.
func (u User) Validate() error {
	var errs []error
	name := strings.TrimSpace(u.Name)
	switch {
	case name == "":
		errs = append(errs, errors.New("a user needs a name"))
	case name != u.Name:
		errs = append(errs, fmt.Errorf("name %q has leading or trailing spaces", u.Name))
	case utf8.RuneCountInString(name) > MaxNameLen:
		errs = append(errs, fmt.Errorf("name is longer than %d characters", MaxNameLen))
	case strings.ContainsAny(name, "\t\n\r,"):
		errs = append(errs, errors.New("name may not hold tabs, line breaks or commas"))
	}
	if len(u.Roles) == 0 {
		errs = append(errs, errors.New("a user needs at least one role"))
	}
	for _, r := range u.Roles {
		if _, err := ParseRole(string(r)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := u.Scope().Validate(); err != nil {
		errs = append(errs, err)
	}
	if u.Has(RoleDepartment) && strings.TrimSpace(u.Department) == "" {
		errs = append(errs, errors.New("the department role needs a department"))
	}
	if !u.Has(RoleDepartment) && u.Department != "" {
		errs = append(errs, errors.New("a department is given but not the department role"))
	}
	if u.WorkerCode != "" && !u.Has(RoleWorker) {
		errs = append(errs, errors.New("a worker code is given but not the worker role"))
	}
	if strings.TrimSpace(u.WorkerCode) != u.WorkerCode || strings.ContainsAny(u.WorkerCode, " \t\n,") {
		errs = append(errs, fmt.Errorf("worker code %q may not hold spaces or commas", u.WorkerCode))
	}
	if len(u.Grids) == 0 && u.HasAny(RoleOfficer, RoleChecker, RoleWorker, RoleViewer) {
		errs = append(errs, errors.New("officers, checkers, workers and viewers need a scope: the grids they serve (or * for the whole city)"))
	}
	return errors.Join(errs...)
}

// Scope is a set of grid codes, each covering its own grid and the grids
// below it, or All for the whole city. The nil Scope covers nothing.
type Scope []string

// Validate checks the codes' shape (not that the grids exist: the store
// does that).
func (s Scope) Validate() error {
	var errs []error
	for _, c := range s {
		if c == "" || strings.ContainsAny(c, " *%_\\\t\n,()\"':;") && c != All {
			errs = append(errs, fmt.Errorf("scope %q is not a grid code (or * for the whole city)", c))
		}
	}
	return errors.Join(errs...)
}

// Everything reports whether s covers the whole city.
func (s Scope) Everything() bool { return slices.Contains(s, All) }

// Covers reports whether grid lies in s.
func (s Scope) Covers(grid string) bool {
	for _, c := range s {
		if c == All || under(grid, c) {
			return true
		}
	}
	return false
}

// CoversAll reports whether every grid of other lies in s: s may act on
// something whose scope is other. Only a scope with All covers All.
func (s Scope) CoversAll(other Scope) bool {
	if len(other) == 0 {
		return true
	}
	for _, c := range other {
		if c == All {
			if !s.Everything() {
				return false
			}
			continue
		}
		if !s.Covers(c) {
			return false
		}
	}
	return true
}

// Overlaps reports whether s and other share a grid: a campaign that
// reaches part of a user's grids is theirs to read.
func (s Scope) Overlaps(other Scope) bool {
	for _, a := range s {
		for _, b := range other {
			if a == All || b == All || under(a, b) || under(b, a) {
				return true
			}
		}
	}
	return false
}

// Narrowest returns s without the codes another code of s already covers,
// sorted: the canonical form to store and compare.
func (s Scope) Narrowest() Scope {
	if s.Everything() {
		return Scope{All}
	}
	out := Scope{}
	for _, c := range s {
		covered := false
		for _, d := range s {
			if d != c && under(c, d) {
				covered = true
				break
			}
		}
		if !covered && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// Segment is the segment expression (see package segments) that selects
// the residents of s: "" for the whole city, "grid:X OR grid:X-*" per
// code otherwise; ok is false for the nil Scope, which selects no one and
// has no expression.
func (s Scope) Segment() (expr string, ok bool) {
	if s.Everything() {
		return "", true
	}
	if len(s) == 0 {
		return "", false
	}
	parts := make([]string, 0, 2*len(s))
	for _, c := range s.Narrowest() {
		parts = append(parts, "grid:"+c, "grid:"+c+"-*")
	}
	return strings.Join(parts, " OR "), true
}

// Within returns expr limited to the residents of s, in the segment
// language: expr itself for the whole city. ok is false for the nil
// Scope, whose users may not select residents at all.
func (s Scope) Within(expr string) (string, bool) {
	seg, ok := s.Segment()
	switch {
	case !ok:
		return "", false
	case seg == "":
		return expr, true
	case strings.TrimSpace(expr) == "":
		return seg, true
	}
	return "(" + expr + ") AND (" + seg + ")", true
}

// String is the scope as a comma-separated list, "—" when empty.
func (s Scope) String() string {
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, ",")
}

// ParseScope reads a comma- or space-separated list of grid codes.
func ParseScope(list string) (Scope, error) {
	var s Scope
	for _, c := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '，' }) {
		s = append(s, c)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s.Narrowest(), nil
}

// under reports whether grid is code or lies below it.
func under(grid, code string) bool {
	return grid == code || strings.HasPrefix(grid, code+"-")
}
