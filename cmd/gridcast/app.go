package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/store"
)

// app is what every subcommand shares: the configuration, the log and the
// output streams. It opens the store on demand so that `help` and `keygen`
// need nothing.
type app struct {
	configPath string
	env        environ
	stdout     io.Writer
	stderr     io.Writer

	cfg    Config
	source string
	log    *slog.Logger
}

// run builds the command tree and executes args; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env environ) int {
	a := &app{env: env, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		// A refusal (not found, a conflict, invalid input) is said as the
		// user should read it, its chain of causes left to the debug log;
		// a failure of ours prints its causes, for the operator.
		if msg, refusal := fault.Explain(err, fault.English); refusal {
			if a.log != nil {
				a.log.DebugContext(ctx, "command_refused", "err", err)
			}
			fmt.Fprintln(stderr, "gridcast:", msg)
		} else {
			fmt.Fprintln(stderr, "gridcast:", err)
		}
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError marks mistakes in how the command was called (exit code 2).
type usageError struct{ error }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "gridcast",
		Short:         "Targeted SMS/WeChat outreach and grid tickets from a city's population store",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Annotations["noconfig"] == "true" {
				return nil
			}
			return a.loadConfig()
		},
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "configuration file (default config.yaml when present, else the embedded defaults)")
	root.AddCommand(
		a.demoCommand(),
		a.seedCommand(),
		a.importCommand(),
		a.syncCommand(),
		a.segmentCommand(),
		a.residentsCommand(),
		a.retentionCommand(),
		a.configCommand(),
		a.keygenCommand(),
		a.usersCommand(),
		a.sandboxCommand(),
		a.campaignCommand(),
		a.serveCommand(),
		a.workerCommand(),
		a.templatesCommand(),
		a.ticketsCommand(),
		a.departmentsCommand(),
		a.tasksCommand(),
		a.assessmentCommand(),
		a.ledgerCommand(),
		a.workersCommand(),
		a.faultsCommand(),
		a.benchCommand(),
		a.auditCommand(),
		a.piiCommand(),
		a.visitsCommand(),
	)
	return root
}

func (a *app) loadConfig() error {
	cfg, source, err := loadConfig(a.configPath, a.env.lookup)
	if err != nil {
		return err
	}
	a.cfg, a.source = cfg, source
	a.log = newLogger(a.stderr, cfg.Log)
	for _, name := range a.env.unknown() {
		a.log.Warn("config_unknown_env", "var", name, "hint", "no configuration key has this name, so it changes nothing (see config.example.yaml)")
	}
	return nil
}

func newLogger(w io.Writer, c LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// sealer returns the PII sealer from security.pii_key, security.pii_key_file
// or, for the embedded default, DATA_DIR/pii.key (created on first use).
func (a *app) sealer() (*pii.Sealer, error) {
	sc := a.cfg.Security
	raw := sc.PIIKey
	switch {
	case raw != "":
	case sc.PIIKeyFile != "":
		b, err := os.ReadFile(sc.PIIKeyFile)
		if err != nil {
			return nil, fmt.Errorf("config: security.pii_key_file: %w", err)
		}
		raw = strings.TrimSpace(string(b))
	default:
		path := filepath.Join(a.cfg.DataDir, "pii.key")
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			raw = strings.TrimSpace(string(b))
		case errors.Is(err, fs.ErrNotExist):
			if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
				return nil, fmt.Errorf("data dir: %w", err)
			}
			raw = pii.NewKey()
			if err := os.WriteFile(path, []byte(raw+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("write PII key: %w", err)
			}
			a.log.Warn("generated_pii_key", "path", path, "hint", "back this file up: ID numbers sealed with it cannot be unmasked without it")
		default:
			return nil, fmt.Errorf("read PII key: %w", err)
		}
	}
	key, err := pii.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("config: security.pii_key: %w", err)
	}
	return pii.NewSealer(key)
}

// openStore opens the configured store and applies migrations.
func (a *app) openStore(ctx context.Context) (*store.Store, error) {
	sealer, err := a.sealer()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, a.cfg.storeConfig(), sealer, a.log)
	if err != nil {
		return nil, err
	}
	a.log.DebugContext(ctx, "store_open", "driver", a.cfg.Store.Driver, "config", a.source)
	return st, nil
}

// withStore opens the store, runs fn and closes the store.
func (a *app) withStore(ctx context.Context, fn func(*store.Store) error) error {
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}
