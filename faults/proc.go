package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// childEnv is the suite's environment without its GRIDCAST_ variables
// (the tests' own excepted), so that only the scenario's configuration
// counts, plus extra.
func childEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRIDCAST_") || strings.HasPrefix(kv, "GRIDCAST_TEST_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// proc is one child process in a process group of its own, its output in
// DIR/NAME.log.
type proc struct {
	name string
	bin  string
	args []string
	dir  string // the log's directory (and the working directory)
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs the process with env added to childEnv.
func (p *proc) start(env []string) error {
	f, err := os.OpenFile(filepath.Join(p.dir, p.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = childEnv(env)
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("faults: start %s: %w", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return nil
}

// running reports whether the process has not exited.
func (p *proc) running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill is kill -9 of the whole process group, and waits for the exit.
func (p *proc) kill() { p.signal(syscall.SIGKILL, 10*time.Second) }

// signal sends sig to the process group and waits up to d for the exit,
// then kills it.
func (p *proc) signal(sig syscall.Signal, d time.Duration) {
	if !p.running() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(d):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// stop asks the process to stop (SIGTERM) and waits for it.
func (p *proc) stop() { p.signal(syscall.SIGTERM, 30*time.Second) }

// tail returns the last n lines of the process's log, for a failure report.
func (p *proc) tail(n int) string {
	b, err := os.ReadFile(filepath.Join(p.dir, p.name+".log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
