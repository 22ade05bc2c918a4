package testlog_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/internal/testlog"
)

// The file is read once per process, so the check runs in a child process
// with the variable set.
func TestAppendsAtDebugLevel(t *testing.T) {
	if os.Getenv("TESTLOG_CHILD") == "1" {
		testlog.New(t).Debug("child_debug", "n", 1)
		_, _ = testlog.Writer().Write([]byte("raw line\n"))
		return
	}
	path := filepath.Join(t.TempDir(), "test.log")
	if err := os.WriteFile(path, []byte("earlier line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAppendsAtDebugLevel$")
	cmd.Env = append(os.Environ(), "TESTLOG_CHILD=1", testlog.EnvVar+"="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || lines[0] != "earlier line" || lines[2] != "raw line" ||
		!strings.Contains(lines[1], "level=DEBUG msg=child_debug test=TestAppendsAtDebugLevel n=1") {
		t.Errorf("file holds:\n%s\nwant the earlier line, the debug record with its test, the raw line", b)
	}
}

func TestDiscardsWhenUnset(t *testing.T) {
	if os.Getenv(testlog.EnvVar) != "" {
		t.Skip(testlog.EnvVar + " is set for this run")
	}
	if testlog.New(t).Enabled(t.Context(), -8) {
		t.Error("a logger without " + testlog.EnvVar + " is enabled; want it to discard")
	}
}
