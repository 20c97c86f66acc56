package cli

import (
	"errors"
	"fmt"

	"github.com/driftwatch/driftwatch/internal/config"
)

// ValidateCmd checks a configuration file.
type ValidateCmd struct {
	Config string `short:"c" required:"" type:"path" placeholder:"FILE" help:"Configuration file to check."`
}

// Run loads the file and prints every problem, or a one-line summary.
func (c *ValidateCmd) Run(env *Env) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			return &exitError{code: ExitError, msg: fmt.Sprintf("%s\n%s: %d problem(s)", cerr, c.Config, len(cerr.Problems))}
		}
		return &exitError{code: ExitError, msg: "driftwatch: " + err.Error()}
	}
	fmt.Fprintf(env.Stdout, "%s: OK (%d models, %d pipelines, %d trigger rules)\n",
		c.Config, len(cfg.Models), len(cfg.Pipelines), len(cfg.Triggers.Rules))
	return nil
}
