package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/fault"
)

// Users is what gridcast users and the API's user directory need.
type Users interface {
	api.UserDirectory
	CreateUser(ctx context.Context, u access.User) (access.User, error)
	UpdateUser(ctx context.Context, u access.User) (access.User, error)
	UserByName(ctx context.Context, name string) (access.User, error)
	Users(ctx context.Context) ([]access.User, error)
}

var userTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"Users", testUsers},
}

// Users are found by their token's hash, unique by name ignoring case and
// by token, scoped to grids the store holds; a disabled user's token finds
// no one, and the count of enabled users says whether the API is on trial.
func testUsers(t *testing.T, st Store) {
	ctx := t.Context()
	if err := st.UpsertGrids(ctx, Grids); err != nil {
		t.Fatal(err)
	}
	if n, err := st.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers on an empty store = %d, %v", n, err)
	}
	wang := access.User{Name: "王芳", Roles: []access.Role{access.RoleWorker, access.RoleViewer},
		Grids: []string{"NY-01-01-02", "NY-01-01-01"}, TokenSHA256: sha256.Sum256([]byte("tok-wang"))}
	created, err := st.CreateUser(ctx, wang)
	if err != nil || created.ID == 0 {
		t.Fatalf("CreateUser = %+v, %v", created, err)
	}
	got, err := st.UserByToken(ctx, sha256.Sum256([]byte("tok-wang")))
	if err != nil || got.Name != "王芳" || len(got.Roles) != 2 || got.Scope().String() != "NY-01-01-01,NY-01-01-02" || got.CreatedAt.IsZero() {
		t.Errorf("UserByToken = %+v, %v", got, err)
	}
	if _, err := st.UserByToken(ctx, sha256.Sum256([]byte("tok-nobody"))); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("an unknown token: %v, want not found", err)
	}
	for _, tc := range []struct {
		name string
		u    access.User
		want error
	}{
		{"same name, other case", access.User{Name: "Wang", Roles: []access.Role{access.RoleAdmin}, TokenSHA256: sha256.Sum256([]byte("a"))}, nil},
		{"same name", access.User{Name: "王芳", Roles: []access.Role{access.RoleAdmin}, TokenSHA256: sha256.Sum256([]byte("b"))}, fault.ErrConflict},
		{"same name ignoring case", access.User{Name: "WANG", Roles: []access.Role{access.RoleAdmin}, TokenSHA256: sha256.Sum256([]byte("c"))}, fault.ErrConflict},
		{"same token", access.User{Name: "李强", Roles: []access.Role{access.RoleAdmin}, TokenSHA256: sha256.Sum256([]byte("tok-wang"))}, fault.ErrConflict},
		{"unknown grid", access.User{Name: "赵敏", Roles: []access.Role{access.RoleViewer}, Grids: []string{"NY-09"}, TokenSHA256: sha256.Sum256([]byte("d"))}, fault.ErrInvalid},
		{"no token", access.User{Name: "孙丽", Roles: []access.Role{access.RoleAdmin}}, fault.ErrInvalid},
		{"worker without scope", access.User{Name: "周杰", Roles: []access.Role{access.RoleWorker}, TokenSHA256: sha256.Sum256([]byte("e"))}, fault.ErrInvalid},
	} {
		_, err := st.CreateUser(ctx, tc.u)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if n, _ := st.CountUsers(ctx); n != 2 {
		t.Errorf("CountUsers = %d, want 2", n)
	}
	// Disabled: the token finds no one, the name still does.
	got.Disabled = true
	if _, err := st.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UserByToken(ctx, sha256.Sum256([]byte("tok-wang"))); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("a disabled user's token: %v, want not found", err)
	}
	if u, err := st.UserByName(ctx, "王芳"); err != nil || !u.Disabled {
		t.Errorf("UserByName of a disabled user = %+v, %v", u, err)
	}
	if n, _ := st.CountUsers(ctx); n != 1 {
		t.Errorf("CountUsers with one disabled = %d, want 1", n)
	}
	// A new token, a wider scope: the covered grids fold into it.
	got.Disabled, got.TokenSHA256 = false, sha256.Sum256([]byte("tok-wang-2"))
	got.Grids = append(got.Grids, "NY-01")
	if _, err := st.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByToken(ctx, sha256.Sum256([]byte("tok-wang-2")))
	if err != nil || u.Scope().String() != "NY-01" {
		t.Errorf("after the update: %+v, %v; want scope NY-01", u, err)
	}
	us, err := st.Users(ctx)
	if err != nil || len(us) != 2 || us[0].Name != "Wang" {
		t.Errorf("Users = %+v, %v; want Wang and 王芳 by name", us, err)
	}
	if _, err := st.UpdateUser(ctx, access.User{ID: 999, Name: "nobody", Roles: []access.Role{access.RoleAdmin},
		TokenSHA256: sha256.Sum256([]byte("z"))}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("updating no user: %v, want not found", err)
	}
}
