// Package testlog gives tests loggers whose output can be kept and read
// afterwards. With GRIDCAST_TEST_LOG naming a file, every logger made here
// appends its records to that file at debug level, as text, one line each;
// unset, they discard everything. CI sets it for the whole suite and scans
// the file for personal data in clear (`gridcast pii scan`, package pii's
// Scan), so what the code logs while the tests run is held to the same rule
// as production logs.
//
// Test binaries run in parallel and share the file: it is opened for
// appending once per process, and each record reaches it in one write.
package testlog

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
)

// EnvVar names the file the loggers append to.
const EnvVar = "GRIDCAST_TEST_LOG"

var (
	once    sync.Once
	out     io.Writer
	handler slog.Handler
)

func open() {
	path := os.Getenv(EnvVar)
	if path == "" {
		out, handler = io.Discard, slog.DiscardHandler
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		// A file that cannot be written would make a scan of it pass for
		// want of lines: stop loudly instead.
		panic(fmt.Sprintf("testlog: %s=%s: %v", EnvVar, path, err))
	}
	out, handler = f, slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})
}

// Handler is the handler every logger of this process shares: text at
// debug level appended to the GRIDCAST_TEST_LOG file, or slog's
// DiscardHandler when it is unset. It panics if the file cannot be opened.
// Safe for concurrent use.
func Handler() slog.Handler {
	once.Do(open)
	return handler
}

// New returns a logger for tb whose records carry test=<tb.Name()>, so that
// a line in the kept file leads back to its test. See Handler.
func New(tb testing.TB) *slog.Logger {
	tb.Helper()
	return slog.New(Handler()).With("test", tb.Name())
}

// Writer is where raw log output belongs when a test lets the code build
// its own logger (the CLI logs to the stderr it is given): the
// GRIDCAST_TEST_LOG file, or io.Discard. Each Write is appended whole.
// Safe for concurrent use.
func Writer() io.Writer {
	once.Do(open)
	return out
}
