package campaigns_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
)

func TestWordFilterFind(t *testing.T) {
	t.Parallel()
	f := campaigns.NewWordFilter([]string{"赌博", "网络赌博", "VX", "加微信", "贷款", "he", "she", "his", "hers", " ", "vx"})
	tests := []struct {
		name string
		text string
		want []campaigns.Hit
	}{
		{"none", "春风行动招聘会本周六举行", nil},
		{"empty", "", nil},
		{"chinese at the start", "赌博害人", []campaigns.Hit{{Word: "赌博", Text: "赌博", Col: 1, Byte: 0}}},
		{"chinese inside, byte and rune offsets differ", "远离网络赌博", []campaigns.Hit{
			{Word: "网络赌博", Text: "网络赌博", Col: 3, Byte: 6},
			{Word: "赌博", Text: "赌博", Col: 5, Byte: 12},
		}},
		{"case-insensitive", "加Vx或vX", []campaigns.Hit{
			{Word: "VX", Text: "Vx", Col: 2, Byte: 3},
			{Word: "VX", Text: "vX", Col: 5, Byte: 8},
		}},
		{"full-width latin", "加ＶＸ", []campaigns.Hit{{Word: "VX", Text: "ＶＸ", Col: 2, Byte: 3}}},
		{"every hit, overlapping", "ushers", []campaigns.Hit{
			{Word: "she", Text: "she", Col: 2, Byte: 1},
			{Word: "hers", Text: "hers", Col: 3, Byte: 2},
			{Word: "he", Text: "he", Col: 3, Byte: 2},
		}},
		{"repeated", "贷款贷款", []campaigns.Hit{
			{Word: "贷款", Text: "贷款", Col: 1, Byte: 0},
			{Word: "贷款", Text: "贷款", Col: 3, Byte: 6},
		}},
		{"mixed scripts", "详情加微信abc，无抵押贷款", []campaigns.Hit{
			{Word: "加微信", Text: "加微信", Col: 3, Byte: 6},
			{Word: "贷款", Text: "贷款", Col: 13, Byte: 30},
		}},
		{"invalid utf-8 is stepped over", "\xff赌博", []campaigns.Hit{{Word: "赌博", Text: "赌博", Col: 2, Byte: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := f.Find(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Find(%q) (-want +got):\n%s", tt.text, diff)
			}
			for _, h := range got {
				if !strings.HasPrefix(tt.text[h.Byte:], h.Text) {
					t.Errorf("hit %+v: text at byte %d is not %q", h, h.Byte, h.Text)
				}
			}
		})
	}
	if got := f.Len(); got != 9 {
		t.Errorf("Len() = %d, want 9 (blank dropped, vx folded into VX)", got)
	}
}

func TestWordFilterEmpty(t *testing.T) {
	t.Parallel()
	var nilFilter *campaigns.WordFilter
	for name, f := range map[string]*campaigns.WordFilter{
		"nil":   nilFilter,
		"empty": campaigns.NewWordFilter(nil),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := f.Find("赌博"); got != nil {
				t.Errorf("Find() = %v, want nil", got)
			}
			if f.Len() != 0 {
				t.Errorf("Len() = %d", f.Len())
			}
		})
	}
}

// TestWordFilterAgainstNaive compares the automaton with a naive search over
// a list with shared prefixes and suffixes.
func TestWordFilterAgainstNaive(t *testing.T) {
	t.Parallel()
	words := []string{"a", "ab", "bab", "bc", "bca", "c", "caa", "招聘", "聘会", "招聘会"}
	f := campaigns.NewWordFilter(words)
	for _, text := range []string{"abccab", "bcabcaa", "aaaa", "招聘会招聘", "c招聘会a"} {
		t.Run(text, func(t *testing.T) {
			t.Parallel()
			var want []string
			rs := []rune(text)
			for i := range rs {
				for l := len(rs) - i; l >= 1; l-- {
					for _, w := range words {
						if string(rs[i:i+l]) == w {
							want = append(want, fmt.Sprintf("%s@%d", w, i+1))
						}
					}
				}
			}
			var got []string
			for _, h := range f.Find(text) {
				got = append(got, fmt.Sprintf("%s@%d", h.Word, h.Col))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-naive +automaton):\n%s", diff)
			}
		})
	}
}

func BenchmarkWordFilter(b *testing.B) {
	text := strings.Repeat("尊敬的居民您好，春风行动招聘会将于本周六在社区服务中心举行，详询网格员。", 4)
	for _, n := range []int{10, 300, 3000} {
		words := make([]string, n)
		for i := range words {
			words[i] = fmt.Sprintf("敏感词%d号", i)
		}
		f := campaigns.NewWordFilter(words)
		b.Run(fmt.Sprintf("automaton/words=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = f.Find(text)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
		})
		// Baseline: one strings.Index per word over the lower-cased text,
		// which finds only the first hit of each word.
		b.Run(fmt.Sprintf("naive/words=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				lower := strings.ToLower(text)
				for _, w := range words {
					_ = strings.Index(lower, w)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
		})
	}
}
