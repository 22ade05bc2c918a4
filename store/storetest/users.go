package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

// Users is what gridcast users and the API's user directory need.
type Users interface {
	api.UserDirectory
	CreateUser(ctx context.Context, u access.User) (access.User, error)
	UpdateUser(ctx context.Context, u access.User) (access.User, error)
	UserByName(ctx context.Context, name string) (access.User, error)
	Users(ctx context.Context) ([]access.User, error)
	// The console's sign-in (api.Config.Sessions) and the CLI's
	// passwd, unlock and link.
	api.SessionStore
	api.IdentityLinks
	CredentialsByID(ctx context.Context, id int64) (access.User, access.Credentials, error)
	UserSessions(ctx context.Context, id int64) ([]access.Session, error)
	DeleteUserSessions(ctx context.Context, id int64) (int, error)
	LinkIdentity(ctx context.Context, id int64, provider, subject string) error
}

var userTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"Users", testUsers},
	{"Sessions", testSessions},
	{"UserWorkerLink", testUserWorkerLink},
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

// Passwords, lockouts and sessions: a wrong password is counted until the
// policy's limit locks the user and starts the count again; a right one
// clears it; a new password ends the user's sessions, as disabling them
// does; sessions are found by their secret's hash with their user, touched,
// purged when past their life or idle; an identity links one user.
func testSessions(t *testing.T, st Store) {
	ctx := t.Context()
	if err := st.UpsertGrids(ctx, Grids); err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, access.User{Name: "Wang Fang", Roles: []access.Role{access.RoleWorker}, Grids: []string{Grids[len(Grids)-1].Code},
		TokenSHA256: sha256.Sum256([]byte("tok-sessions"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, c, err := st.LoginCredentials(ctx, "wang fang"); err != nil || c.PasswordHash != "" || c.Failures != 0 || !c.LockedUntil.IsZero() {
		t.Fatalf("a new user's credentials = %+v, %v; want none, found by name ignoring case", c, err)
	}
	if _, _, err := st.LoginCredentials(ctx, "nobody"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("LoginCredentials(nobody) = %v; want not found", err)
	}
	if err := st.SetPassword(ctx, u.ID, "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"); err != nil {
		t.Fatal(err)
	}
	p := access.LoginPolicy{MaxFailures: 3, Lockout: 10 * time.Minute, Idle: time.Hour, Lifetime: 24 * time.Hour}
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 2; i++ {
		c, err := st.RecordLoginFailure(ctx, u.ID, now, p)
		if err != nil || c.Failures != i || c.Locked(now) {
			t.Fatalf("failure %d: %+v, %v; want counted, not locked", i, c, err)
		}
	}
	c, err := st.RecordLoginFailure(ctx, u.ID, now, p)
	if err != nil || !c.LockedUntil.Equal(now.Add(10*time.Minute)) || c.Failures != 0 {
		t.Fatalf("the third failure: %+v, %v; want locked until %v, the count started again", c, err, now.Add(10*time.Minute))
	}
	if _, c, _ = st.LoginCredentials(ctx, "Wang Fang"); !c.Locked(now.Add(9*time.Minute)) || c.Locked(now.Add(10*time.Minute)) {
		t.Fatalf("the lockout as stored: %+v; want until %v", c, now.Add(10*time.Minute))
	}
	if err := st.UnlockUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, c, _ = st.CredentialsByID(ctx, u.ID); c.Locked(now) || c.PasswordHash == "" {
		t.Fatalf("after UnlockUser: %+v; want unlocked, the password kept", c)
	}
	if _, err := st.RecordLoginFailure(ctx, u.ID, now, p); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordLoginSuccess(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, c, _ = st.CredentialsByID(ctx, u.ID); c.Failures != 0 {
		t.Fatalf("after a right password: %d failures; want 0", c.Failures)
	}

	open := func(secret string, at time.Time) access.Session {
		t.Helper()
		se := access.Session{IDSHA256: sha256.Sum256([]byte(secret)), UserID: u.ID, CSRF: "csrf-" + secret, Method: access.MethodPassword,
			Remote: "192.0.2.7:5100", Agent: "Mozilla/5.0", CreatedAt: at, SeenAt: at, ExpiresAt: at.Add(p.Lifetime)}
		if err := st.CreateSession(ctx, se); err != nil {
			t.Fatal(err)
		}
		return se
	}
	a := open("secret-a", now)
	got, gu, err := st.SessionByID(ctx, a.IDSHA256)
	if err != nil || gu.ID != u.ID || gu.Name != "Wang Fang" || got.CSRF != "csrf-secret-a" || got.Method != access.MethodPassword ||
		!got.ExpiresAt.Equal(now.Add(24*time.Hour)) || got.Remote != "192.0.2.7:5100" {
		t.Fatalf("SessionByID = %+v, %+v, %v", got, gu, err)
	}
	if _, _, err := st.SessionByID(ctx, sha256.Sum256([]byte("secret-unknown"))); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("an unknown session: %v; want not found", err)
	}
	if err := st.TouchSession(ctx, a.IDSHA256, now.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _, _ = st.SessionByID(ctx, a.IDSHA256); !got.SeenAt.Equal(now.Add(30 * time.Minute)) {
		t.Fatalf("seen at %v after the touch; want %v", got.SeenAt, now.Add(30*time.Minute))
	}
	old := open("secret-old", now.Add(-2*time.Hour))
	if n, err := st.PurgeSessions(ctx, now.Add(time.Minute), now.Add(time.Minute).Add(-p.Idle)); err != nil || n != 1 {
		t.Fatalf("PurgeSessions = %d, %v; want the idle one purged", n, err)
	}
	if _, _, err := st.SessionByID(ctx, old.IDSHA256); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("the idle session after the purge: %v", err)
	}
	b := open("secret-b", now)
	if ss, err := st.UserSessions(ctx, u.ID); err != nil || len(ss) != 2 || ss[0].IDSHA256 != a.IDSHA256 {
		t.Fatalf("UserSessions = %d, %v; want 2, the last used first", len(ss), err)
	}
	if err := st.DeleteSession(ctx, b.IDSHA256); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.SessionByID(ctx, b.IDSHA256); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("a signed-out session: %v", err)
	}
	if err := st.SetPassword(ctx, u.ID, "$argon2id$v=19$m=8,t=1,p=1$c2FsdDI$aGFzaDI"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.SessionByID(ctx, a.IDSHA256); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("a session after a new password: %v; want ended", err)
	}
	c2 := open("secret-c", now)
	u.Disabled = true
	if _, err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.SessionByID(ctx, c2.IDSHA256); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("a disabled user's session: %v; want ended", err)
	}
	if _, _, err := st.LoginCredentials(ctx, "Wang Fang"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("a disabled user's credentials: %v; want not found", err)
	}
	u.Disabled = false
	if _, err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}

	if err := st.LinkIdentity(ctx, u.ID, "wecom", "WangFang01"); err != nil {
		t.Fatal(err)
	}
	if got, err := st.UserByIdentity(ctx, "wecom", "WangFang01"); err != nil || got.ID != u.ID {
		t.Fatalf("UserByIdentity = %+v, %v", got, err)
	}
	if err := st.LinkIdentity(ctx, u.ID, "wecom", "WangFang01"); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("linking the same identity again: %v; want a conflict", err)
	}
	if err := st.LinkIdentity(ctx, u.ID, "", "x"); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("linking without a provider: %v; want invalid", err)
	}
	if _, err := st.UserByIdentity(ctx, "wecom", "someone-else"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("an unlinked identity: %v", err)
	}
}

// A worker's user is linked to the grid worker they are: the code must be a
// worker's, serving within the user's scope, and read back wherever the
// user is found (by token, by name, by session).
func testUserWorkerLink(t *testing.T, st Store) {
	ctx := t.Context()
	if err := st.UpsertGrids(ctx, Grids); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertWorkers(ctx, []population.Worker{{Code: "W-LINK-1", Name: "王芳", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"}}); err != nil {
		t.Fatal(err)
	}
	base := access.User{Name: "王芳", Roles: []access.Role{access.RoleWorker}, Grids: []string{"NY-01-01-01"},
		TokenSHA256: sha256.Sum256([]byte("tok-link")), WorkerCode: "W-NOBODY"}
	if _, err := st.CreateUser(ctx, base); !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "W-NOBODY") {
		t.Fatalf("an unknown worker code: %v; want invalid, naming it", err)
	}
	base.WorkerCode, base.Grids = "W-LINK-1", []string{"NY-02"}
	if _, err := st.CreateUser(ctx, base); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("a worker outside the user's scope: %v; want invalid", err)
	}
	base.Grids = []string{"NY-01-01"}
	u, err := st.CreateUser(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.UserByToken(ctx, base.TokenSHA256); err != nil || got.WorkerCode != "W-LINK-1" {
		t.Fatalf("UserByToken: %+v, %v; want the worker code", got, err)
	}
	se := access.Session{IDSHA256: sha256.Sum256([]byte("link-session")), UserID: u.ID, CSRF: "c", Method: access.MethodPassword,
		CreatedAt: time.Now(), SeenAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := st.CreateSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	if _, got, err := st.SessionByID(ctx, se.IDSHA256); err != nil || got.WorkerCode != "W-LINK-1" {
		t.Fatalf("SessionByID: %+v, %v; want the worker code", got, err)
	}
	u.WorkerCode = ""
	if u, err = st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.UserByName(ctx, "王芳"); got.WorkerCode != "" {
		t.Fatalf("after unlinking: %q", got.WorkerCode)
	}
}
