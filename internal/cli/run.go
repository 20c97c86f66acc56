package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/internal/app"
	"github.com/driftwatch/driftwatch/internal/config"
)

// RunCmd runs the controller.
type RunCmd struct {
	Config          string `short:"c" required:"" type:"path" placeholder:"FILE" help:"Configuration file."`
	Listen          string `placeholder:"HOST:PORT" help:"Address of /metrics, /healthz and /readyz, instead of server.listen."`
	ExitAfterReplay bool   `help:"Exit once every model that reads from files has replayed them, instead of serving until interrupted."`
}

// Run loads the configuration and runs driftwatch until SIGINT or SIGTERM
// (the context ends), or, with --exit-after-replay, until the replays are
// over.
func (c *RunCmd) Run(env *Env) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			return &exitError{code: ExitError, msg: fmt.Sprintf("%s\n%s: %d problem(s)", cerr, c.Config, len(cerr.Problems))}
		}
		return &exitError{code: ExitError, msg: "driftwatch: " + err.Error()}
	}
	for _, m := range cfg.Models {
		if m.Source.Type == collectors.SourceEmbedded {
			return &exitError{code: ExitError, msg: fmt.Sprintf("driftwatch: model %s: source type embedded takes events pushed by a program that embeds driftwatch, such as driftwatch demo; driftwatch run reads kafka or file sources", m.Name)}
		}
	}
	if c.ExitAfterReplay && !readsFiles(cfg) {
		return &exitError{code: ExitUsage, msg: "driftwatch: --exit-after-replay: no model of the configuration reads from files"}
	}
	if c.Listen != "" {
		cfg.Server.Listen = c.Listen
		if err := cfg.Server.Validate(); err != nil {
			return &exitError{code: ExitUsage, msg: "driftwatch: --listen: " + err.Error()}
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(promcollectors.NewGoCollector(), promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}))
	a, err := app.New(app.Options{
		Config:          cfg,
		ConfigDir:       filepath.Dir(c.Config),
		Logger:          env.Logger,
		Registry:        reg,
		ExitAfterReplay: c.ExitAfterReplay,
	})
	if err != nil {
		return &exitError{code: ExitError, msg: "driftwatch: " + err.Error()}
	}
	if err := a.Run(env.Ctx); err != nil {
		return &exitError{code: ExitError, msg: "driftwatch: " + err.Error()}
	}
	return nil
}

func readsFiles(cfg *config.Config) bool {
	for _, m := range cfg.Models {
		if m.Source.Type == collectors.SourceFile {
			return true
		}
	}
	return false
}
