// Command leadflow is the lead scoring and routing engine (S-CLI-1).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/app"
)

const usage = `leadflow — lead scoring, qualification and routing in one binary

Usage: leadflow <command> [flags]

Commands:
  serve     run the API server                       (leadflow serve --db leadflow.db)
  demo      create a demo database with generated leads and serve it
  import    import leads (CSV or JSON) or events (JSON) into the database
  export    export leads (CSV or JSON) or the live configuration (--config, YAML)
  rescore   rescore every lead with the active model, showing progress
  simulate  compare distribution strategies on a number of leads (what-if)
  bench     measure ingest, events, rescoring and memory against the raw SQLite ceiling
  token     create, list or revoke API tokens
  version   print the version

Every command takes --db (LEADFLOW_DB); serve and demo take --addr (LEADFLOW_ADDR) and
--config (LEADFLOW_CONFIG). LEADFLOW_ADMIN_TOKEN creates the first admin token at start.
Run 'leadflow <command> -h' for the flags of one command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "leadflow:", err)
		}
		os.Exit(1)
	}
}

// run dispatches a subcommand; it is main without the process around it, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"serve": runServe, "demo": runDemo, "import": runImport, "export": runExport, "rescore": runRescore,
		"bench": runBench, "token": runToken, "version": runVersion, "simulate": runSimulate,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			fmt.Fprint(stdout, usage)
			return nil
		}
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

// envOr returns the environment variable's value or def.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// dbFlag declares --db on fs and reads LEADFLOW_ADMIN_TOKEN.
func dbFlag(fs *flag.FlagSet, m *app.Main) {
	fs.StringVar(&m.DB, "db", envOr("LEADFLOW_DB", "leadflow.db"), "SQLite database file (env LEADFLOW_DB)")
	m.AdminToken = os.Getenv("LEADFLOW_ADMIN_TOKEN")
}

// commonFlags declares --db and --config (and, for server commands, --addr) on fs.
func commonFlags(fs *flag.FlagSet, m *app.Main, server bool) {
	dbFlag(fs, m)
	fs.StringVar(&m.ConfigPath, "config", envOr("LEADFLOW_CONFIG", ""), "YAML configuration applied at start (env LEADFLOW_CONFIG)")
	if server {
		fs.StringVar(&m.Addr, "addr", envOr("LEADFLOW_ADDR", "127.0.0.1:8080"), "listen address (env LEADFLOW_ADDR)")
	}
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("LEADFLOW_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintln(stdout, "leadflow", leadflow.Version)
	return nil
}
