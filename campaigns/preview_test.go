package campaigns_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
)

// The preview masks people in what a phone shows, a name WeChat cut
// short included.
func TestMaskPeople(t *testing.T) {
	t.Parallel()
	r := population.Resident{Name: "王秀英", Phone: "13812345678"}
	w := population.Worker{Name: "欧阳娜娜", Phone: "13987654321"}
	tests := []struct{ name, in, want string }{
		{"names and phones", "王秀英您好 / 网格员：欧阳娜娜 13987654321", "王**您好 / 网格员：欧*** 139****4321"},
		{"a name cut short by WeChat", "青年路街道嘉园社区第12网格网格员欧阳娜…", "青年路街道嘉园社区第12网格网格员欧**…"},
		{"a cut that leaves only the surname", "网格员欧…", "网格员欧…"},
		{"other mobile numbers", "转138 请拨15012345678", "转138 请拨150****5678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, campaigns.MaskPeople(tt.in, r, w)); diff != "" {
				t.Errorf("MaskPeople(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// Aliyun bills 70 characters as one SMS and longer texts in parts of 67,
// counting characters, not bytes.
func TestSMSParts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		chars, want int
	}{{1, 1}, {70, 1}, {71, 2}, {134, 2}, {135, 3}, {201, 3}, {202, 4}}
	for _, tt := range tests {
		text := ""
		for range tt.chars {
			text += "网"
		}
		if got := campaigns.SMSParts(text); got != tt.want {
			t.Errorf("SMSParts(%d characters) = %d, want %d", tt.chars, got, tt.want)
		}
	}
}
