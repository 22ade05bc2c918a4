package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gridcast departments lists the departments with the categories
// suggested for each: the defaults, then a city's own departments and
// routes, a category of its own included; a route naming an unknown
// department or category stops the configuration with the key named.
func TestCLIDepartments(t *testing.T) {
	t.Parallel()
	cli := func(config string, args ...string) (string, string, int) {
		t.Helper()
		if config != "" {
			args = append([]string{"--config", writeFile(t, config)}, args...)
		}
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, stderrOf(&errb), envOf(map[string]string{"GRIDCAST_DATA_DIR": t.TempDir()}))
		return out.String(), errb.String(), code
	}
	out, errOut, code := cli("", "departments")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"chengguan", "environment 环境卫生, city_management 城市管理", "gas", "heating_gas 供暖/燃气", "utilities"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = cli("", "departments", "--category", "社保医保")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "medical_insurance") || !strings.HasPrefix(lines[2], "hrss") {
		t.Errorf("--category 社保医保:\n%s", out)
	}
	if out, _, _ = cli("", "departments", "--category", "disputes"); !strings.Contains(out, "no department suggested") {
		t.Errorf("--category disputes:\n%s", out)
	}

	own := `
departments:
  - {code: chengguan, name: 城管}
  - {code: market, name: 市场监管}
  - {code: animal, name: 畜牧兽医}
departments_by_category:
  complaints: [market]
  environment: []
  dog_licence: [animal]
tickets:
  classify:
    rules:
      dog_licence: {label: 养犬登记, words: "狗证:3"}
`
	out, errOut, code = cli(own, "departments", "--json")
	var got []departmentView
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	want := []departmentView{
		{Code: "chengguan", Name: "城管", Categories: []categoryView{{"city_management", "城市管理"}}},
		{Code: "market", Name: "市场监管", Categories: []categoryView{{"complaints", "投诉举报"}}},
		{Code: "animal", Name: "畜牧兽医", Categories: []categoryView{{"dog_licence", "养犬登记"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	_, errOut, code = cli("departments_by_category:\n  parking: [chengguan]\n  safety: [firemen, fire, fire]\n", "departments")
	for _, w := range []string{"departments_by_category.parking: unknown category", `departments_by_category.safety[0]: "firemen" is no department`,
		`departments_by_category.safety[2]: "fire" is listed twice`} {
		if code == 0 || !strings.Contains(errOut, w) {
			t.Errorf("exit %d, stderr does not say %q:\n%s", code, w, errOut)
		}
	}
}
