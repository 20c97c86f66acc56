package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/driftwatch/driftwatch/internal/demo"
	"github.com/driftwatch/driftwatch/internal/demo/loop"
)

// DemoCmd runs the closed loop on one machine, and holds the steps its
// pipeline runs.
type DemoCmd struct {
	Play DemoPlayCmd `cmd:"" default:"withargs" help:"Run the whole loop: serve a model, shift its world, detect, retrain, deploy, verify (the default)."`
	Step DemoStepCmd `cmd:"" help:"Run one step of the demo's pipeline; driftwatch runs these itself."`
}

// DemoPlayCmd plays the demo.
type DemoPlayCmd struct {
	Speed   float64       `help:"Run the scenario this many times faster." default:"1"`
	Dir     string        `help:"Keep the demo's files (models, logs, state) here instead of a temporary directory." type:"path"`
	Listen  string        `help:"Serve /metrics and the API on this address." default:"127.0.0.1:0"`
	Seed    uint64        `help:"Seed of the world and the models." default:"1"`
	Timeout time.Duration `help:"Give up after this long at speed 1." default:"2m"`
}

// Run plays the scenario and exits 0 only if the loop closed.
func (c *DemoPlayCmd) Run(env *Env) error {
	if c.Speed <= 0 {
		return &exitError{code: ExitUsage, msg: "driftwatch: --speed must be positive"}
	}
	exe, err := os.Executable()
	if err != nil {
		return &exitError{code: ExitError, msg: "driftwatch: demo: " + err.Error()}
	}
	err = loop.Run(env.Ctx, loop.Options{
		Dir: c.Dir, Listen: c.Listen, Speed: c.Speed, Seed: c.Seed, Timeout: c.Timeout,
		Executable: exe, Out: env.Stdout,
	})
	if err != nil {
		return &exitError{code: ExitError, msg: "driftwatch: " + err.Error()}
	}
	return nil
}

// DemoStepCmd runs one step of the demo's pipeline under the step
// contract that the pipeline runner sets up (see docs/pipelines.md).
type DemoStepCmd struct {
	Name     string `arg:"" enum:"train,evaluate,deploy" help:"train, evaluate or deploy."`
	Data     string `help:"Recent labelled examples to train on (train)." type:"path"`
	Holdout  string `help:"Held-out labelled examples to evaluate on (evaluate)." type:"path"`
	ModelURI string `help:"Model artifact to deploy (deploy)."`
	To       string `help:"Where the model server loads its model from (deploy)." type:"path"`
}

// Run runs the step.
func (c *DemoStepCmd) Run(env *Env) error {
	if c.Name == "deploy" {
		if c.ModelURI == "" || c.To == "" {
			return &exitError{code: ExitUsage, msg: "driftwatch: demo step deploy needs --model-uri and --to"}
		}
		if err := loop.Deploy(c.ModelURI, c.To); err != nil {
			return &exitError{code: ExitError, msg: "driftwatch: " + err.Error()}
		}
		return nil
	}
	step, err := demo.Step(c.Name)
	if err != nil {
		return &exitError{code: ExitUsage, msg: "driftwatch: " + err.Error()}
	}
	getenv, err := c.env(os.Getenv)
	if err != nil {
		return &exitError{code: ExitUsage, msg: "driftwatch: " + err.Error()}
	}
	if err := step(env.Ctx, getenv, env.Logger); err != nil {
		return &exitError{code: ExitError, msg: "driftwatch: demo step " + c.Name + ": " + err.Error()}
	}
	return nil
}

// env is the step contract with --data and --holdout added to the run's
// parameters. The demo trains on the recorder's most recent examples, so
// the run's data window is left out.
func (c *DemoStepCmd) env(getenv func(string) string) (func(string) string, error) {
	params := map[string]string{}
	if raw := getenv(demo.EnvParams); raw != "" {
		if err := json.Unmarshal([]byte(raw), &params); err != nil {
			return nil, fmt.Errorf("%s: %w", demo.EnvParams, err)
		}
	}
	if c.Data != "" {
		params[demo.ParamData] = c.Data
	}
	if c.Holdout != "" {
		params[demo.ParamHoldout] = c.Holdout
	}
	encoded, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	return func(name string) string {
		switch name {
		case demo.EnvParams:
			return string(encoded)
		case demo.EnvDataStart, demo.EnvDataEnd:
			return ""
		}
		return getenv(name)
	}, nil
}
