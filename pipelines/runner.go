package pipelines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/config/secret"
	"github.com/driftwatch/driftwatch/store"
)

// Defaults of the Options that may be left zero.
const (
	// DefaultVerifyInterval is how often verification polls the Observer.
	DefaultVerifyInterval = 10 * time.Second
	// DefaultApprovalWindow is how long after its rejection a run may be
	// approved.
	DefaultApprovalWindow = 7 * 24 * time.Hour
	// DefaultMaxInterruptions is how many restarts in a row one attempt
	// may span before its step fails.
	DefaultMaxInterruptions = 3
)

// Options configure NewRunner. Pipelines, Store, Source, Switcher,
// Observer, Executors, Dir and Registerer are required.
type Options struct {
	// Pipelines are the validated pipelines to run.
	Pipelines []Pipeline
	// Store holds the runs and the registry.
	Store *store.DB
	// Source hands out runs and takes their outcomes.
	Source Source
	// Switcher points the monitor at a deployed version.
	Switcher Switcher
	// Observer reports what the monitor sees of a deployed version.
	Observer Observer
	// Executors run steps, by pipeline executor. The local executor also
	// runs the deploy commands, so it is always required.
	Executors map[ExecutorType]Executor
	// Deployers put versions into service for the deploy targets other
	// than command. A pipeline whose target has none is refused; a canary
	// needs a Promoter.
	Deployers map[DeployTarget]Deployer
	// Dir is where each run keeps its logs, results and artifacts:
	// Dir/runs/<run-id>/.
	Dir string
	// ConfigDir is the configuration file's directory: relative work_dir
	// values are taken from it, and it is the working directory of deploy
	// commands and of steps without work_dir. Empty means the working
	// directory of the process.
	ConfigDir string
	// Secrets resolves steps' secret_env. The zero value reads the
	// process environment and the file system.
	Secrets secret.Resolver
	// Window returns the last monitoring window of a model at a time; a
	// run's data window defaults to it. Nil leaves the default window
	// empty.
	Window func(model string, at time.Time) Window
	// Registerer gets the Runner's metrics.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Now and NewTimer are the clock: timestamps, backoffs and the verify
	// period. Step timeouts and the pipeline deadline are enforced in real
	// time. They default to time.Now and time.NewTimer.
	Now      func() time.Time
	NewTimer func(time.Duration) Timer
	// VerifyInterval overrides DefaultVerifyInterval when positive.
	VerifyInterval time.Duration
	// ApprovalWindow overrides DefaultApprovalWindow when positive.
	ApprovalWindow time.Duration
	// MaxInterruptions overrides DefaultMaxInterruptions when positive.
	MaxInterruptions int
}

// Runner takes runs from its Source and drives each through train,
// evaluate, gate, deploy and verify, persisting every transition before
// acting on it. It is safe for concurrent use.
type Runner struct {
	opts      Options
	pipelines map[string]Pipeline
	models    []string
	registry  *Registry
	metrics   *metrics
	log       *slog.Logger
	now       func() time.Time

	mu       sync.Mutex
	started  bool
	ctx      context.Context                    // Run's context, once Run is called
	active   map[string]context.CancelCauseFunc // drivers by run ID
	again    map[string]bool                    // drivers to read their run once more
	wg       sync.WaitGroup
	locks    map[string]chan struct{}
	inFlight map[string][2]string // run ID -> model, state
}

// runID checks Request IDs: they become parts of step names and paths.
var runID = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// NewRunner checks the options, registers the metrics and returns a
// Runner. It fails for executors and deploy targets that this build does
// not support, and for templates that cannot render.
func NewRunner(opts Options) (*Runner, error) {
	opts = opts.withDefaults()
	if err := opts.check(); err != nil {
		return nil, err
	}
	r := &Runner{
		opts: opts, pipelines: map[string]Pipeline{}, log: opts.Logger, now: opts.Now,
		registry: NewRegistry(opts.Store, opts.Now),
		active:   map[string]context.CancelCauseFunc{}, again: map[string]bool{}, locks: map[string]chan struct{}{}, inFlight: map[string][2]string{},
	}
	for _, p := range opts.Pipelines {
		r.pipelines[p.Name] = p
		r.models = append(r.models, p.Model)
	}
	slices.Sort(r.models)
	r.models = slices.Compact(r.models)
	var err error
	if r.metrics, err = newMetrics(opts.Registerer, opts.Pipelines, r.registry, r.log); err != nil {
		return nil, fmt.Errorf("pipelines: registering metrics: %w", err)
	}
	if err := r.loadInFlight(); err != nil {
		return nil, fmt.Errorf("pipelines: reading runs: %w", err)
	}
	return r, nil
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewTimer == nil {
		o.NewTimer = newRealTimer
	}
	if o.VerifyInterval <= 0 {
		o.VerifyInterval = DefaultVerifyInterval
	}
	if o.ApprovalWindow <= 0 {
		o.ApprovalWindow = DefaultApprovalWindow
	}
	if o.MaxInterruptions <= 0 {
		o.MaxInterruptions = DefaultMaxInterruptions
	}
	return o
}

// check reports every problem with the options at once.
func (o Options) check() error {
	var errs []error
	for name, missing := range map[string]bool{
		"Store": o.Store == nil, "Source": o.Source == nil, "Switcher": o.Switcher == nil,
		"Observer": o.Observer == nil, "Dir": o.Dir == "", "Registerer": o.Registerer == nil,
	} {
		if missing {
			errs = append(errs, fmt.Errorf("pipelines: Options.%s is required", name))
		}
	}
	if o.Executors[ExecutorLocal] == nil {
		errs = append(errs, errors.New("pipelines: Options.Executors needs the local executor, which also runs deploy commands"))
	}
	seen := map[string]bool{}
	for _, p := range o.Pipelines {
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("pipelines: pipeline %s is given twice", p.Name))
		}
		seen[p.Name] = true
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("pipelines: pipeline %s: %w", p.Name, err))
			continue
		}
		if err := Supported(p, o.Executors, o.Deployers); err != nil {
			errs = append(errs, err)
		}
		if err := checkTemplates(p); err != nil {
			errs = append(errs, err)
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// Supported reports a pipeline whose executor or deploy target has nothing
// to run it among executors and deployers. NewRunner refuses such a
// pipeline when it is built rather than in the middle of a run; callers
// use it to leave such pipelines out beforehand.
func Supported(p Pipeline, executors map[ExecutorType]Executor, deployers map[DeployTarget]Deployer) error {
	var errs []error
	if executors[p.Executor] == nil && p.Executor != ExecutorLocal { // A missing local executor is reported once.
		errs = append(errs, fmt.Errorf("pipelines: pipeline %s: executor %s is not available (Options.Executors has none)", p.Name, p.Executor))
	}
	d := deployers[p.Deploy.Target]
	switch _, promotes := d.(Promoter); {
	case p.Deploy.Target == DeployCommand:
	case d == nil:
		errs = append(errs, fmt.Errorf("pipelines: pipeline %s: deploy target %s is not available (Options.Deployers has none)", p.Name, p.Deploy.Target))
	case p.Deploy.Canary() && !promotes:
		errs = append(errs, fmt.Errorf("pipelines: pipeline %s: the deployer of target %s cannot promote a canary", p.Name, p.Deploy.Target))
	}
	return errors.Join(errs...)
}

// Registry returns the model registry the Runner keeps.
func (r *Runner) Registry() *Registry { return r.registry }

// Run resumes every run that a previous process left in flight, reports
// the ends it left unreported, then takes runs from the Source until ctx
// ends. It returns after every run it drives has stopped; steps that were
// running are stopped and resume when Run is called again, by this
// process or the next. Run may be called once.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("pipelines: Runner.Run called twice")
	}
	r.started, r.ctx = true, ctx
	r.mu.Unlock()
	defer r.wg.Wait()
	if err := r.resume(ctx); err != nil {
		return err
	}
	backoff := time.Duration(0)
	for {
		req, err := r.opts.Source.Next(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			backoff = min(max(2*backoff, time.Second), 30*time.Second)
			r.log.Error("could not take the next run; retrying", "err", err, "retry_in", backoff)
			_ = sleep(ctx, r.opts.NewTimer, backoff)
			continue
		}
		backoff = 0
		r.accept(ctx, req)
	}
}

// resume starts a driver for every run in flight and for every ended run
// whose end was not reported, and finishes manual rollbacks in flight.
func (r *Runner) resume(ctx context.Context) error {
	var ids []string
	err := r.opts.Store.View(func(tx *store.Tx) error {
		return tx.ForEach(bucketRuns, func(rec store.Record) error {
			var run Run
			if err := rec.Decode(&run); err != nil {
				return err
			}
			if !run.State.Terminal() || run.Reported == nil {
				ids = append(ids, run.ID)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("pipelines: reading runs to resume: %w", err)
	}
	for _, id := range ids {
		r.log.Info("resuming run", "run_id", id)
		r.spawn(id)
	}
	return r.resumeRollbacks(ctx)
}
