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
		{"请问最近有没有招聘保安的岗位？我失业半年了", tickets.Classification{Category: tickets.CategoryEmployment, Matched: []string{"招聘", "失业", "岗位"}}},
		{"家里老人独居，想申请助餐服务", tickets.Classification{Category: tickets.CategoryElderlyCare, Matched: []string{"老人", "独居", "助餐"}}},
		{"低保补贴这个月还没到账", tickets.Classification{Category: tickets.CategorySocialAssistance, Matched: []string{"低保", "补贴"}}},
		{"孩子明年入学，户口不在本地怎么办", tickets.Classification{Category: tickets.CategoryHouseholdRegistration, Matched: []string{"户口"}}},
		{"居住证办好了，孩子上学还需要什么材料，学校说要证明", tickets.Classification{Category: tickets.CategorySchooling, Matched: []string{"上学", "学校"}}},
		// Tie between environment (噪音) and complaints (投诉): rule order.
		{"投诉楼上噪音", tickets.Classification{Category: tickets.CategoryEnvironment, Matched: []string{"噪音"}}},
		// Tie between environment (漏水) and disputes (邻居).
		{"楼上邻居家漏水到我家", tickets.Classification{Category: tickets.CategoryEnvironment, Matched: []string{"漏水"}}},
		{"和邻居吵架了，想请社区调解", tickets.Classification{Category: tickets.CategoryDisputes, Matched: []string{"吵架", "邻居", "调解"}}},
		// 工作人员 is masked out for employment.
		{"社区工作人员态度差，我要投诉", tickets.Classification{Category: tickets.CategoryComplaints, Matched: []string{"投诉", "态度差"}}},
		{"噪音噪音噪音，还有垃圾", tickets.Classification{Category: tickets.CategoryEnvironment, Matched: []string{"垃圾", "噪音"}}},
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

func TestClassifierConfigured(t *testing.T) {
	t.Parallel()
	c := tickets.Classifier{Rules: []tickets.Rule{
		{Category: "parking", Words: []string{"停车", "车位"}},
		{Category: tickets.CategoryEnvironment, Words: []string{"噪音"}},
	}}
	got := c.Classify("车位被占，晚上停车噪音大")
	want := tickets.Classification{Category: "parking", Matched: []string{"停车", "车位"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := (tickets.Classifier{Rules: []tickets.Rule{}}).Classify("噪音"); got.Category != tickets.CategoryOther {
		t.Errorf("empty rules: %s, want other", got.Category)
	}
	err := tickets.Classifier{Rules: []tickets.Rule{{Words: []string{""}}}}.Validate()
	want2 := "tickets: classification rules\nrules[0].category: required\nrules[0].words[0]: blank"
	if err == nil || err.Error() != want2 {
		t.Errorf("Validate() = %v, want %s", err, want2)
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
