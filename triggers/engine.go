package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/store"
)

// Defaults of the engine, documented in docs/triggers.md.
const (
	// DefaultRetention is how long dedup keys, idempotency keys and
	// decisions are kept after they were last seen. It must exceed
	// Alertmanager's repeat_interval, or a long-firing alert whose key
	// was pruned would request a second run.
	DefaultRetention = 7 * 24 * time.Hour
	// FeatureAlertTTL is how long a firing per-feature alert counts
	// towards min_drifted_features without being sent again. Alertmanager
	// re-sends firing alerts every repeat_interval, so it must exceed
	// that; it bounds the error when a resolution is never delivered.
	FeatureAlertTTL = 24 * time.Hour
	// DefaultRunDeadline bounds a run's silence when
	// EngineOptions.RunDeadline is nil or knows no deadline. It equals
	// the default deadline of a pipeline.
	DefaultRunDeadline = 6 * time.Hour
	// pruneInterval is how often a write also prunes expired records.
	pruneInterval = time.Hour
)

// Silencer silences a model's alerts while one of its runs is in flight,
// so that the drift the run is fixing does not trigger it again. Package
// triggers/silence implements it with Alertmanager's API v2.
type Silencer interface {
	// SilenceModel silences the alerts named alertnames whose model label
	// is model until the given time, and returns the silence's ID.
	SilenceModel(ctx context.Context, model string, alertnames []string, until time.Time, comment string) (id string, err error)
	// Expire ends the silence with the given ID.
	Expire(ctx context.Context, id string) error
}

// Timer is a timer that RunSchedules waits on, so that tests can replace
// time.Timer with a fake clock.
type Timer interface {
	// C delivers the time when the timer fires.
	C() <-chan time.Time
	// Stop stops the timer, as time.Timer.Stop does.
	Stop() bool
}

// EngineOptions configure NewEngine. Store and Registerer are required.
type EngineOptions struct {
	// Config holds the trigger rules and the global concurrency limit.
	Config Config
	// Pipelines maps every pipeline's name to its model's name. Rules and
	// manual requests are checked against it.
	Pipelines map[string]string
	// Store holds triggers, decisions and runs. The engine does not close
	// it.
	Store *store.DB
	// Logger receives every decision; nil discards.
	Logger *slog.Logger
	// Registerer receives the engine's metrics.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewTimer makes the timers RunSchedules waits on; nil means real
	// timers. A fake clock provides both Now and NewTimer.
	NewTimer func(time.Duration) Timer
	// Silencer silences a model's alerts while a run is in flight; nil
	// means no silences.
	Silencer Silencer
	// SilenceAlerts are the alert names silenced for a run's model, such
	// as DriftwatchFeatureDrift and DriftwatchDatasetDrift. Empty means
	// no silences.
	SilenceAlerts []string
	// RunDeadline says how long a run of a pipeline may take; a run's
	// silence ends then at the latest. Nil, or a result of zero, means
	// DefaultRunDeadline.
	RunDeadline func(pipeline string) time.Duration
	// Retention overrides DefaultRetention when positive.
	Retention time.Duration
	// ResumeRunning keeps the runs that a previous process left running
	// as they are, for a pipeline runner that resumes them from its own
	// durable state and reports their end with Finish. Without it such
	// runs are marked failed when the engine starts.
	ResumeRunning bool
}

// Engine decides what each trigger does: alerts, schedules and manual
// requests become runs, or are suppressed, under the configured policies.
// It records every decision and run durably before it answers, and it is
// the queue that the pipeline runner takes runs from. It is safe for
// concurrent use.
type Engine struct {
	cfg         Config
	rules       []*compiledRule
	ruleByName  map[string]*compiledRule
	pipelines   map[string]string
	models      []string // sorted, unique
	db          *store.DB
	log         *slog.Logger
	now         func() time.Time
	newTimer    func(time.Duration) Timer
	silencer    Silencer
	alertnames  []string
	runDeadline func(string) time.Duration
	retention   time.Duration
	resume      bool
	metrics     *metrics

	version atomic.Uint64 // orders transactions, so snapshots never go back

	mu         sync.Mutex
	wake       chan struct{} // closed and replaced whenever runs change
	lastPrune  time.Time
	orphans    []string // silences of runs a restart interrupted
	snapshotAt uint64
}

// NewEngine checks the options, prepares the rules, registers the metrics
// and recovers from a previous process: runs it left running are marked
// failed (see docs/triggers.md).
func NewEngine(opts EngineOptions) (*Engine, error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	rules, err := compileRules(opts.Config.Rules, opts.Pipelines)
	if err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	e := &Engine{
		cfg:         opts.Config,
		rules:       rules,
		ruleByName:  map[string]*compiledRule{},
		pipelines:   opts.Pipelines,
		db:          opts.Store,
		log:         opts.Logger,
		now:         opts.Now,
		newTimer:    opts.NewTimer,
		silencer:    opts.Silencer,
		alertnames:  slices.Clone(opts.SilenceAlerts),
		runDeadline: opts.RunDeadline,
		retention:   opts.Retention,
		resume:      opts.ResumeRunning,
		wake:        make(chan struct{}),
	}
	for _, r := range rules {
		e.ruleByName[r.Name] = r
	}
	for _, m := range opts.Pipelines {
		e.models = append(e.models, m)
	}
	slices.Sort(e.models)
	e.models = slices.Compact(e.models)
	e.setDefaults()
	if e.metrics, err = newMetrics(opts.Registerer, e.models); err != nil {
		return nil, fmt.Errorf("triggers: registering metrics: %w", err)
	}
	if err := e.recover(); err != nil {
		return nil, err
	}
	return e, nil
}

func checkOptions(opts EngineOptions) error {
	var errs []error
	if opts.Store == nil {
		errs = append(errs, errors.New("triggers: EngineOptions.Store is required"))
	}
	if opts.Registerer == nil {
		errs = append(errs, errors.New("triggers: EngineOptions.Registerer is required"))
	}
	if err := opts.Config.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("triggers: invalid configuration: %w", err))
	}
	for p, m := range opts.Pipelines {
		if p == "" || m == "" {
			errs = append(errs, fmt.Errorf("triggers: EngineOptions.Pipelines: pipeline %q has model %q; both must be named", p, m))
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) setDefaults() {
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.newTimer == nil {
		e.newTimer = func(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }
	}
	if e.retention <= 0 {
		e.retention = DefaultRetention
	}
}

// realTimer adapts time.Timer to Timer.
type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// recover marks the runs that a previous process left running as failed,
// unless a pipeline runner resumes them (EngineOptions.ResumeRunning).
// Their steps may have done anything up to a deploy, so the engine does
// not run them again on its own; the cooldown starts, and their silences
// are expired by RunSchedules.
func (e *Engine) recover() error {
	if e.resume {
		return nil
	}
	var interrupted []Run
	_, err := e.update(context.Background(), "recover runs", func(t *txn) error {
		active, err := t.activeRuns()
		if err != nil {
			return err
		}
		for _, a := range active {
			if a.State != RunRunning {
				continue
			}
			run, err := t.run(a.ID)
			if err != nil {
				return err
			}
			if err := t.endRun(&run, RunFailed, restartedError); err != nil {
				return err
			}
			interrupted = append(interrupted, run)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range interrupted {
		e.log.Warn("run interrupted by a restart marked failed", "run_id", r.ID, "model", r.Model, "pipeline", r.Pipeline)
		if r.SilenceID != "" {
			e.orphans = append(e.orphans, r.SilenceID)
		}
	}
	return nil
}

// restartedError is the error of a run that was running when driftwatch
// stopped.
const restartedError = "driftwatch restarted while the run was running; it was marked failed and not started again"

// waitChan returns a channel that is closed the next time runs change.
func (e *Engine) waitChan() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wake
}

// runsChanged wakes the callers of Next.
func (e *Engine) runsChanged() {
	e.mu.Lock()
	defer e.mu.Unlock()
	close(e.wake)
	e.wake = make(chan struct{})
}

// modelLabel bounds the model label of metrics to the configured models:
// an unmatched alert may name any model.
func (e *Engine) modelLabel(model string) string {
	if _, ok := slices.BinarySearch(e.models, model); ok {
		return model
	}
	return unknownModel
}

// unknownModel is the model label of decisions about models that are not
// configured.
const unknownModel = "unknown"
