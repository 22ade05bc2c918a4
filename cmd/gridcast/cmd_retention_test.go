package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// cliStore opens the store the CLI uses with data directory dir, for a
// test to write what the CLI then reads.
func cliStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: io.Discard}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// gridcastEnv is gridcast with more of the environment set.
func gridcastEnv(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, envOf(env))
	return out.String(), errb.String(), code
}

// sentAnswer writes an SMS answer to r created at at, and records it sent.
func sentAnswer(t *testing.T, st *store.Store, r population.Resident, text string, at time.Time) outbound.Message {
	t.Helper()
	ctx := t.Context()
	m, _, err := st.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeConfirm, ResidentID: r.ID,
		Route: outbound.RouteSMS, To: string(r.Phone), Text: text, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.ClaimMessage(ctx, m.ID, at); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := st.AdvanceMessage(ctx, m.ID, outbound.StatusSent, outbound.Update{ProviderID: outbound.SMSProviderID("biz", string(r.Phone)), At: at}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	return m
}

// clearData matches an 11-digit mobile number or an 18-character ID number.
var clearData = regexp.MustCompile(`1[3-9][0-9]{9}|[0-9]{17}[0-9X]`)

// `residents erase`: the resident becomes a pseudonym, what they were
// sent is cleared, a second erasure changes nothing, and an import of the
// same person refuses them.
func TestCLIErase(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, e, code := gridcast(t, dir, "seed", "--residents", "30", "--seed", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", e)
	}
	idNumber, e, code := gridcast(t, dir, "residents", "unmask", "1", "--by", "王芳", "--reason", "导入核对")
	if code != 0 {
		t.Fatalf("unmask: %s", e)
	}
	idNumber = strings.TrimSpace(idNumber)
	st := cliStore(t, dir)
	rs, err := st.Residents(t.Context(), []int64{1})
	if err != nil || rs[1].ID != 1 {
		t.Fatal(rs, err)
	}
	r := rs[1]
	sentAnswer(t, st, r, "您已报名电工培训", time.Now())
	before, _, _ := gridcast(t, dir, "segment", "count", "age:0..")

	for _, bad := range [][]string{
		{"residents", "erase", "1"},
		{"residents", "erase", "1", "--by", "王芳"},
		{"residents", "erase", "1", "--by", "王芳", "--reason", "删"},
		{"residents", "erase", "x", "--by", "王芳", "--reason", "依申请删除"},
	} {
		if _, e, code := gridcast(t, dir, bad...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", bad, code, e)
		}
	}
	if _, e, code := gridcast(t, dir, "residents", "erase", "9999", "--by", "王芳", "--reason", "依申请删除"); code != 1 || !strings.Contains(e, "resident 9999 not found") {
		t.Errorf("erase of a missing resident: exit %d, %q", code, e)
	}
	if again, _ := st.Residents(t.Context(), []int64{1}); again[1].Phone != r.Phone {
		t.Fatalf("a refused erasure changed the resident")
	}

	out, e, code := gridcast(t, dir, "residents", "erase", "1", "--by", "王芳", "--reason", "依申请删除 2026-031")
	if code != 0 {
		t.Fatalf("erase: exit %d: %s", code, e)
	}
	for _, want := range []string{"resident 1 erased on request: now " + retention.PseudonymPrefix, "messages cleared 1", "kept:"} {
		if !strings.Contains(out, want) {
			t.Errorf("erase printed %q; want %q", out, want)
		}
	}
	if clearData.MatchString(out + e) {
		t.Errorf("erase shows clear personal data:\n%s%s", out, e)
	}
	out, _, _ = gridcast(t, dir, "residents", "messages", "1", "--json")
	var hist []residentMessage
	if err := json.Unmarshal([]byte(out), &hist); err != nil || len(hist) != 1 || hist[0].Text != "" || hist[0].Status != "sent" {
		t.Errorf("residents messages after the erasure: %s (%v); want the one answer, sent, without its text", out, err)
	}
	if after, _, _ := gridcast(t, dir, "segment", "count", "age:0.."); strings.TrimSpace(after) == strings.TrimSpace(before) {
		t.Errorf("everyone = %s both before and after the erasure; want one fewer", strings.TrimSpace(after))
	}
	out, e, code = gridcast(t, dir, "residents", "erase", "1", "--by", "李强", "--reason", "重复的申请")
	if code != 0 || !strings.Contains(out, "already erased") || !strings.Contains(out, "by 王芳") {
		t.Errorf("second erase: exit %d, %q %q; want the first erasure named", code, out, e)
	}
	// The erasure is on the audit log once, with its reason; the second
	// request, which changed nothing, is not.
	out, _, _ = gridcast(t, dir, "audit", "list", "--action", "resident.erase", "--json")
	if strings.Count(out, `"resident.erase"`) != 1 || !strings.Contains(out, "依申请删除 2026-031") || !strings.Contains(out, `"resident:1"`) {
		t.Errorf("audit log of the erasure: %s", out)
	}
	if _, e, code := gridcast(t, dir, "residents", "unmask", "1", "--by", "王芳", "--reason", "导入核对"); code != 1 || !strings.Contains(e, "erased on request") {
		t.Errorf("unmask of an erased resident: exit %d, %q", code, e)
	}

	// The population office's next file still lists them.
	csv := filepath.Join(t.TempDir(), "residents.csv")
	body := "姓名,身份证号,手机号,网格\n" + string(r.Name) + "," + idNumber + "," + string(r.Phone) + "," + r.GridCode + "\n"
	if err := os.WriteFile(csv, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, e, code = gridcast(t, dir, "import", "residents", csv)
	if code != 0 || !regexp.MustCompile(`erased on request \(not re-added\)\s+1`).MatchString(out) ||
		!regexp.MustCompile(`inserted\s+0`).MatchString(out) {
		t.Errorf("import of the erased resident: exit %d\n%s%s", code, out, e)
	}
	if again, _ := st.Residents(t.Context(), []int64{1}); !strings.HasPrefix(string(again[1].Name), retention.PseudonymPrefix) || again[1].Phone != "" {
		t.Errorf("after the import resident 1 reads %+v; want still erased", again[1])
	}
}

// `retention run`: a dry run counts, a run clears what is older than the
// age and nothing younger, a second run finds nothing, and a disabled
// retention refuses all but a dry run.
func TestCLIRetentionRun(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, e, code := gridcast(t, dir, "seed", "--residents", "10", "--seed", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", e)
	}
	st := cliStore(t, dir)
	ctx := t.Context()
	rs, err := st.Residents(ctx, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old := sentAnswer(t, st, rs[1], "您已报名电工培训", now.AddDate(0, 0, -200))
	young := sentAnswer(t, st, rs[2], "您已报名焊工培训", now.AddDate(0, 0, -10))
	in, _, err := st.RecordInbound(ctx, tickets.InboundRecord{Channel: "sms", ProviderMsgID: "up-1", FromKey: string(rs[1].Phone),
		ResidentID: 1, Content: "我想报名", ReceivedAt: now.AddDate(0, 0, -190), Intent: tickets.IntentQuestion})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GRIDCAST_DATA_DIR": dir}
	count := regexp.MustCompile(`(?m)^outbound messages.*\(180 days\)\s+1$`)

	out, e, code := gridcastEnv(t, env, "retention", "run", "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run: nothing was changed") || !count.MatchString(out) {
		t.Errorf("dry run: exit %d\n%s%s", code, out, e)
	}
	if m, _ := st.Message(ctx, old.ID); m.Text == "" {
		t.Error("the dry run cleared the old answer")
	}
	env["GRIDCAST_RETENTION_ENABLED"] = "false"
	if _, e, code := gridcastEnv(t, env, "retention", "run"); code != 1 || !strings.Contains(e, "retention is disabled") {
		t.Errorf("run while disabled: exit %d, %q; want a refusal", code, e)
	}
	if out, e, code := gridcastEnv(t, env, "retention", "run", "--dry-run"); code != 0 || !count.MatchString(out) {
		t.Errorf("dry run while disabled: exit %d\n%s%s", code, out, e)
	}
	delete(env, "GRIDCAST_RETENTION_ENABLED")

	out, e, code = gridcastEnv(t, env, "retention", "run", "--json")
	var rep retentionReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Counts != (retention.Counts{Messages: 1, Inbound: 1}) ||
		rep.DryRun || rep.MessagesBefore == nil {
		t.Errorf("run: exit %d, %q %q; want one message and one reply cleared", code, out, e)
	}
	if m, _ := st.Message(ctx, old.ID); m.Text != "" || m.To != "" || m.Status != outbound.StatusSent {
		t.Errorf("the 200-day-old answer after the run: text %q, to %q, %s", m.Text, m.To, m.Status)
	}
	if m, _ := st.Message(ctx, young.ID); m.Text != "您已报名焊工培训" {
		t.Errorf("the 10-day-old answer after the run: text %q; want it kept", m.Text)
	}
	if got, _ := st.InboundByID(ctx, in); got.Content != "" {
		t.Errorf("the 190-day-old reply after the run: %q; want it cleared", got.Content)
	}
	out, _, _ = gridcastEnv(t, env, "retention", "run", "--json")
	if json.Unmarshal([]byte(out), &rep) != nil || rep.Counts.Total() != 0 {
		t.Errorf("second run: %s; want nothing cleared", out)
	}
}

// The retention section's ages: defaults, 0 keeps, and what is refused
// names its key.
func TestRetentionConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, _, err := loadConfig("", envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := retention.Config{Enabled: true, MessageText: 180 * 24 * time.Hour, Inbound: 180 * 24 * time.Hour}
	if got := cfg.retentionConfig(); got != want || cfg.queueConfig().Retention != want {
		t.Errorf("default retention = %+v (queue %+v), want %+v", got, cfg.queueConfig().Retention, want)
	}
	p := writeFile(t, "retention:\n  message_text: 0s\n  inbound: 720h\n")
	cfg, _, err = loadConfig(p, envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.retentionConfig(); got != (retention.Config{Enabled: true, Inbound: 720 * time.Hour}) {
		t.Errorf("message_text 0, inbound 720h = %+v; want message texts kept, the rest as given", got)
	}
	for _, tc := range []struct {
		body string
		env  map[string]string
		want string
	}{
		{"retention:\n  message_text: -24h\n", nil, "retention.message_text: -24h0m0s: must not be negative"},
		{"retention:\n  inbound: 1h\n", nil, "retention.inbound: 1h0m0s: want at least 24h0m0s"},
		{"", map[string]string{"GRIDCAST_RETENTION_BATCH": "5"}, "retention.batch: 5"},
		{"retention:\n  media: 24h\n", nil, "media"},
	} {
		p := writeFile(t, tc.body)
		_, _, err := loadConfig(p, envOf(tc.env).lookup)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %v: %v; want an error saying %q", tc.body, tc.env, err, tc.want)
		}
	}
}
