package tickets_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want tickets.Classification
	}{
		{"请问最近有没有招聘保安的岗位？我失业半年了", tickets.Classification{Category: tickets.CategoryEmployment, Matched: []string{"招聘", "岗位", "失业"}, Score: 7}},
		{"家里老人独居，想申请助餐服务", tickets.Classification{Category: tickets.CategoryElderlyCare, Matched: []string{"老人", "独居", "助餐"}, Score: 8}},
		// 入学 and 孩子 outweigh 户口.
		{"孩子明年入学，户口不在本地怎么办", tickets.Classification{Category: tickets.CategorySchooling, Matched: []string{"入学", "孩子"}, Score: 4}},
		// Noise is a matter between neighbours now, not the environment.
		{"投诉楼上噪音", tickets.Classification{Category: tickets.CategoryDisputes, Matched: []string{"噪音", "楼上"}, Score: 5}},
		// A leak is the property's.
		{"卫生间漏水，渗到楼下去了", tickets.Classification{Category: tickets.CategoryProperty, Matched: []string{"漏水", "卫生间", "渗", "漏"}, Score: 6}},
		// 工作人员 is masked out for employment; a complaint needs someone
		// of the staff named.
		{"社区工作人员态度差，我要投诉", tickets.Classification{Category: tickets.CategoryStaffComplaint, Matched: []string{"态度", "投诉"}, Score: 5}},
		{"举报有人冒充社区工作人员上门收费", tickets.Classification{Category: tickets.CategoryComplaints, Matched: []string{"举报", "冒充"}, Score: 5}},
		// One passing word is too little to decide.
		{"楼下", tickets.Classification{Category: tickets.CategoryOther}},
		{"你好", tickets.Classification{Category: tickets.CategoryOther}},
		{"", tickets.Classification{Category: tickets.CategoryOther}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tickets.Classify(tt.text)); diff != "" {
				t.Errorf("Classify(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestClassifyHint(t *testing.T) {
	t.Parallel()
	c := tickets.Classifier{Rules: []tickets.Rule{
		{Category: tickets.CategoryEmployment, Words: []string{"培训"}, Weights: map[string]int{"培训": 2}},
		{Category: tickets.CategoryElderlyCare, Words: []string{"老人"}, Weights: map[string]int{"老人": 2}},
	}}
	// A tie between two categories goes to a person…
	if got := c.Classify("老人培训"); got.Category != tickets.CategoryOther {
		t.Errorf("tie: %s, want other", got.Category)
	}
	// …unless the message answers a campaign about one of them.
	if got := c.ClassifyHint("老人培训", tickets.CategoryElderlyCare); got.Category != tickets.CategoryElderlyCare || got.Score != 3 {
		t.Errorf("hinted tie: %+v, want elderly_care scoring 3", got)
	}
	// The hint alone decides nothing.
	if got := c.ClassifyHint("好的", tickets.CategoryElderlyCare); got.Category != tickets.CategoryOther {
		t.Errorf("hint alone: %s, want other", got.Category)
	}
}

func TestClassifierConfigured(t *testing.T) {
	t.Parallel()
	c := tickets.Classifier{Rules: []tickets.Rule{
		{Category: "parking", Words: []string{"停车", "车位"}},
		{Category: tickets.CategoryEnvironment, Words: []string{"噪音"}},
	}}
	got := c.Classify("车位被占，晚上停车噪音大")
	want := tickets.Classification{Category: "parking", Matched: []string{"停车", "车位"}, Score: 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := (tickets.Classifier{Rules: []tickets.Rule{}}).Classify("噪音"); got.Category != tickets.CategoryOther {
		t.Errorf("empty rules: %s, want other", got.Category)
	}
	err := tickets.Classifier{Rules: []tickets.Rule{{Words: []string{""}, Weights: map[string]int{"x": 0}}}, MinScore: -1}.Validate()
	want2 := "tickets: classification rules\nrules[0].category: required\nrules[0].words[0]: blank\n" +
		"rules[0].weights[x]: 0: want 1 or more\nrules[0].weights[x]: not one of the rule's words\nmin_score: -1: want zero (the default) or more"
	if err == nil || err.Error() != want2 {
		t.Errorf("Validate() = %v, want %s", err, want2)
	}
	if err := (tickets.Classifier{Rules: tickets.DefaultRules}).Validate(); err != nil {
		t.Errorf("DefaultRules: %v", err)
	}
}

func TestParseCategory(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]tickets.Category{
		"heating_gas": tickets.CategoryHeatingGas, "供暖/燃气": tickets.CategoryHeatingGas,
		"disputes": tickets.CategoryDisputes, "矛盾纠纷": tickets.CategoryDisputes, "邻里纠纷/噪音": tickets.CategoryDisputes,
		" staff_complaint ": tickets.CategoryStaffComplaint,
	} {
		if got, err := tickets.ParseCategory(in); err != nil || got != want {
			t.Errorf("ParseCategory(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := tickets.ParseCategory("parking"); err == nil || !strings.Contains(err.Error(), "heating_gas") {
		t.Errorf("unknown category: %v, want an error listing the categories", err)
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	var def tickets.Routing
	for c, want := range map[tickets.Category]tickets.Level{
		tickets.CategoryStaffComplaint: tickets.LevelCommunity, tickets.CategorySafety: tickets.LevelGridLeader,
		tickets.CategoryEnvironment: tickets.LevelGridWorker, "parking": tickets.LevelGridWorker,
	} {
		if got := def.For(c); got != want {
			t.Errorf("For(%s) = %s, want %s", c, got, want)
		}
	}
	if err := (tickets.Routing{tickets.CategoryProperty: "boss"}).Validate(); err == nil || !strings.Contains(err.Error(), "levels[property]") {
		t.Errorf("Validate: %v, want levels[property] named", err)
	}
}

func TestQuickReplies(t *testing.T) {
	w := population.Worker{Name: "王芳", Phone: "13812345678"}
	def := tickets.QuickReplies(nil)
	env := def.For(tickets.CategoryEnvironment)
	if len(env) != len(tickets.DefaultQuickReplies[tickets.CategoryEnvironment])+len(tickets.DefaultQuickReplies[tickets.CategoryOther]) {
		t.Errorf("environment: %q, want its own then the generic ones", env)
	}
	last, err := def.Render(tickets.CategoryEnvironment, len(env), w)
	if err != nil || !strings.Contains(last, "王芳") || !strings.Contains(last, "13812345678") {
		t.Errorf("last environment reply %q, %v: want the worker filled in", last, err)
	}
	if _, err := def.Render(tickets.CategoryEnvironment, len(env)+1, w); err == nil {
		t.Error("a reply past the list was rendered")
	}
	custom := tickets.QuickReplies{tickets.CategoryEnvironment: {"已派保洁"}, tickets.CategoryOther: {}}
	if got := custom.For(tickets.CategoryEnvironment); len(got) != 1 || got[0] != "已派保洁" {
		t.Errorf("configured: %q", got)
	}
	if err := (tickets.QuickReplies{tickets.CategoryOther: {" ", "{{resident.name}}"}}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "blank") || !strings.Contains(err.Error(), "unknown placeholder") {
		t.Errorf("Validate: %v", err)
	}
}

func TestTriage(t *testing.T) {
	t.Parallel()
	var p tickets.Triage
	for text, want := range map[string]string{
		"厨房里一股天然气味": "119", "楼道里着火了": "119", "我家老人走丢了": "110", "救命": "110",
		"爷爷在楼下摔倒了": "120", "暖气不热": "", "请打我电话": "", "碗摔了": "",
	} {
		e, ok := p.Emergency(text)
		if ok != (want != "") || e.Call != want {
			t.Errorf("Emergency(%q) = %q, %v; want %q", text, e.Call, ok, want)
		}
	}
	if p.EmergencyDeadline() != tickets.DefaultEmergencyDeadline || p.EmergencyLevel() != tickets.LevelGridLeader || p.Complex() != tickets.DefaultComplexDeadline {
		t.Errorf("defaults: %s %s %s", p.EmergencyDeadline(), p.EmergencyLevel(), p.Complex())
	}
	e, _ := p.Emergency("漏气了")
	ack := e.Acknowledge(tickets.LevelGridLeader, "李强", "13900000000")
	if !strings.HasPrefix(ack, "【紧急】如情况危急请立即拨打119！") || !strings.Contains(ack, "网格长李强") || !strings.Contains(ack, "13900000000") {
		t.Errorf("Acknowledge = %q", ack)
	}
	err := tickets.Triage{Emergencies: []tickets.Emergency{{Words: []string{" "}}}, Deadline: -1, Level: "boss"}.Validate()
	for _, want := range []string{"emergencies[0].name", "emergencies[0].call", "emergencies[0].words[0]", "emergency_deadline", "emergency_level"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %s named", err, want)
		}
	}
}

func TestParseWord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     string
		word   string
		weight int
		err    string
	}{
		{"招聘:3", "招聘", 3, ""},
		{" 招聘：2 ", "招聘", 2, ""},
		{"岗位", "岗位", 1, ""},
		{":3", "", 0, "empty word"},
		{"招聘:0", "", 0, "from 1 to 99"},
		{"招聘:x", "", 0, `weight "x"`},
		{"招聘:100", "", 0, "from 1 to 99"},
	} {
		w, n, err := tickets.ParseWord(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseWord(%q): %v, want an error saying %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || w != tc.word || n != tc.weight {
			t.Errorf("ParseWord(%q) = %q, %d, %v; want %q, %d", tc.in, w, n, err, tc.word, tc.weight)
		}
	}
}

// Scores lists every category a text scores on, highest first; Label
// names a configured category by its rule's label.
func TestScoresAndLabel(t *testing.T) {
	t.Parallel()
	c := tickets.Classifier{Rules: []tickets.Rule{
		{Category: tickets.CategoryEmployment, Words: []string{"招聘", "工作"}, Weights: map[string]int{"招聘": 3}},
		{Category: "dog_licence", Label: "养犬登记", Words: []string{"狗证"}, Weights: map[string]int{"狗证": 3}},
		{Category: tickets.CategoryDisputes, Words: []string{"邻居"}},
	}}
	got := c.Scores("邻居说招聘工作，还要办狗证", tickets.CategoryDisputes)
	want := []tickets.Classification{
		{Category: tickets.CategoryEmployment, Matched: []string{"招聘", "工作"}, Score: 4},
		{Category: "dog_licence", Matched: []string{"狗证"}, Score: 3},
		{Category: tickets.CategoryDisputes, Matched: []string{"邻居"}, Score: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scores (-want +got):\n%s", diff)
	}
	if c.Label("dog_licence") != "养犬登记" || c.Label(tickets.CategoryEmployment) != "就业" {
		t.Errorf("labels %q %q", c.Label("dog_licence"), c.Label(tickets.CategoryEmployment))
	}
}
