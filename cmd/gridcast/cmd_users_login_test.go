package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
)

// An administrator sets a user's console password from a file or makes
// one up; a weak one is refused naming the rule and changes nothing;
// unlock ends a lockout; link ties the user to an identity provider's
// person; each is on the audit log.
func TestUsersPasswdCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, errOut, code := gridcast(t, dir, "seed", "--residents", "100", "--seed", "3", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", errOut)
	}
	if _, errOut, code := gridcast(t, dir, "users", "create", "王芳", "--role", "worker", "--grid", "NY-01-01-01"); code != 0 {
		t.Fatalf("create: %s", errOut)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := gridcast(t, dir, "users", "passwd", "王芳", "--password-file", pwFile); code != 2 || !strings.Contains(errOut, "at least 10 characters") {
		t.Errorf("a weak password: exit %d, %q; want 2 naming the rule", code, errOut)
	}
	if _, errOut, code := gridcast(t, dir, "users", "passwd", "王芳"); code != 2 || !strings.Contains(errOut, "--password-file") {
		t.Errorf("no terminal and no file: exit %d, %q", code, errOut)
	}
	if err := os.WriteFile(pwFile, []byte("走访巡查 correct horse\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := gridcast(t, dir, "users", "passwd", "王芳", "--password-file", pwFile, "--by", "管理员"); code != 0 || !strings.Contains(out, "password is set") {
		t.Fatalf("passwd: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code := gridcast(t, dir, "users", "passwd", "王芳", "--generate")
	if code != 0 {
		t.Fatalf("passwd --generate: %d %s", code, errOut)
	}
	generated := lastLine(out)

	a := &app{stdout: &strings.Builder{}, stderr: &strings.Builder{}, env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir})}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, cred, err := st.LoginCredentials(ctx, "王芳")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := access.VerifyPassword(cred.PasswordHash, generated); !ok {
		t.Errorf("the generated password %q does not match the stored hash", generated)
	}
	if ok, _ := access.VerifyPassword(cred.PasswordHash, "走访巡查 correct horse"); ok {
		t.Error("the first password still matches after --generate replaced it")
	}
	p := access.DefaultLoginPolicy()
	for range p.MaxFailures {
		if _, err := st.RecordLoginFailure(ctx, u.ID, time.Now(), p); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if out, errOut, code := gridcast(t, dir, "users", "unlock", "王芳"); code != 0 || !strings.Contains(out, "may sign in again") {
		t.Fatalf("unlock: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := gridcast(t, dir, "users", "link", "王芳", "--provider", "wecom", "--subject", "WangFang"); code != 0 {
		t.Fatalf("link: %s", errOut)
	}
	if _, errOut, code := gridcast(t, dir, "users", "link", "王芳", "--provider", "wecom", "--subject", "WangFang"); code == 0 || !strings.Contains(errOut, "linked") {
		t.Errorf("linking again: exit %d, %q", code, errOut)
	}
	if st, err = a.openStore(ctx); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, cred, _ = st.LoginCredentials(ctx, "王芳"); cred.Locked(time.Now()) {
		t.Error("still locked after unlock")
	}
	if got, err := st.UserByIdentity(ctx, "wecom", "WangFang"); err != nil || got.ID != u.ID {
		t.Errorf("UserByIdentity = %+v, %v", got, err)
	}
	es, err := st.AuditEntries(ctx, audit.Filter{Action: "user"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[audit.Action]int{}
	for _, e := range es {
		seen[e.Action]++
		if strings.Contains(e.Detail, generated) || strings.Contains(e.Detail, "correct horse") {
			t.Errorf("the audit log holds a password: %+v", e)
		}
	}
	if seen[audit.ActionUserPassword] != 2 || seen[audit.ActionUserUnlock] != 1 {
		t.Errorf("audit entries: %v; want two password changes and an unlock", seen)
	}
}
