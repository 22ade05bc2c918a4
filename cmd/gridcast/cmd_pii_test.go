package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIPIIScan(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.log")
	leaky := filepath.Join(dir, "leaky.log")
	if err := os.WriteFile(clean, []byte("level=INFO msg=sent phone=138****5678\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leaky, []byte("level=INFO msg=ok\nlevel=WARN msg=receipt_unmatched provider_id=out:1035/19912345678\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := gridcast(t, dir, "pii", "scan", clean)
	if code != 0 || out != "no personal data in clear in 1 inputs\n" {
		t.Errorf("clean file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	out, errOut, code = gridcast(t, dir, "pii", "scan", clean, leaky)
	want := leaky + ":2:55: phone 199****5678 in level=WARN msg=receipt_unmatched provider_id=out:1035/199****5678\n"
	if code != 1 || out != want || !strings.Contains(errOut, "personal data in clear: 1 finding(s) in 1 of 2 inputs") {
		t.Errorf("leaky file: exit %d\nstdout %q\nwant   %q\nstderr %q", code, out, want, errOut)
	}
	if strings.Contains(out+errOut, "19912345678") {
		t.Error("the scan printed the number it found in clear")
	}

	if _, errOut, code = gridcast(t, dir, "pii", "scan", filepath.Join(dir, "missing.log")); code != 1 || !strings.Contains(errOut, "missing.log") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}
