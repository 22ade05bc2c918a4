package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/pii"
)

func TestOSUser(t *testing.T) {
	t.Parallel()
	known := func() (*user.User, error) { return &user.User{Username: "ops"}, nil }
	lost := func() (*user.User, error) { return nil, errors.New("user: unknown userid 4242") }
	for _, tc := range []struct {
		name    string
		current func() (*user.User, error)
		env     map[string]string
		want    string
	}{
		{"the account of the process", known, map[string]string{"USER": "someone-else"}, "ops"},
		{"sudo names where it came from", known, map[string]string{"SUDO_USER": "alice"}, "ops (sudo from alice)"},
		{"no account: $USER", lost, map[string]string{"USER": "deploy"}, "deploy"},
		{"nothing at all", lost, nil, "unknown"},
	} {
		if got := osUser(tc.current, envOf(tc.env)); got != tc.want {
			t.Errorf("%s: osUser = %q; want %q", tc.name, got, tc.want)
		}
	}
}

// The command line's acts land in the audit log with the account that ran
// them beside the --by name; verify finds the chain whole and then finds
// the entry someone edited in the database.
func TestCLIAudit(t *testing.T) {
	example, err := filepath.Abs("../../examples/job-posting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		env := map[string]string{"GRIDCAST_DATA_DIR": dir, "GRIDCAST_CAMPAIGNS_APPROVAL_THRESHOLD": "1"}
		code := run(context.Background(), args, &out, &errb, envOf(env))
		return out.String(), errb.String(), code
	}
	must := func(args ...string) string {
		t.Helper()
		out, e, code := run(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s %s", strings.Join(args, " "), code, out, e)
		}
		return out
	}
	osu := osUser(user.Current, nil)

	if out := must("audit", "verify"); !strings.Contains(out, "verified: 0 entries") || !strings.Contains(out, "head: 0:"+audit.Genesis) {
		t.Errorf("verify of an empty log:\n%s", out)
	}
	must("seed", "--residents", "200", "--seed", "4", "--quiet")
	must("campaign", "create", "--file", example)
	must("campaign", "approve", "1", "--by", "李强")
	// A refused act records nothing: the templates are not synced (a sync
	// here would start a second WeChat emulator in this test process).
	if _, e, code := run("campaign", "send", "1", "--by", "王芳"); code == 0 || !strings.Contains(e, "templates") {
		t.Errorf("send without templates: exit %d, %s", code, e)
	}
	must("campaign", "cancel", "1", "--by", "王芳")
	must("residents", "unmask", "3", "--by", "李四", "--reason", "低保复核核对")
	must("tickets", "answers", "1", "--xlsx", filepath.Join(t.TempDir(), "signups.xlsx"))
	id := "11010519800101001"
	id += string(pii.CheckDigit(id))
	sheet := filepath.Join(t.TempDir(), "residents.csv")
	if err := os.WriteFile(sheet, []byte("姓名,身份证号,手机号,网格,人员类别\n张三,"+id+",13812345678,NOPE,失业登记\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must("import", "residents", sheet, "--quiet")

	var got []audit.Entry
	if err := json.Unmarshal([]byte(must("audit", "list", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	type act struct{ Actor, OSUser, Action, Subject, Reason string }
	var acts []act
	for _, e := range got {
		if e.Source != audit.SourceCLI {
			t.Errorf("entry %d: source %s; want cli", e.Seq, e.Source)
		}
		acts = append(acts, act{e.Actor, e.OSUser, string(e.Action), e.Subject, e.Reason})
	}
	want := []act{
		{"李强", osu, "campaign.approve", "campaign:1", ""},
		{"王芳", osu, "campaign.cancel", "campaign:1", ""},
		{"李四", osu, "pii.unmask", "resident:3", "低保复核核对"},
		{osu, osu, "export", "campaign:1", ""}, // no --by: the account is the actor
		{osu, osu, "import", "file:residents.csv", ""},
	}
	if d := cmp.Diff(want, acts); d != "" {
		t.Errorf("audit entries (-want +got):\n%s", d)
	}
	if len(got) == len(want) {
		if !strings.HasPrefix(got[0].Detail, "digest ") || !strings.HasSuffix(got[0].Detail, "(approved)") {
			t.Errorf("approve's detail: %q", got[0].Detail)
		}
		if got[1].Detail != "draft → cancelled" {
			t.Errorf("cancel's detail: %q", got[1].Detail)
		}
		if !strings.Contains(got[4].Detail, `"rows":1`) || !strings.Contains(got[4].Detail, `"skipped":1`) {
			t.Errorf("import's detail: %q", got[4].Detail)
		}
	}

	// The table, filtered to an area of actions.
	out := must("audit", "list", "--action", "campaign")
	if n := strings.Count(out, "campaign:1"); n != 2 || !strings.Contains(out, "OS USER") || strings.Contains(out, "pii.unmask") {
		t.Errorf("list --action campaign:\n%s", out)
	}
	if out := must("audit", "list", "--actor", "李四", "--limit", "1"); !strings.Contains(out, "pii.unmask") || !strings.Contains(out, "older entries: --before 3") {
		t.Errorf("list --actor 李四 --limit 1:\n%s", out)
	}
	if _, e, code := run("audit", "list", "--since", "yesterday"); code != 2 || !strings.Contains(e, "--since") {
		t.Errorf("a bad --since: exit %d, %s", code, e)
	}

	out = must("audit", "verify")
	head := regexp.MustCompile(`head: (\d+:[0-9a-f]{64})`).FindStringSubmatch(out)
	if head == nil || !strings.Contains(out, "verified: 5 entries") {
		t.Fatalf("verify:\n%s", out)
	}
	if out := must("audit", "verify", "--expect-head", head[1]); !strings.Contains(out, "entry 5 is as recorded earlier") {
		t.Errorf("verify --expect-head:\n%s", out)
	}
	if _, e, code := run("audit", "verify", "--expect-head", "5:nothex"); code != 2 || !strings.Contains(e, "SEQ:HASH") {
		t.Errorf("a malformed head: exit %d, %s", code, e)
	}

	// Someone with the database file drops the trigger and rewrites who
	// approved.
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: io.Discard}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET actor = '王芳' WHERE seq = 1"} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out, e, code := run("audit", "verify")
	if code != 1 || !strings.Contains(e, "audit log broken at entry 1") || !strings.Contains(e, "edited") || !strings.Contains(out, "checked 0 entries") {
		t.Errorf("verify after an edit: exit %d\n%s%s", code, out, e)
	}
	out, _, code = run("audit", "verify", "--json")
	var res struct {
		OK   bool
		Kind string
		Seq  int64
	}
	if code != 1 || json.Unmarshal([]byte(out), &res) != nil || res.OK || res.Kind != "edited" || res.Seq != 1 {
		t.Errorf("verify --json after an edit: exit %d %s", code, out)
	}
}

// An export the audit log cannot record does not stay on disk, and a clear
// ID number it cannot record is not shown.
func TestCLIAuditUnrecorded(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, e, code := gridcast(t, dir, "seed", "--residents", "20", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", e)
	}
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: io.Discard}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	camp := campaigns.Campaign{Name: "电工招聘", Kind: campaigns.KindJobPosting, Segment: "age:0..", ChannelPolicy: campaigns.SMSOnly,
		Owner: "王芳", ScheduleAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	if err := st.CreateCampaign(context.Background(), &camp); err != nil {
		t.Fatal(err)
	}
	c := strconv.FormatInt(camp.ID, 10)
	// The log's table gone: every append fails.
	if _, err := st.DB().Exec("DROP TABLE audit_log"); err != nil {
		t.Fatal(err)
	}
	st.Close()

	path := filepath.Join(t.TempDir(), "signups.xlsx")
	_, e, code := gridcast(t, dir, "tickets", "answers", c, "--xlsx", path)
	if code == 0 || !strings.Contains(e, "could not record export campaign:"+c) || !strings.Contains(e, "was removed") {
		t.Errorf("an unrecorded export: exit %d, %s", code, e)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the unrecorded export is still on disk (%v)", err)
	}
	out, e, code := gridcast(t, dir, "residents", "unmask", "1", "--by", "李四", "--reason", "低保复核核对")
	if code == 0 || strings.TrimSpace(out) != "" || !strings.Contains(e, "not shown") {
		t.Errorf("an unrecorded unmasking: exit %d, printed %q, %s", code, out, e)
	}
}
