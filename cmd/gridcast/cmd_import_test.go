package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/pii"
)

// An import refuses over-long values and unknown codes row by row; --strict
// writes nothing and prints the same report, then exits 1.
func TestCLIImportRefusesByRow(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, errOut, code := gridcast(t, dir, "seed", "--residents", "50", "--seed", "7", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", errOut)
	}
	out, _, _ := gridcast(t, dir, "segment", "sample", "age:0..", "--n", "1", "--json")
	var one []maskedResident
	if err := json.Unmarshal([]byte(out), &one); err != nil || len(one) == 0 {
		t.Fatalf("sample: %v %q", err, out)
	}
	grid := one[0].Grid

	id := func(first17 string) string { return first17 + string(pii.CheckDigit(first17)) }
	csv := "姓名,身份证号,手机号,网格,人员类别,技能\n" +
		"张三," + id("11010519800101001") + ",13812345678," + grid + ",失业登记,电工\n" + // 2
		strings.Repeat("张", 1_000_000) + "," + id("11010519800101003") + ",13812345679," + grid + ",,\n" + // 3
		"王五," + id("11010519800101005") + ",13812345670," + grid + ",," + strings.Repeat("焊", 200_000) + "\n" + // 4
		"赵六," + id("11010519800101007") + ",13812345671," + grid + ",unemploed,\n" + // 5: a typo
		"钱七," + id("11010519800101009") + ",13812345672," + grid + "9,,\n" + // 6: no such grid
		"李四," + id("11010519900202002") + ",13912345678," + grid + ",unemployed,焊工\n" // 7
	path := filepath.Join(t.TempDir(), "residents.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	badRows := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^3\s+姓名\s+too long: 1000000 characters, at most 50$`),
		regexp.MustCompile(`(?m)^4\s+技能\s+too long: 200000 characters, at most 600$`),
		regexp.MustCompile(`(?m)^5\s+人员类别\s+unknown category "unemploed"; accepted: unemployed \(失业登记\), .*new_resident \(新居民\)$`),
		regexp.MustCompile(`(?m)^6\s+网格\s+unknown grid code "` + regexp.QuoteMeta(grid) + `9"; nearest known: ` + regexp.QuoteMeta(grid) + `\b`),
	}
	check := func(how, out, errOut string) {
		t.Helper()
		for _, re := range badRows {
			if !re.MatchString(out) {
				t.Errorf("%s: the report lacks %s:\n%s", how, re, out)
			}
		}
		if len(out) > 4096 {
			t.Errorf("%s: %d bytes of report; want the long values left out", how, len(out))
		}
		if fs, _ := pii.Scan(strings.NewReader(out + errOut)); len(fs) > 0 {
			t.Errorf("%s: personal data in clear: %v", how, fs)
		}
	}
	count := func() string {
		t.Helper()
		n, _, _ := gridcast(t, dir, "segment", "count", "age:0..")
		return strings.TrimSpace(n)
	}

	// --strict: the report of every bad row, nothing written, exit 1.
	out, errOut, code := gridcast(t, dir, "import", "residents", path, "--strict", "--quiet")
	if code != 1 || !strings.Contains(errOut, "nothing imported (strict mode)") {
		t.Errorf("strict import: exit %d, stderr %q; want 1 and nothing imported", code, errOut)
	}
	check("strict", out, errOut)
	if !regexp.MustCompile(`(?m)^inserted\s+0$`).MatchString(out) {
		t.Errorf("strict import's counts:\n%s", out)
	}
	if n := count(); n != "50" {
		t.Errorf("residents after the strict import = %s, want 50", n)
	}
	strictTable := out

	out, _, code = gridcast(t, dir, "import", "residents", path, "--strict", "--quiet", "--json")
	var rep struct {
		Errors []struct {
			Row    int    `json:"row"`
			Column string `json:"column"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 1 || err != nil || len(rep.Errors) != 4 || rep.Errors[3].Row != 6 {
		t.Errorf("strict --json: exit %d, %v, %+v", code, err, rep)
	}

	// Without --strict: the same rows refused, the good ones imported.
	out, errOut, code = gridcast(t, dir, "import", "residents", path, "--quiet")
	if code != 0 {
		t.Fatalf("import exited %d: %s", code, errOut)
	}
	check("lenient", out, errOut)
	if !regexp.MustCompile(`(?m)^inserted\s+2$`).MatchString(out) || !regexp.MustCompile(`(?m)^skipped \(errors\)\s+4$`).MatchString(out) {
		t.Errorf("import's counts:\n%s", out)
	}
	problems := func(table string) string { _, p, _ := strings.Cut(table, "PROBLEM"); return p }
	if problems(out) != problems(strictTable) {
		t.Errorf("the strict run's rows differ from the lenient run's:\nstrict:%s\nlenient:%s", problems(strictTable), problems(out))
	}
	if n := count(); n != "52" {
		t.Errorf("residents after the import = %s, want 52", n)
	}

	// A category of the city's own is accepted when named; a malformed one
	// is a usage error.
	if _, errOut, code := gridcast(t, dir, "import", "residents", path, "--extra-category", "退休", "--quiet"); code != 2 || !strings.Contains(errOut, "--extra-category") {
		t.Errorf("malformed --extra-category: exit %d, %q; want 2 naming the flag", code, errOut)
	}
	out, _, _ = gridcast(t, dir, "import", "residents", path, "--extra-category", "unemploed", "--quiet")
	if !regexp.MustCompile(`(?m)^inserted\s+1$`).MatchString(out) {
		t.Errorf("with --extra-category unemploed, row 5 should be imported:\n%s", out)
	}
}
