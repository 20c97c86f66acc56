package pipelines

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of step attempts, as the step duration histogram labels them.
const (
	resultSucceeded   = "succeeded"
	resultFailed      = "failed"
	resultTimedOut    = "timed_out"
	resultCancelled   = "cancelled"
	resultInterrupted = "interrupted"
)

// Kinds of deploys, as driftwatch_model_deploys_total labels them.
const (
	deployKindDeploy   = "deploy"
	deployKindRollback = "rollback"
)

// metrics are the Runner's metrics. Label values are bounded: models,
// pipelines, steps, states and outcomes come from the configuration and
// this package, never from run IDs or errors.
type metrics struct {
	runs            *prometheus.CounterVec
	stepDuration    *prometheus.HistogramVec
	triggerToDeploy *prometheus.HistogramVec
	inFlight        *prometheus.GaugeVec
	deploys         *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, pipelines []Pipeline, registry *Registry, log *slog.Logger) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_pipeline_runs_total",
			Help: "Pipeline runs that ended, by outcome. A rejected run that an operator approves counts again with its final outcome.",
		}, []string{"model", "pipeline", "outcome"}),
		stepDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "driftwatch_pipeline_step_duration_seconds",
			Help:    "Duration of step attempts (train, evaluate, deploy, promote, rollback), by result.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800},
		}, []string{"model", "pipeline", "step", "result"}),
		triggerToDeploy: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "driftwatch_pipeline_trigger_to_deploy_seconds",
			Help:    "Time from the trigger that requested a run to its new version serving.",
			Buckets: []float64{60, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400, 259200},
		}, []string{"model", "pipeline"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "driftwatch_pipeline_runs_in_flight",
			Help: "Runs in flight, by state.",
		}, []string{"model", "state"}),
		deploys: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_model_deploys_total",
			Help: "Model versions put into service, by kind: deploy of a new version, or rollback to an earlier one.",
		}, []string{"model", "kind"}),
	}
	for _, c := range []prometheus.Collector{m.runs, m.stepDuration, m.triggerToDeploy, m.inFlight, m.deploys, newChampionCollector(registry, log)} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, p := range pipelines {
		for _, o := range []Outcome{OutcomeSucceeded, OutcomeRejected, OutcomeFailed, OutcomeCancelled, OutcomeRolledBack} {
			m.runs.WithLabelValues(p.Model, p.Name, string(o))
		}
		for _, s := range activeStates {
			m.inFlight.WithLabelValues(p.Model, string(s))
		}
		m.deploys.WithLabelValues(p.Model, deployKindDeploy)
		m.deploys.WithLabelValues(p.Model, deployKindRollback)
		// The histograms exist from the start too, so that Prometheus sees
		// the first observation after a restart as an increase.
		m.triggerToDeploy.WithLabelValues(p.Model, p.Name)
		for _, step := range []string{StepTrain, StepEvaluate, StepDeploy, StepRollback} {
			m.stepDuration.WithLabelValues(p.Model, p.Name, step, resultSucceeded)
		}
	}
	return m, nil
}

// setInFlight sets the in-flight gauge from counts by model and state;
// states without runs are set to zero.
func (m *metrics) setInFlight(models []string, counts map[[2]string]int) {
	for _, model := range models {
		for _, s := range activeStates {
			m.inFlight.WithLabelValues(model, string(s)).Set(float64(counts[[2]string{model, string(s)}]))
		}
	}
}

// championCollector exports driftwatch_model_champion_info from the
// registry at each scrape, so a replaced champion disappears at once.
type championCollector struct {
	registry *Registry
	log      *slog.Logger
	desc     *prometheus.Desc
}

func newChampionCollector(r *Registry, log *slog.Logger) *championCollector {
	return &championCollector{registry: r, log: log, desc: prometheus.NewDesc(
		"driftwatch_model_champion_info",
		"The serving version of each model: 1 for the champion.",
		[]string{"model", "version"}, nil)}
}

// Describe sends the one descriptor.
func (c *championCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect reads the champions from the registry. A failure to read is
// logged and yields no series, rather than failing the whole scrape.
func (c *championCollector) Collect(ch chan<- prometheus.Metric) {
	models, err := c.registry.Models()
	if err != nil {
		c.log.Warn("could not read the champions for driftwatch_model_champion_info", "err", err)
		return
	}
	for _, m := range models {
		if m.Champion != "" {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, 1, m.Name, m.Champion)
		}
	}
}
