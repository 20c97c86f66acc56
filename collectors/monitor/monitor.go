package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift"
)

// Monitor is the monitoring state machine of one model: its open windows,
// its label join, the positions of the events it holds and the results it
// has yet to publish.
//
// A Monitor is not safe for concurrent use: a source calls Observe,
// Reject, Sync, Flush and Revoke from one goroutine. What it publishes is
// read through its Store, from any goroutine.
type Monitor struct {
	cfg  collectors.ModelConfig
	log  *slog.Logger
	now  func() time.Time
	skew int64 // nanoseconds; negative when off
	cp   Checkpointer

	eval    *drift.Evaluator
	columns []column
	// featuresFromPredictions reports that prediction events carry the
	// features; when features travel on their own stream they do not.
	featuresFromPredictions bool

	parts   *partitions
	drift   windower[*drift.Window]
	quality windower[*qualityAcc]
	join    *joiner // nil when labels are off
	pairing *pairing
	closedD []*slot[*drift.Window] // scratch
	closedQ []*slot[*qualityAcc]   // scratch

	counts   counts
	reasons  map[event.Reason]int
	pending  pending
	saved    Checkpoint
	joinSave joinSave

	lastDrift   *drift.Report
	lastQuality *QualityReport
	// version is the model version whose events the monitor judges now,
	// and versionWindows the windows of each kind published since it took
	// over; driftVersion and qualityVersion are the versions of the
	// latest published windows.
	version                      string
	versionWindows               [len(windowKinds)]uint64
	driftVersion, qualityVersion string
	profile                      *drift.Profile
	seed                         uint64
	store                        *Store
	entry                        *entry
}

// column is where a configured feature's values go in a drift window.
type column struct {
	index    int // in the profile
	numeric  bool
	disabled bool
}

// pending holds what windows closed since the last Sync, to be published
// once their close is durable.
type pending struct {
	windows     [len(windowKinds)][len(windowOutcomes)]uint64
	events      [len(windowKinds)]uint64
	lastDrift   *drift.Report
	lastQuality *QualityReport
	// The versions of the windows above, and how many closed under the
	// current version.
	driftVersion, qualityVersion string
	versionWindows               [len(windowKinds)]uint64
}

// New builds the monitor of one model, loads its checkpoint and registers
// it with the store, which then exports the model's metrics. A model can
// have only one monitor in a store at a time; Close removes it.
func New(ctx context.Context, opts Options) (*Monitor, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("monitor for model %q: %w", opts.Config.Name, err)
	}
	cfg := opts.Config
	m := &Monitor{
		cfg:                     cfg,
		log:                     opts.Logger.With("model", cfg.Name),
		now:                     opts.Now,
		skew:                    int64(opts.MaxFutureSkew),
		cp:                      opts.Checkpointer,
		parts:                   newPartitions(),
		featuresFromPredictions: !(cfg.Source.Type == collectors.SourceKafka && cfg.Source.Kafka.Topics.Features != ""),
		reasons:                 map[event.Reason]int{},
		store:                   opts.Store,
		version:                 opts.Config.Version,
		seed:                    opts.Seed,
		joinSave:                joinSave{every: int64(opts.JoinSaveInterval), last: opts.Now().UnixNano()},
	}
	for i, r := range Reasons() {
		m.reasons[r] = i
	}
	m.counts.rejections = make([]uint64, len(Reasons()))
	m.counts.delay.buckets = make([]uint64, len(delayBuckets)+1)
	if err := m.build(opts); err != nil {
		return nil, fmt.Errorf("monitor for model %q: %w", cfg.Name, err)
	}
	if err := m.restore(ctx); err != nil {
		return nil, fmt.Errorf("monitor for model %q: %w", cfg.Name, err)
	}
	if err := m.restoreJoin(ctx); err != nil {
		return nil, fmt.Errorf("monitor for model %q: %w", cfg.Name, err)
	}
	e, err := opts.Store.add(cfg.Name, opts.Lag)
	if err != nil {
		return nil, fmt.Errorf("monitor for model %q: %w", cfg.Name, err)
	}
	m.entry = e
	m.publish()
	return m, nil
}

// build sets up the evaluator, the windows and the label join.
func (m *Monitor) build(opts Options) error {
	cfg, p := opts.Config, opts.Profile
	eval, err := drift.NewEvaluator(p, evaluateOptions(cfg))
	if err != nil {
		return err
	}
	m.eval, m.profile = eval, p
	m.setColumns(p)
	wopts := drift.WindowOptions{SampleSize: cfg.Reference.SampleSize, Seed: opts.Seed}
	m.drift = windower[*drift.Window]{
		name: string(DriftWindow), log: m.log,
		size: int64(cfg.Window.Size), lateness: int64(cfg.Window.AllowedLateness), count: int64(cfg.Window.Count),
		maxOpen: opts.MaxOpenWindows, idle: !opts.DisableIdleClose, closedUntil: unbounded,
		newAcc:   func() (*drift.Window, error) { return drift.NewWindow(p, wopts) },
		resetAcc: (*drift.Window).Reset,
	}
	// Build one window now, so that a profile the accumulators cannot use
	// fails here rather than on the first event.
	s, err := m.drift.get()
	if err != nil {
		return err
	}
	m.drift.release(s)
	if !cfg.Label.Enabled {
		return nil
	}
	m.pairing = newPairing(cfg, opts.ScoreCapacity, opts.Seed)
	m.join = newJoiner(int64(cfg.Label.TTL), cfg.Label.MaxEntries, &m.counts.join)
	m.quality = windower[*qualityAcc]{
		name: string(QualityWindow), log: m.log,
		size: m.drift.size, lateness: m.drift.lateness, count: m.drift.count,
		maxOpen: opts.MaxOpenWindows, idle: m.drift.idle, closedUntil: unbounded,
		newAcc:   m.pairing.newAcc,
		resetAcc: (*qualityAcc).reset,
	}
	return nil
}

// setColumns maps the configured features to their columns in profile p.
func (m *Monitor) setColumns(p *drift.Profile) {
	m.columns = m.columns[:0]
	for _, f := range m.cfg.Features {
		i, _ := p.FeatureIndex(f.Name)
		m.columns = append(m.columns, column{index: i, numeric: f.Type == drift.Numeric, disabled: f.Drift.Disabled})
	}
}

// restore loads the checkpoint: events before its marks belong to windows
// that were published before a restart.
func (m *Monitor) restore(ctx context.Context) error {
	cp, ok, err := m.cp.Load(ctx, m.cfg.Name)
	if err != nil || !ok {
		return err
	}
	m.saved = cp
	restoreMark(&m.drift, cp.Drift, m.parts)
	if m.join != nil {
		restoreMark(&m.quality, cp.Quality, m.parts)
	}
	m.log.Info("checkpoint loaded", "drift_closed_until", cp.Drift.ClosedUntil, "quality_closed_until", cp.Quality.ClosedUntil,
		"drift_partitions", len(cp.Drift.Through), "quality_partitions", len(cp.Quality.Through))
	return nil
}

// restoreJoin loads the saved label join. A model that no longer joins
// labels ignores it.
func (m *Monitor) restoreJoin(ctx context.Context) error {
	if m.join == nil {
		return nil
	}
	data, ok, err := m.cp.LoadJoin(ctx, m.cfg.Name)
	if err != nil || !ok {
		return err
	}
	if err := m.decodeJoin(data); err != nil {
		return fmt.Errorf("restore the saved label join: %w", err)
	}
	m.log.Info("label join restored", "predictions", m.join.len())
	return nil
}

// Close removes the model from its store, so that its metrics disappear.
// Call it when the model is removed from the configuration. Open windows
// are dropped unpublished.
func (m *Monitor) Close() error {
	if !m.store.remove(m.cfg.Name, m.entry) {
		return errors.New("monitor: model was already removed from its store")
	}
	return nil
}
