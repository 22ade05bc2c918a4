package access_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/segments"
)

func TestScopeCovers(t *testing.T) {
	t.Parallel()
	street := access.Scope{"NY-03"}
	for _, tc := range []struct {
		grid string
		want bool
	}{
		{"NY-03", true}, {"NY-03-02", true}, {"NY-03-02-05", true},
		{"NY-030", false}, {"NY-04-01", false}, {"NY", false}, {"", false},
	} {
		if got := street.Covers(tc.grid); got != tc.want {
			t.Errorf("NY-03 covers %q = %v, want %v", tc.grid, got, tc.want)
		}
	}
	if !(access.Scope{access.All}).Covers("ZZ-9") {
		t.Error("* does not cover a grid")
	}
	if (access.Scope{}).Covers("NY-03") {
		t.Error("the empty scope covers a grid")
	}
}

func TestScopeCoversAllAndOverlaps(t *testing.T) {
	t.Parallel()
	community := access.Scope{"NY-03-02"}
	street := access.Scope{"NY-03"}
	city := access.Scope{access.All}
	if !street.CoversAll(community) || community.CoversAll(street) {
		t.Error("a street covers its community, not the reverse")
	}
	if street.CoversAll(city) || !city.CoversAll(street) {
		t.Error("only the city covers the city")
	}
	if !community.Overlaps(street) || !street.Overlaps(community) {
		t.Error("a community and its street overlap")
	}
	if community.Overlaps(access.Scope{"NY-04"}) {
		t.Error("two streets' grids overlap")
	}
	if !city.Overlaps(community) || (access.Scope{}).Overlaps(city) {
		t.Error("the city overlaps everything but the empty scope")
	}
}

func TestScopeSegmentParses(t *testing.T) {
	t.Parallel()
	for _, s := range []access.Scope{{"NY-03"}, {"NY-03-02", "NY-04"}, {"NY-03", "NY-03-02"}} {
		expr, ok := s.Within("category:unemployed OR age:60..")
		if !ok {
			t.Fatalf("%v: not ok", s)
		}
		if _, err := segments.Parse(expr); err != nil {
			t.Errorf("%v: %q does not parse: %v", s, expr, err)
		}
		if !strings.HasPrefix(expr, "(category:unemployed OR age:60..) AND (") {
			t.Errorf("%v: %q does not keep the expression whole inside its scope", s, expr)
		}
	}
	if expr, ok := (access.Scope{access.All}).Within("age:60.."); !ok || expr != "age:60.." {
		t.Errorf("the city's scope changed the expression: %q", expr)
	}
	if _, ok := (access.Scope{}).Within("age:60.."); ok {
		t.Error("the empty scope selects residents")
	}
	if expr, _ := (access.Scope{"NY-03", "NY-03-02"}).Within(""); expr != "grid:NY-03 OR grid:NY-03-*" {
		t.Errorf("a covered code was not dropped: %q", expr)
	}
}

func TestParseScopeAndRoles(t *testing.T) {
	t.Parallel()
	s, err := access.ParseScope("NY-04, NY-03，NY-03-02")
	if err != nil || !slices.Equal(s, access.Scope{"NY-03", "NY-04"}) {
		t.Errorf("ParseScope = %v, %v", s, err)
	}
	for _, bad := range []string{"grid:x", "NY%", "a(b)"} {
		if _, err := access.ParseScope(bad); err == nil {
			t.Errorf("ParseScope(%q) accepted", bad)
		}
	}
	if _, err := access.ParseRole("root"); err == nil || !strings.Contains(err.Error(), "officer") {
		t.Errorf("ParseRole(root) = %v, want an error listing the roles", err)
	}
}

func TestUserValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		u    access.User
		want string
	}{
		{"ok", access.User{Name: "王芳", Roles: []access.Role{access.RoleWorker}, Grids: []string{"NY-03-02-05"}}, ""},
		{"no name", access.User{Roles: []access.Role{access.RoleWorker}, Grids: []string{"NY"}}, "needs a name"},
		{"no role", access.User{Name: "王芳", Grids: []string{"NY"}}, "at least one role"},
		{"worker without scope", access.User{Name: "王芳", Roles: []access.Role{access.RoleWorker}}, "need a scope"},
		{"department without name", access.User{Name: "城管", Roles: []access.Role{access.RoleDepartment}}, "needs a department"},
		{"department", access.User{Name: "城管A", Roles: []access.Role{access.RoleDepartment}, Department: "城管"}, ""},
		{"admin alone", access.User{Name: "管理员", Roles: []access.Role{access.RoleAdmin}}, ""},
		{"long name", access.User{Name: strings.Repeat("王", 65), Roles: []access.Role{access.RoleAdmin}}, "longer than"},
	} {
		err := tc.u.Validate()
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
