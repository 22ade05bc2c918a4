package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
)

// stderrOf is the stderr a test hands the command tree: w, which the test
// reads, and the suite's kept log (internal/testlog), which CI scans for
// personal data.
func stderrOf(w io.Writer) io.Writer { return io.MultiWriter(w, testlog.Writer()) }

// gridcast runs the binary's command tree in-process with dir as the data
// directory and returns stdout, stderr and the exit code.
func gridcast(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"GRIDCAST_DATA_DIR": dir}
	code := run(context.Background(), args, &out, stderrOf(&errb), envOf(env))
	return out.String(), errb.String(), code
}

func TestCLIStory(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()

	out, errOut, code := gridcast(t, dir, "seed", "--residents", "600", "--seed", "3", "--quiet")
	if code != 0 {
		t.Fatalf("seed exited %d: %s", code, errOut)
	}
	if !strings.Contains(out, "600 residents") {
		t.Errorf("seed output: %q", out)
	}

	out, errOut, code = gridcast(t, dir, "segment", "count", "category:elderly_alone OR category:empty_nest")
	if code != 0 {
		t.Fatalf("count exited %d: %s", code, errOut)
	}
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || n <= 0 || n >= 600 {
		t.Fatalf("count printed %q; want a number between 1 and 599", out)
	}
	all, _, _ := gridcast(t, dir, "segment", "count", "age:0..")
	if strings.TrimSpace(all) != "600" {
		t.Errorf("everyone = %q, want 600", all)
	}

	// A sample is masked: no 11-digit phone and no 18-character ID appears.
	out, errOut, code = gridcast(t, dir, "segment", "sample", "age:0..", "--n", "20", "--json")
	if code != 0 {
		t.Fatalf("sample exited %d: %s", code, errOut)
	}
	var sample []maskedResident
	if err := json.Unmarshal([]byte(out), &sample); err != nil || len(sample) != 20 {
		t.Fatalf("sample JSON: %v, %d residents", err, len(sample))
	}
	if regexp.MustCompile(`1[3-9][0-9]{9}|[0-9]{17}[0-9X]`).MatchString(out + errOut) {
		t.Errorf("sample shows clear personal data:\n%s", out)
	}

	// A bad expression exits 2 with the column and a caret.
	_, errOut, code = gridcast(t, dir, "segment", "count", "category:unemployed AND agee:3")
	if code != 2 || !strings.Contains(errOut, "column 25") || !strings.Contains(errOut, "^") {
		t.Errorf("bad expression: code %d, stderr %q", code, errOut)
	}

	// Saved segments are reusable by name.
	if _, errOut, code = gridcast(t, dir, "segment", "save", "olds", "age:>=60"); code != 0 {
		t.Fatalf("save: %s", errOut)
	}
	a, _, _ := gridcast(t, dir, "segment", "count", "segment:olds")
	b, _, _ := gridcast(t, dir, "segment", "count", "age:60..")
	if a != b || strings.TrimSpace(a) == "0" {
		t.Errorf("segment:olds = %q, age:60.. = %q", a, b)
	}

	// Unmask demands who and why, and then prints a valid ID number.
	if _, _, code = gridcast(t, dir, "residents", "unmask", "1"); code != 2 {
		t.Errorf("unmask without a reason exited %d, want 2", code)
	}
	out, errOut, code = gridcast(t, dir, "residents", "unmask", "1", "--by", "李四", "--reason", "低保复核核对")
	if code != 0 {
		t.Fatalf("unmask: %s", errOut)
	}
	if err := pii.IDNumber(strings.TrimSpace(out)).Validate(); err != nil {
		t.Errorf("unmask printed %q: %v", out, err)
	}
	if strings.Contains(errOut, strings.TrimSpace(out)) {
		t.Errorf("the audit log line holds the clear ID: %s", errOut)
	}
}

func TestCLIImport(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, errOut, code := gridcast(t, dir, "seed", "--residents", "50", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", errOut)
	}
	out, _, _ := gridcast(t, dir, "segment", "sample", "age:0..", "--n", "1", "--json")
	var one []maskedResident
	if err := json.Unmarshal([]byte(out), &one); err != nil || len(one) == 0 {
		t.Fatalf("sample: %v %q", err, out)
	}
	grid := one[0].Grid

	id1 := "11010519800101001"
	id1 += string(pii.CheckDigit(id1))
	id2 := "11010519900202002"
	id2 += string(pii.CheckDigit(id2))
	csv := "姓名,身份证号,手机号,网格,人员类别,技能\n" +
		"张三," + id1 + ",13812345678," + grid + ",失业登记,电工\n" +
		"李四," + id2 + ",1381234," + grid + ",unemployed,焊工\n" +
		"王五,110105199001010000,13912345678," + grid + ",unemployed,\n"
	path := filepath.Join(t.TempDir(), "residents.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := gridcast(t, dir, "import", "residents", path, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("import exited %d: %s", code, errOut)
	}
	var rep struct {
		Rows     int `json:"rows"`
		Skipped  int `json:"skipped"`
		Imported struct{ Inserted int }
		Errors   []struct{ Row int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if rep.Rows != 3 || rep.Skipped != 2 || len(rep.Errors) < 2 || rep.Errors[0].Row != 3 || rep.Errors[len(rep.Errors)-1].Row != 4 {
		t.Errorf("report = %+v", rep)
	}
	if strings.Contains(out, "1381234,") || strings.Contains(out, "110105199001010000") {
		t.Errorf("report shows clear values: %s", out)
	}
	// Strict mode writes nothing; the count stays at 51.
	if _, _, code := gridcast(t, dir, "import", "residents", path, "--strict", "--quiet"); code == 0 {
		t.Error("strict import with bad rows exited 0")
	}
	got, _, _ := gridcast(t, dir, "segment", "count", "age:0..")
	if strings.TrimSpace(got) != "51" {
		t.Errorf("residents after imports = %q, want 51", got)
	}
}

func TestCLIConfigCheckRedacts(t *testing.T) {
	t.Chdir(t.TempDir())
	out, errOut, code := gridcast(t, t.TempDir(), "config", "check")
	if code != 0 {
		t.Fatalf("config check: %s", errOut)
	}
	if strings.Contains(out, "sandbox-app-secret") || !strings.Contains(out, "REDACTED") {
		t.Errorf("secrets not redacted:\n%s", out)
	}
	if _, _, code := gridcast(t, t.TempDir(), "--config", "missing.yaml", "config", "check"); code == 0 {
		t.Error("a missing config file was accepted")
	}
}

// config check refuses what serve would refuse, naming the key, and warns
// about a variable that sets nothing.
func TestCLIConfigCheckIsServesValidation(t *testing.T) {
	t.Chdir(t.TempDir())
	check := func(file string, env map[string]string) (string, string, int) {
		t.Helper()
		if env == nil {
			env = map[string]string{}
		}
		env["GRIDCAST_DATA_DIR"] = t.TempDir()
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"--config", writeFile(t, file), "config", "check"}, &out, stderrOf(&errb), envOf(env))
		return out.String(), errb.String(), code
	}
	out, errOut, code := check("", map[string]string{"GRIDCAST_REDIS_ADRR": "10.0.0.9:6379"})
	if code != 0 || !strings.Contains(out, "# warning: GRIDCAST_REDIS_ADRR sets no configuration key") ||
		!strings.Contains(errOut, "GRIDCAST_REDIS_ADRR") {
		t.Errorf("a misspelt variable: code %d\nout:\n%s\nerr:\n%s", code, out, errOut)
	}
	for _, tt := range []struct{ file, want string }{
		{"redis:\n  db: three\n", "redis.db"},
		{"campaigns:\n  quiet_start: \"25:00\"\n", "campaigns.quiet_start"},
		{"queue:\n  send_timeout: -1s\n", "queue.send_timeout"},
		{"sandbox: false\naliyun_sms:\n  access_key_secret: s\nwechat:\n  app_secret: s\n", "wechat.app_id: wxsandbox0000000001 is the sandbox account"},
		{"aliyun_sms:\n  endpoint: https://dysmsapi.aliyuncs.com/\n", "aliyun_sms.endpoint"},
		{"sync:\n  sources:\n    - name: hr\n      driver: oracle\n", "sync.sources[0].driver"},
	} {
		_, errOut, code := check(tt.file, nil)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: code %d, want an error naming %q, got:\n%s", tt.file, code, tt.want, errOut)
		}
	}
}

func TestCLICampaignLifecycle(t *testing.T) {
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
		code := run(context.Background(), args, &out, stderrOf(&errb), envOf(env))
		return out.String(), errb.String(), code
	}
	if _, e, code := run("seed", "--residents", "3000", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", e)
	}
	// A campaign file with a mistake is refused, naming the problem.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nkind: job_posting\nsegmnt: age:18..\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, e, code := run("campaign", "create", "--file", bad); code != 2 || !strings.Contains(e, "segmnt") {
		t.Errorf("bad file: code %d, %s", code, e)
	}
	out, e, code := run("campaign", "create", "--file", example)
	if code != 0 || !strings.Contains(out, "created campaign 1") || strings.Contains(e, "warning") {
		t.Fatalf("create: %d %s %s", code, out, e)
	}
	// WeChat has not shown first and remark since 2023-05-04: a reply hint
	// only there is refused, naming the field; a greeting there is warned
	// about.
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	edited := func(name, from, to string) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), name)
		if !strings.Contains(string(data), from) {
			t.Fatalf("%s lacks %q", example, from)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), from, to, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hintInRemark := edited("remark.yaml", `keyword3: "{{reply_hint}}，回T退订"`, `remark: "{{reply_hint}}，回T退订"`)
	if _, e, code := run("campaign", "create", "--file", hintInRemark); code != 2 ||
		!strings.Contains(e, "wechat.fields[remark]: the reply hint and the opt-out hint are only here") {
		t.Errorf("reply hint in remark: code %d, %s", code, e)
	}
	greeting := edited("first.yaml", "  fields:\n", "  fields:\n    first: \"{{resident.surname_title}}您好\"\n")
	if out, e, code := run("campaign", "create", "--file", greeting); code != 0 || !strings.Contains(out, "created campaign 2") ||
		!strings.Contains(e, "warning: wechat.fields[first]: WeChat has not shown first since 2023-05-04") {
		t.Errorf("greeting in first: code %d, %s %s", code, out, e)
	}
	// The visit-schedule example is valid too.
	visit, err := filepath.Abs(filepath.Join(filepath.Dir(example), "visit-schedule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if out, e, code := run("campaign", "create", "--file", visit); code != 0 || !strings.Contains(out, "created campaign 3") || strings.Contains(e, "warning") {
		t.Errorf("visit example: %d %s %s", code, out, e)
	}
	// Before the templates are synced the campaign cannot be scheduled.
	if _, e, code := run("campaign", "send", "1", "--by", "王芳"); code == 0 || !strings.Contains(e, "the templates do not fit it") || !strings.Contains(e, "SMS_GRID_JOB") {
		t.Errorf("send without templates: %d %s", code, e)
	}
	if out, e, code := run("templates", "sync"); code != 0 || !strings.Contains(out, "SMS") {
		t.Fatalf("templates sync: %d %s %s", code, out, e)
	}
	out, _, code = run("campaign", "preview", "1", "--n", "20")
	if code != 0 || !strings.Contains(out, "audience") || regexp.MustCompile(`1[3-9][0-9]{9}`).MatchString(out) {
		t.Errorf("preview: %d\n%s", code, out)
	}
	// The preview shows what a phone shows: the keyword fields, with the
	// reply hint.
	if !regexp.MustCompile(`wechat → \S+: 通知内容：青岛港机电招电工焊工各10名，月薪6千起 / 网格员：\S+ 1\d\d\*{4}\d{4} / 回复方式：回复1报名，回复2咨询，回T退订\n`).MatchString(out) {
		t.Errorf("preview shows no WeChat message as the phone shows it:\n%s", out)
	}
	if out, _, _ := run("campaign", "preview", "2", "--n", "1"); !strings.Contains(out, "warning: wechat.fields[first]") {
		t.Errorf("preview of a campaign with first shows no warning:\n%s", out)
	}
	// Maker-checker: above the threshold the owner cannot send, nor approve.
	if _, e, code := run("campaign", "send", "1", "--by", "王芳"); code == 0 || !strings.Contains(e, "approv") {
		t.Errorf("send before approval: %d %s", code, e)
	}
	if _, e, code := run("campaign", "approve", "1", "--by", "王芳"); code == 0 {
		t.Errorf("self-approval accepted: %s", e)
	}
	// A checker may send it back first, saying why; the comment is needed.
	if _, e, code := run("campaign", "refuse", "1", "--by", "李强"); code != 2 || !strings.Contains(e, "--comment") {
		t.Errorf("refuse without a comment: %d %s", code, e)
	}
	if out, e, code := run("campaign", "refuse", "1", "--by", "李强", "--comment", "请写明工作地点"); code != 0 ||
		!strings.Contains(out, "sent back to 王芳 by 李强: 请写明工作地点") {
		t.Fatalf("refuse: %d %s %s", code, out, e)
	}
	if _, e, code := run("campaign", "approve", "1", "--by", "李强"); code != 0 {
		t.Fatalf("approve: %s", e)
	}
	if out, e, code := run("campaign", "send", "1", "--by", "王芳"); code != 0 || !strings.Contains(out, "draft → scheduled") {
		t.Fatalf("send: %d %s %s", code, out, e)
	}
	if _, _, code := run("campaign", "resume", "1", "--by", "王芳"); code == 0 {
		t.Error("resume of a scheduled campaign accepted")
	}
	if out, e, code := run("campaign", "cancel", "1", "--by", "王芳"); code != 0 || !strings.Contains(out, "cancelled") {
		t.Errorf("cancel: %d %s %s", code, out, e)
	}
	if out, _, code := run("campaign", "status", "1"); code != 0 || !strings.Contains(out, "cancelled") {
		t.Errorf("status: %d %s", code, out)
	}
}
