package desk

import (
	"strings"
	"testing"
	"unicode/utf8"
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
