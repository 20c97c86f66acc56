package cli

import (
	"errors"
	"fmt"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/triggers/rules"
)

// RulesCmd generates the Prometheus alerting rules for the configured
// models. docs/alerting.md describes the rules and how to load them.
type RulesCmd struct {
	Config string `short:"c" required:"" type:"path" placeholder:"FILE" help:"Configuration file that declares the models and the prometheus.rules settings."`
	Format string `default:"prometheus" enum:"prometheus,prometheus-operator" help:"Output format: prometheus (a rule file for rule_files) or prometheus-operator (a PrometheusRule object)."`
	Out    string `placeholder:"FILE" help:"File to write. An existing file is replaced atomically. Default: standard output."`
}

// Run loads the configuration, generates the rules and writes them.
func (c *RulesCmd) Run(env *Env) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			return &exitError{code: ExitError, msg: fmt.Sprintf("%s\n%s: %d problem(s)", cerr, c.Config, len(cerr.Problems))}
		}
		return c.fail(err)
	}
	f, err := rules.Generate(rules.Input{Settings: cfg.Prometheus.Rules, Models: cfg.Models, Triggers: cfg.Triggers.Rules})
	if err != nil {
		return c.fail(err)
	}
	data, err := rules.Marshal(f, rules.Format(c.Format))
	if err != nil {
		return c.fail(err)
	}
	if c.Out == "" {
		_, err = env.Stdout.Write(data)
		return err
	}
	if err := atomicfile.Write(c.Out, data); err != nil {
		return c.fail(err)
	}
	return nil
}

func (c *RulesCmd) fail(err error) error {
	return &exitError{code: ExitError, msg: "driftwatch: rules: " + err.Error()}
}
