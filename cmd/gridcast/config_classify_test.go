package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/tickets"
)

const classifyYAML = `
tickets:
  classify:
    rules:
      employment:
        words: "家政:3 保洁:2"
        drop: [毕业]
      dog_licence:
        label: 养犬登记
        words:
          - 狗证:3
          - {word: 犬证, weight: 3}
          - 养犬
        not: [热狗]
  levels:
    dog_licence: community
  sla:
    deadlines:
      dog_licence: 72h
`

// Configured words change what a message is filed under: words added to
// a built-in category, a built-in word dropped, a category of the city's
// own with its label, which the other per-category keys then accept.
func TestClassifyConfig(t *testing.T) {
	t.Parallel()
	cfg, _, err := loadConfig(writeFile(t, classifyYAML), envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := cfg.deskConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	cls := dc.Tickets.Classifier
	for _, tc := range []struct {
		text          string
		before, after tickets.Category
	}{
		{"想找个家政保洁的活", tickets.CategoryOther, tickets.CategoryEmployment},
		{"想给家里的狗办个狗证，去哪办", tickets.CategoryOther, "dog_licence"},
		{"社区有招聘会吗", tickets.CategoryEmployment, tickets.CategoryEmployment}, // built-in words stay
	} {
		if got := tickets.Classify(tc.text).Category; got != tc.before {
			t.Errorf("%q with the built-in words: %s, want %s", tc.text, got, tc.before)
		}
		if got := cls.Classify(tc.text).Category; got != tc.after {
			t.Errorf("%q with the configured words: %s, want %s", tc.text, got, tc.after)
		}
	}
	emp := cls.Rules[0]
	if emp.Category != tickets.CategoryEmployment || emp.Weights["家政"] != 3 || emp.Weights["招聘"] != 3 || strings.Contains(strings.Join(emp.Words, " "), "毕业") {
		t.Errorf("employment rule %+v: want 家政:3 added, 招聘:3 kept, 毕业 dropped", emp)
	}
	if got := cls.Label("dog_licence"); got != "养犬登记" {
		t.Errorf("label %q", got)
	}
	if dog := cls.Rules[len(cls.Rules)-1]; dog.Category != "dog_licence" || !cmp.Equal(dog.Not, []string{"热狗"}) || dog.Weights["犬证"] != 3 || dog.Weights["养犬"] != 1 {
		t.Errorf("dog_licence rule %+v", dog)
	}
	if dc.Tickets.Levels.For("dog_licence") != tickets.LevelCommunity || dc.Tickets.SLA.Deadline("dog_licence").Hours() != 72 {
		t.Error("levels and sla.deadlines do not take the new category")
	}
	if def := strings.Join(tickets.DefaultRules[0].Words, " "); !strings.Contains(def, "毕业") || strings.Contains(def, "家政") {
		t.Error("configuring the words changed tickets.DefaultRules")
	}
}

// Mode replace keeps only the configured words.
func TestClassifyConfigReplace(t *testing.T) {
	t.Parallel()
	cfg, _, err := loadConfig(writeFile(t, "tickets:\n  classify:\n    min_score: 3\n    rules:\n      schooling:\n        mode: replace\n        words: [学位房:3]\n"), envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := cfg.deskConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	cls := dc.Tickets.Classifier
	got := []any{cls.Classify("孩子想转学").Category, cls.Classify("学位房怎么分").Category, cls.MinScore}
	if diff := cmp.Diff([]any{tickets.CategoryOther, tickets.CategorySchooling, 3}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Every mistake in the words is named by its key, all at once.
func TestClassifyConfigErrors(t *testing.T) {
	t.Parallel()
	_, _, err := loadConfig(writeFile(t, `
tickets:
  classify:
    min_score: -1
    rules:
      employmnt:
        words: "家政:3"
      employment:
        mode: merge
        words: "家政:x 保洁:0 :3"
        drop: [不存在]
        not: [""]
      other:
        words: 啊
      Pets:
        label: 宠物
        words: 狗
      pets:
        label: 就业
        words: 狗
      heating_gas:
        label: 暖气
        mode: replace
  levels:
    parking: community
`), envOf(nil).lookup)
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{
		"tickets.classify.min_score: -1",
		"tickets.classify.rules[employmnt]: unknown category",
		`tickets.classify.rules[employment].mode: "merge"`,
		`tickets.classify.rules[employment].words[0]: "家政:x": weight "x"`,
		`tickets.classify.rules[employment].words[1]: "保洁:0"`,
		`tickets.classify.rules[employment].words[2]: ":3": empty word`,
		`tickets.classify.rules[employment].drop[0]: "不存在"`,
		"tickets.classify.rules[employment].not[0]: empty phrase",
		"tickets.classify.rules[other]: 其他",
		"tickets.classify.rules[Pets]: a new category's identifier",
		`tickets.classify.rules[pets].label: "就业" is the name of employment`,
		"tickets.classify.rules[heating_gas].label: heating_gas is built in",
		"tickets.classify.rules[heating_gas].words: at least one",
		"tickets.levels[parking]: unknown category",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "tickets.tickets") {
		t.Errorf("a problem is said twice:\n%v", err)
	}
	_, _, err = loadConfig(writeFile(t, "tickets:\n  classify:\n    rules:\n      employment:\n        words: [{word: 家政, wieght: 3}]\n"), envOf(nil).lookup)
	if err == nil || !strings.Contains(err.Error(), "wieght") {
		t.Errorf("a misspelt field of a word: %v", err)
	}
}

// gridcast tickets classify shows the category, the score and the matched
// words with the configured words, and the other categories' scores.
func TestCLITicketsClassify(t *testing.T) {
	t.Parallel()
	p := writeFile(t, classifyYAML)
	run1 := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"--config", p}, args...), &out, stderrOf(&errb), envOf(map[string]string{"GRIDCAST_DATA_DIR": t.TempDir()}))
		return out.String(), errb.String(), code
	}
	out, errOut, code := run1("tickets", "classify", "想找个家政保洁的活，", "毕业两年了")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"category: employment 就业", "score:    5 (min_score 2)", "matched:  家政:3 保洁:2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
	out, _, _ = run1("tickets", "classify", "办狗证")
	if !strings.Contains(out, "category: dog_licence 养犬登记") {
		t.Errorf("new category:\n%s", out)
	}
	out, _, _ = run1("tickets", "classify", "楼下那家")
	if !strings.Contains(out, "category: other 其他") || !strings.Contains(out, "why:") || !strings.Contains(out, "disputes") {
		t.Errorf("below min_score:\n%s", out)
	}
	_, errOut, code = run1("tickets", "classify", "x", "--hint", "parking")
	if code != 2 || !strings.Contains(errOut, "--hint") {
		t.Errorf("unknown hint: exit %d, %s", code, errOut)
	}
}
