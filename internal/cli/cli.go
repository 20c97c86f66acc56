// Package cli defines driftwatch's command line: the subcommands, their
// flags and help text, and how each maps onto the packages that do the work.
//
// It owns argument parsing, logger construction and exit codes. The work
// itself lives in internal/app and the component packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/alecthomas/kong"
)

// Exit codes shared by all subcommands.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// CLI is the root of the command line.
type CLI struct {
	LogFormat string `help:"Log format: text or json." enum:"text,json" default:"text"`
	LogLevel  string `help:"Minimum log level: debug, info, warn or error." enum:"debug,info,warn,error" default:"info"`

	Validate   ValidateCmd   `cmd:"" help:"Check a configuration file and print every problem with its file, line and field."`
	Run        RunCmd        `cmd:"" help:"Monitor the configured models and serve /metrics until interrupted."`
	Compare    CompareCmd    `cmd:"" help:"Compare a current data file with a reference data file, column by column, and report drift."`
	Reference  ReferenceCmd  `cmd:"" help:"Build reference profiles from training data."`
	Rules      RulesCmd      `cmd:"" help:"Generate the Prometheus alerting rules for the configured models."`
	Dashboards DashboardsCmd `cmd:"" help:"Generate the Grafana dashboards for the configured models: write them, or push them to Grafana."`
	Trigger    TriggerCmd    `cmd:"" help:"Ask a running driftwatch to start a pipeline run for a model."`
	Runs       RunsCmd       `cmd:"" help:"List, show, cancel and approve the pipeline runs of a running driftwatch."`
	Models     ModelsCmd     `cmd:"" help:"Show the model registry of a running driftwatch, and roll a model back."`
	Demo       DemoCmd       `cmd:"" help:"Run the whole loop on this machine with a synthetic model: drift, alert, retrain, deploy, verify."`
	Version    VersionCmd    `cmd:"" help:"Print the version and exit."`
}

// Env is what every subcommand receives: the context, the output streams and
// the logger.
type Env struct {
	Ctx    context.Context
	Stdout io.Writer
	Stderr io.Writer
	Logger *slog.Logger
}

// exitError ends the program with a given code after its message, if any, is
// printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

const description = `driftwatch watches production ML models for drift and falling quality, and
exports what it finds as Prometheus metrics and alerting rules.

Start with "driftwatch validate -c CONFIG" to check a configuration file.
Every subcommand takes --help.`

// Main parses args, runs the chosen subcommand and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var root CLI
	exitCode := -1
	parser, err := kong.New(&root,
		kong.Name("driftwatch"),
		kong.Description(description),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, Summary: true}),
	)
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch: %v\n", err)
		return ExitError
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 {
		return exitCode // --help or --version printed and asked to exit.
	}
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch: %v\n", err)
		if kctx != nil {
			fmt.Fprintln(stderr, `Run "driftwatch --help" for usage.`)
		}
		return ExitUsage
	}
	env := &Env{Ctx: ctx, Stdout: stdout, Stderr: stderr, Logger: newLogger(stderr, root.LogFormat, root.LogLevel)}
	if err := kctx.Run(env); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(stderr, ee.msg)
			}
			return ee.code
		}
		fmt.Fprintf(stderr, "driftwatch: %v\n", err)
		return ExitError
	}
	return ExitOK
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level)) // kong's enum already checked it.
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
