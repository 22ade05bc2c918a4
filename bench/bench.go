// Package bench measures GridCast against its ceilings: each case runs a
// piece of the product on real services (Redis, the chosen store driver,
// the loopback emulators of WeChat and Aliyun SMS) and, in the same run on
// the same services, a baseline that marks what the machine can do at
// best — bare Asynq, the SDK with no ledger, the same query written by
// hand, the driver's bulk path. Each result is one line:
//
//	BENCH <case> driver=<d> <metric>=<value> … baseline=<value> ratio=<value> target=<op><value> met=<yes|no>
//
// The figures are printed, never asserted as timings: shared machines are
// noisy, and the ratio to a baseline measured alongside is what carries
// from one machine to another. `gridcast bench` runs the cases; the same
// cases run as `go test -bench` in this package.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/store"
)

// Options choose what runs where.
type Options struct {
	// Quick runs each case at its small size (the whole set in under five
	// minutes on two cores), else at full size (city scale: 1M residents).
	Quick bool
	// Cases names the cases to run; empty runs all.
	Cases []string
	// Drivers are the store drivers to run the store-bound cases on
	// (store.DriverSQLite, store.DriverPostgres); empty means both when
	// Postgres is set, else SQLite.
	Drivers []string
	// Postgres is a PostgreSQL URL; each case runs in a schema of its own,
	// dropped afterwards.
	Postgres string
	// RedisAddr and RedisDB locate the Redis the queue runs on. The bench
	// empties that database first and refuses one that holds keys it did
	// not write (see ErrRedisInUse).
	RedisAddr string
	RedisDB   int
	// Dir is a scratch directory (SQLite files, CSV files); empty: a
	// temporary directory, removed afterwards.
	Dir string
	// Profile, when set, is a directory that receives a CPU and an
	// allocation profile per case and driver (<case>-<driver>.cpu.pprof,
	// .alloc.pprof).
	Profile string
	// Log receives progress lines; nil discards them.
	Log *slog.Logger
	// Residents, when set, is the city size of the fan-out cases
	// (fanout-sms, fanout-wechat, workers) instead of their quick or full
	// size: how cost grows with the city.
	Residents int
	// Bin is the gridcast binary the process cases (memory, workers) run
	// as `gridcast worker`; empty skips them.
	Bin string
}

// Metric is one named figure of a result.
type Metric struct {
	Name  string
	Value float64
}

// Result is what one case measured on one driver.
type Result struct {
	Case, Driver string
	// Metrics are the product's figures, printed in order.
	Metrics []Metric
	// Baseline is the ceiling measured in the same run.
	Baseline Metric
	// Ratio is the case's figure of merit (see each case), compared with
	// Target: at least Target, or at most Target when AtMost.
	Ratio  float64
	Target float64
	AtMost bool
}

// Met reports whether the ratio reaches the target (always true without
// one).
func (r Result) Met() bool {
	switch {
	case r.Target == 0:
		return true
	case r.AtMost:
		return r.Ratio <= r.Target
	default:
		return r.Ratio >= r.Target
	}
}

// String is the result's BENCH line.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "BENCH %s driver=%s", r.Case, r.Driver)
	for _, m := range r.Metrics {
		fmt.Fprintf(&b, " %s=%s", m.Name, num(m.Value))
	}
	fmt.Fprintf(&b, " baseline=%s", num(r.Baseline.Value))
	if r.Baseline.Name != "" {
		fmt.Fprintf(&b, " baseline_metric=%s", r.Baseline.Name)
	}
	fmt.Fprintf(&b, " ratio=%s", strconv.FormatFloat(r.Ratio, 'f', 3, 64))
	if r.Target != 0 {
		op := ">="
		if r.AtMost {
			op = "<="
		}
		met := "yes"
		if !r.Met() {
			met = "no"
		}
		fmt.Fprintf(&b, " target=%s%s met=%s", op, num(r.Target), met)
	}
	return b.String()
}

// num prints a figure with the precision it deserves.
func num(v float64) string {
	switch {
	case v >= 100 || v <= -100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1 || v <= -1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
}

// Case is one benchmark. Run measures it on one driver (the driver is ""
// for a case that touches no store) and returns its results.
type Case struct {
	Name string
	// Store says whether the case runs once per driver.
	Store bool
	Run   func(ctx context.Context, e *Env) ([]Result, error)
}

// cases are every case, in the order they run.
var cases []Case

// register adds c to the cases; each case's file registers itself.
func register(c Case) { cases = append(cases, c) }

// Names lists the cases in the order they run.
func Names() []string {
	var out []string
	for _, c := range ordered() {
		out = append(out, c.Name)
	}
	return out
}

// caseOrder fixes the order of the cases however their files register.
var caseOrder = []string{"fanout-sms", "fanout-wechat", "segment", "inbound", "import", "memory", "workers"}

func ordered() []Case {
	out := slices.Clone(cases)
	slices.SortStableFunc(out, func(a, b Case) int {
		return index(a.Name) - index(b.Name)
	})
	return out
}

func index(name string) int {
	if i := slices.Index(caseOrder, name); i >= 0 {
		return i
	}
	return len(caseOrder)
}

// Run runs the chosen cases and writes each result's line to out as it
// comes. A case that fails is reported and the others still run; the
// error joins every failure.
func Run(ctx context.Context, o Options, out io.Writer) ([]Result, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if len(o.Drivers) == 0 {
		o.Drivers = []string{store.DriverSQLite}
		if o.Postgres != "" {
			o.Drivers = append(o.Drivers, store.DriverPostgres)
		}
	}
	for _, d := range o.Drivers {
		if d != store.DriverSQLite && d != store.DriverPostgres {
			return nil, fmt.Errorf("bench: driver %q: want %s or %s", d, store.DriverSQLite, store.DriverPostgres)
		}
		if d == store.DriverPostgres && o.Postgres == "" {
			return nil, errors.New("bench: the postgres driver needs a PostgreSQL URL (--postgres)")
		}
	}
	for _, n := range o.Cases {
		if !slices.Contains(Names(), n) {
			return nil, fmt.Errorf("bench: no case %q; the cases are %s", n, strings.Join(Names(), ", "))
		}
	}
	if o.RedisAddr == "" {
		return nil, errors.New("bench: a Redis address is required (--redis): the queue runs on real Redis")
	}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "gridcast-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.Dir = dir
	}
	if o.Profile != "" {
		if err := os.MkdirAll(o.Profile, 0o755); err != nil {
			return nil, err
		}
	}
	var all []Result
	var errs []error
	for _, c := range ordered() {
		if len(o.Cases) > 0 && !slices.Contains(o.Cases, c.Name) {
			continue
		}
		drivers := []string{""}
		if c.Store {
			drivers = o.Drivers
		}
		for _, d := range drivers {
			start := time.Now()
			o.Log.InfoContext(ctx, "bench_case", "case", c.Name, "driver", d, "quick", o.Quick)
			rs, err := runCase(ctx, &o, c, d)
			if err != nil {
				err = fmt.Errorf("bench %s (driver %s): %w", c.Name, orNone(d), err)
				fmt.Fprintf(out, "BENCH %s driver=%s error=%q\n", c.Name, orNone(d), err.Error())
				errs = append(errs, err)
				continue
			}
			for _, r := range rs {
				fmt.Fprintln(out, r)
			}
			all = append(all, rs...)
			o.Log.InfoContext(ctx, "bench_case_done", "case", c.Name, "driver", d, "took", time.Since(start).Round(time.Millisecond))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return all, errors.Join(errs...)
}

func orNone(d string) string {
	if d == "" {
		return "none"
	}
	return d
}

// runCase runs c on driver d inside its own Env, with the profiles asked
// for.
func runCase(ctx context.Context, o *Options, c Case, d string) ([]Result, error) {
	e := &Env{Options: o, Driver: d}
	defer e.close()
	if o.Profile != "" {
		name := c.Name + "-" + orNone(d)
		f, err := os.Create(filepath.Join(o.Profile, name+".cpu.pprof"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer func() {
			pprof.StopCPUProfile()
			if af, err := os.Create(filepath.Join(o.Profile, name+".alloc.pprof")); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(af, 0)
				_ = af.Close()
			}
		}()
	}
	rs, err := c.Run(ctx, e)
	for i := range rs {
		rs[i].Case, rs[i].Driver = c.Name, orNone(d)
	}
	return rs, err
}
