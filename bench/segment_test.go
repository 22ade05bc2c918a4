package bench

import (
	"context"
	"os"
	"strings"
	"testing"
)

// benchStoreCase runs one store case at its quick size on the drivers the
// environment offers (GRIDCAST_TEST_POSTGRES adds PostgreSQL) and prints
// its BENCH lines. The Redis of GRIDCAST_TEST_REDIS (default
// 127.0.0.1:6379, database 9) is required by the harness though the store
// cases do not use it.
func benchStoreCase(b *testing.B, name string) {
	redis := os.Getenv("GRIDCAST_TEST_REDIS")
	if redis == "" {
		redis = "127.0.0.1:6379"
	}
	o := Options{Quick: !strings.Contains(os.Getenv("GRIDCAST_BENCH_FULL"), name), Cases: []string{name},
		Postgres: os.Getenv("GRIDCAST_TEST_POSTGRES"), RedisAddr: redis, RedisDB: 9, Profile: os.Getenv("GRIDCAST_BENCH_PROFILE")}
	for range b.N {
		var out strings.Builder
		_, err := Run(context.Background(), o, &out)
		b.Log("\n" + out.String())
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSegment runs the segment case:
//
//	go test ./bench -run '^$' -bench Segment -benchtime 1x
func BenchmarkSegment(b *testing.B) { benchStoreCase(b, "segment") }
