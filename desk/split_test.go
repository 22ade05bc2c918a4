package desk

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestSplitRunes(t *testing.T) {
	for _, in := range []string{
		"短",
		"您好，您反映的环境问题已登记，网格员马梅莲将在48小时内到现场查看处理。联系电话18349439371。",
		strings.Repeat("很", 35) + "。后面",
		strings.Repeat("长", 80),
		"您好，已联系物业维修楼道灯，师傅明天上午九点到十一点之间上门更换，届时请留意敲门。",
	} {
		parts := splitRunes(in, 35)
		if strings.Join(parts, "") != in {
			t.Errorf("%q: parts %q lose text", in, parts)
		}
		for i, p := range parts {
			if n := utf8.RuneCountInString(p); n == 0 || n > 35 {
				t.Errorf("%q: part %d has %d characters", in, i, n)
			}
			if i > 0 && strings.ContainsAny(string([]rune(p)[:1]), "，。；！？") {
				t.Errorf("%q: part %d starts with punctuation: %q", in, i, p)
			}
		}
	}
}

// splitWeChat cuts where WeChat would: parts it shows whole, a run of
// Latin letters or digits never broken.
func TestSplitWeChat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"fits", "灯已修好", []string{"灯已修好"}},
		{"twenty, runs counting one", "电话13912345678，9:30到11:00上门更换LED灯管2支",
			[]string{"电话13912345678，9:30到11:00上门更换LED灯管2支"}},
		{"cut after punctuation", "您好，已联系物业维修楼道灯，师傅明天上午九点上门更换。",
			[]string{"您好，已联系物业维修楼道灯，", "师傅明天上午九点上门更换。"}},
		{"a run is never broken", strings.Repeat("长", 19) + "LED灯管", []string{strings.Repeat("长", 19) + "LED", "灯管"}},
		{"no part starts with punctuation", strings.Repeat("很", 20) + "。后面", []string{strings.Repeat("很", 19), "很。后面"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, splitWeChat(tt.in)); diff != "" {
				t.Errorf("splitWeChat(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
