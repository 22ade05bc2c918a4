package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// An administrator creates users with a scope, grants and revokes, lists
// them, and disables one; the store holds only the token's hash and every
// change shows at once.
func TestUsersCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, errOut, code := gridcast(t, dir, "seed", "--residents", "300", "--seed", "3", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", errOut)
	}
	out, errOut, code := gridcast(t, dir, "users", "list")
	if code != 0 || !strings.Contains(out, "trial mode") {
		t.Errorf("list with no users: %d %q %q", code, out, errOut)
	}
	out, errOut, code = gridcast(t, dir, "users", "create", "王芳", "--role", "worker", "--grid", "NY-01-01-01")
	if code != 0 {
		t.Fatalf("create: %d %s", code, errOut)
	}
	token := lastLine(out)
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
		t.Fatalf("token %q: want 32 bytes base64url\n%s", token, out)
	}
	// The token works against the store: the server looks users up by
	// its hash.
	a := &app{stdout: &strings.Builder{}, stderr: &strings.Builder{}, env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir})}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByToken(context.Background(), sha256.Sum256([]byte(token)))
	st.Close()
	if err != nil || u.Name != "王芳" || u.Scope().String() != "NY-01-01-01" {
		t.Fatalf("UserByToken = %+v, %v", u, err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"users", "create", "王芳", "--role", "viewer", "--grid", "NY"}, "exists"},
		{[]string{"users", "create", "WANG", "--role", "worker"}, "need a scope"},
		{[]string{"users", "create", "李强", "--role", "root", "--grid", "NY"}, "unknown role"},
		{[]string{"users", "create", "李强", "--role", "worker", "--grid", "NY-99"}, "no grid \"NY-99\""},
		{[]string{"users", "create", "李强", "--role", "worker", "--grid", "NY", "--token-sha256", "abc"}, "64 hexadecimal"},
		{[]string{"users", "grant", "赵敏", "--role", "worker"}, "not found"},
		{[]string{"users", "grant", "王芳"}, "--role, --grid or --worker"},
		{[]string{"users", "grant", "王芳", "--worker", "W-NOPE"}, "no worker has the code \"W-NOPE\""},
		{[]string{"users", "revoke", "王芳", "--role", "officer"}, "does not hold"},
	} {
		if _, errOut, code := gridcast(t, dir, tc.args...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a refusal saying %q", tc.args, code, errOut, tc.want)
		}
	}

	// The community covers the grid: the scope keeps the community alone.
	if out, errOut, code := gridcast(t, dir, "users", "grant", "王芳", "--grid", "NY-01-01", "--role", "viewer"); code != 0 ||
		!strings.Contains(out, "roles worker,viewer, scope NY-01-01") {
		t.Errorf("grant: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := gridcast(t, dir, "users", "revoke", "王芳", "--grid", "NY-01-01"); code == 0 || !strings.Contains(errOut, "need a scope") {
		t.Errorf("revoking a worker's last grid: %d %q, want a refusal", code, errOut)
	}
	if out, errOut, code := gridcast(t, dir, "users", "revoke", "王芳", "--all"); code != 0 || !strings.Contains(out, "disabled") {
		t.Errorf("revoke --all: %d %q %q", code, out, errOut)
	}
	out, _, _ = gridcast(t, dir, "users", "list", "--json")
	var rows []struct {
		Name     string   `json:"name"`
		Roles    []string `json:"roles"`
		Grids    []string `json:"grids"`
		Disabled bool     `json:"disabled"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || !rows[0].Disabled ||
		strings.Join(rows[0].Roles, ",") != "worker,viewer" || strings.Join(rows[0].Grids, ",") != "NY-01-01" {
		t.Errorf("list --json: %s (%v)", out, err)
	}
	// A new token enables the user again; the old one is gone.
	out, errOut, code = gridcast(t, dir, "users", "token", "王芳")
	if code != 0 || lastLine(out) == token {
		t.Fatalf("token: %d %q %q", code, out, errOut)
	}
	if out, _, _ := gridcast(t, dir, "users", "list"); !strings.Contains(out, "enabled") {
		t.Errorf("list after a new token: %s", out)
	}
	// Every change is on the audit log, with who made it.
	out, _, _ = gridcast(t, dir, "audit", "list", "--action", "user", "--json")
	for _, want := range []string{`"user.create"`, `"user.grant"`, `"user.revoke"`, `"user.token"`, `"user:王芳"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the audit log lacks %s:\n%s", want, out)
		}
	}
	if _, errOut, code := gridcast(t, dir, "audit", "verify"); code != 0 {
		t.Errorf("audit verify after the changes: %d %s", code, errOut)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
