package faults_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/faults"
)

// The quick fault suite, as CI runs it: every row 0 duplicates, 0 lost.
// It needs redis-server and PostgreSQL's server binaries; without them it
// is skipped (failed under CI, which installs them).
func TestQuickSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the fault suite runs real processes for minutes")
	}
	for _, bin := range []string{"redis-server"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not found under CI: .ci/run must install it", bin)
			}
			t.Skipf("%s not found: skipping the fault suite", bin)
		}
	}
	dir, err := os.MkdirTemp("", "gridcast-faults-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // PostgreSQL runs as its own user below it
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "gridcast")
	build := exec.Command("go", "build", "-o", bin, "../cmd/gridcast")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var log strings.Builder
	rs, err := faults.Run(t.Context(), faults.Options{Bin: bin, Dir: filepath.Join(dir, "run"), Quick: true,
		Residents: 300, Progress: &log})
	if err != nil {
		if strings.Contains(err.Error(), "initdb not found") && os.Getenv("CI") == "" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	var table strings.Builder
	_ = faults.WriteTable(&table, rs)
	t.Logf("\n%s", table.String())
	if err := faults.Failed(rs); err != nil {
		t.Fatalf("%v\nprogress:\n%s\nlogs kept in %s", err, log.String(), dir)
	}
	_ = os.RemoveAll(dir)
}
