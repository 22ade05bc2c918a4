package faults_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/faults"
	"github.com/gridcast/gridcast/internal/testlog"
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
	defer keepLogs(t, filepath.Join(dir, "run"))
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
	t.Cleanup(func() { _ = os.RemoveAll(dir) }) // after keepLogs
}

// keepLogs appends the gridcast processes' logs of every scenario (not
// Redis's or PostgreSQL's) to the suite's kept log, which CI scans for
// personal data: they are what serve, the workers and the sandbox log
// through crashes, lost answers and restarts.
func keepLogs(t *testing.T, runDir string) {
	w := testlog.Writer()
	if w == io.Discard {
		return
	}
	scenarios, err := os.ReadDir(runDir)
	if err != nil {
		t.Logf("keep logs: %v", err)
		return
	}
	for _, s := range scenarios {
		if !s.IsDir() || s.Name() == "redis" || s.Name() == "postgres" {
			continue
		}
		logs, _ := filepath.Glob(filepath.Join(runDir, s.Name(), "*.log"))
		for _, path := range logs {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Logf("keep logs: %v", err)
				continue
			}
			header := fmt.Sprintf("== faults %s/%s\n", s.Name(), filepath.Base(path))
			if _, err := w.Write(append([]byte(header), b...)); err != nil {
				t.Errorf("keep logs: %v", err)
			}
		}
	}
}
