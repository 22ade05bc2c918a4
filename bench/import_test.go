package bench

import "testing"

// BenchmarkImport runs the import case:
//
//	go test ./bench -run '^$' -bench Import -benchtime 1x
func BenchmarkImport(b *testing.B) { benchStoreCase(b, "import") }
