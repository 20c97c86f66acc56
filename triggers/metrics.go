package triggers

import (
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Operations of the silence error counter.
const (
	silenceCreate = "create"
	silenceExpire = "expire"
)

// metrics are the engine's metrics. docs/metrics.md describes them.
type metrics struct {
	decisions     *prometheus.CounterVec
	runsFinished  *prometheus.CounterVec
	silenceErrors *prometheus.CounterVec
	storeErrors   prometheus.Counter
	runs          *runsCollector
}

func newMetrics(reg prometheus.Registerer, models []string) (*metrics, error) {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_trigger_decisions_total",
			Help: "Trigger decisions, by model, origin of the trigger and outcome. Models that are not configured count as model=\"unknown\".",
		}, []string{"model", "origin", "outcome"}),
		runsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_trigger_runs_finished_total",
			Help: "Runs that ended, by model and final state.",
		}, []string{"model", "state"}),
		silenceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_trigger_silence_errors_total",
			Help: "Silences that could not be created or expired while runs went on, by operation.",
		}, []string{"operation"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "driftwatch_trigger_store_errors_total",
			Help: "Transactions of the trigger engine that failed in the store; nothing of them was recorded.",
		}),
		runs: newRunsCollector(models),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.decisions, m.runsFinished, m.silenceErrors, m.storeErrors, m.runs} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m.init(models)
	return m, nil
}

// plausible lists the outcomes each origin can have, so that the series
// exist at zero from the start.
var plausible = map[Origin][]Outcome{
	OriginAlertmanager: allOutcomes,
	OriginEmbedded:     allOutcomes,
	OriginSchedule:     {OutcomeStarted, OutcomeQueued, OutcomeDeduplicated, OutcomeCooldown, OutcomeConcurrency},
	OriginManual:       {OutcomeStarted, OutcomeQueued, OutcomeDeduplicated, OutcomeConcurrency},
}

var allOutcomes = []Outcome{
	OutcomeStarted, OutcomeQueued, OutcomeDeduplicated, OutcomeCooldown, OutcomeConcurrency,
	OutcomeTooFewFeatures, OutcomeUnmatched, OutcomeCancelled, OutcomeResolved,
}

func (m *metrics) init(models []string) {
	for _, model := range models {
		for origin, outcomes := range plausible {
			for _, o := range outcomes {
				m.decisions.WithLabelValues(model, string(origin), string(o))
			}
		}
		for _, s := range runStates {
			if s.Finished() {
				m.runsFinished.WithLabelValues(model, string(s))
			}
		}
	}
	for _, origin := range []Origin{OriginAlertmanager, OriginEmbedded} {
		for _, o := range []Outcome{OutcomeUnmatched, OutcomeDeduplicated, OutcomeResolved} {
			m.decisions.WithLabelValues(unknownModel, string(origin), string(o))
		}
	}
	m.silenceErrors.WithLabelValues(silenceCreate)
	m.silenceErrors.WithLabelValues(silenceExpire)
}

// runsCollector exports the queued and running runs per model from a
// snapshot taken when a transaction commits, so a scrape never reads the
// store.
type runsCollector struct {
	desc   *prometheus.Desc
	models []string // configured: always exported, at zero if idle

	mu     sync.Mutex
	counts map[string]map[RunState]int
}

func newRunsCollector(models []string) *runsCollector {
	return &runsCollector{
		desc: prometheus.NewDesc("driftwatch_trigger_runs",
			"Runs queued or running, by model and state.", []string{"model", "state"}, nil),
		models: models,
		counts: map[string]map[RunState]int{},
	}
}

// set replaces the snapshot with the given active runs.
func (c *runsCollector) set(active []activeRun) {
	counts := map[string]map[RunState]int{}
	for _, a := range active {
		if counts[a.Model] == nil {
			counts[a.Model] = map[RunState]int{}
		}
		counts[a.Model][a.State]++
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = counts
}

// Describe implements prometheus.Collector.
func (c *runsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *runsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	counts := c.counts
	c.mu.Unlock()
	models := slices.Clone(c.models)
	for m := range maps.Keys(counts) {
		if !slices.Contains(models, m) {
			models = append(models, m)
		}
	}
	for _, m := range models {
		for _, s := range []RunState{RunQueued, RunRunning} {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[m][s]), m, string(s))
		}
	}
}
