package segments_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/segments"
)

func BenchmarkParseCompile(b *testing.B) {
	one := "category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:NY-03* AND NOT channel:wechat"
	for _, size := range []int{1, 8, 32} {
		src := strings.Repeat("("+one+") OR ", size-1) + "(" + one + ")"
		b.Run(fmt.Sprintf("groups=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				e, err := segments.Parse(src)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := segments.Compile(e, segments.Options{Dialect: segments.Postgres, Now: now}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exprs/s")
		})
	}
}
