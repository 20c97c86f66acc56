package triggers_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/store"
	"github.com/driftwatch/driftwatch/triggers"
)

// t0 is the fake clock's start: a Monday, 10:30 UTC.
var t0 = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

const (
	credit = "credit-risk"
	churn  = "churn"
)

var testPipelines = map[string]string{
	"retrain-credit": credit,
	"retrain-churn":  churn,
	"finetune-churn": churn,
}

// rule returns a rule with the configuration defaults, changed by opts.
func rule(name, pipeline string, opts ...func(*triggers.Rule)) triggers.Rule {
	r := triggers.Rule{Name: name, Pipeline: pipeline}
	r.SetDefaults()
	for _, o := range opts {
		o(&r)
	}
	return r
}

func matchAlert(alertname, model string) func(*triggers.Rule) {
	return func(r *triggers.Rule) { r.Match = map[string]string{"alertname": alertname, "model": model} }
}

// config returns a configuration with the given global limit and rules.
func config(maxRuns int, rules ...triggers.Rule) triggers.Config {
	return triggers.Config{MaxConcurrentRuns: maxRuns, Rules: rules}
}

// driftRules select feature drift alerts of both models.
func driftRules(opts ...func(*triggers.Rule)) []triggers.Rule {
	return []triggers.Rule{
		rule("credit-drift", "retrain-credit", append([]func(*triggers.Rule){matchAlert("DriftwatchFeatureDrift", credit)}, opts...)...),
		rule("churn-drift", "retrain-churn", append([]func(*triggers.Rule){matchAlert("DriftwatchFeatureDrift", churn)}, opts...)...),
	}
}

// fakeClock is a clock whose timers fire when the test says so. Every
// timer it makes is sent on timers, so a test knows when a loop waits.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers chan *fakeTimer
}

func newClock() *fakeClock { return &fakeClock{now: t0, timers: make(chan *fakeTimer, 16)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

func (c *fakeClock) NewTimer(d time.Duration) triggers.Timer {
	ft := &fakeTimer{at: c.Now().Add(d), ch: make(chan time.Time, 1)}
	c.timers <- ft
	return ft
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }
func (t *fakeTimer) Stop() bool          { return true }
func (t *fakeTimer) fire()               { t.ch <- t.at }

// fakeSilencer records the calls the engine makes, and fails when told.
type fakeSilencer struct {
	mu                   sync.Mutex
	created              []silenceCall
	expired              []string
	failCreate, failExpr bool
}

type silenceCall struct {
	Model      string
	Alertnames []string
	Until      time.Time
	ID         string
}

func (s *fakeSilencer) SilenceModel(_ context.Context, model string, alertnames []string, until time.Time, _ string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failCreate {
		return "", errors.New("alertmanager unreachable")
	}
	id := "silence-" + string(rune('a'+len(s.created)))
	s.created = append(s.created, silenceCall{Model: model, Alertnames: slices.Clone(alertnames), Until: until, ID: id})
	return id, nil
}

func (s *fakeSilencer) Expire(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failExpr {
		return errors.New("alertmanager unreachable")
	}
	s.expired = append(s.expired, id)
	return nil
}

var _ triggers.Silencer = (*fakeSilencer)(nil)

// fixture is an engine over a real bbolt file, with a fake clock and
// silencer.
type fixture struct {
	t        *testing.T
	path     string
	cfg      triggers.Config
	db       *store.DB
	reg      *prometheus.Registry
	clock    *fakeClock
	silencer *fakeSilencer
	engine   *triggers.Engine
	// resume makes the engine leave running runs to a resuming runner.
	resume bool
}

func newFixture(t *testing.T, cfg triggers.Config) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "driftwatch.db"), cfg: cfg, clock: newClock(), silencer: &fakeSilencer{}}
	f.open()
	t.Cleanup(func() { _ = f.db.Close() })
	return f
}

// open opens the store and starts a new engine over it, as a restarted
// process would.
func (f *fixture) open() {
	f.t.Helper()
	db, err := store.Open(f.path, store.Options{})
	require.NoError(f.t, err)
	f.db, f.reg = db, prometheus.NewPedanticRegistry()
	f.engine, err = triggers.NewEngine(triggers.EngineOptions{
		Config:        f.cfg,
		Pipelines:     testPipelines,
		Store:         db,
		Registerer:    f.reg,
		Now:           f.clock.Now,
		NewTimer:      f.clock.NewTimer,
		Silencer:      f.silencer,
		SilenceAlerts: []string{"DriftwatchFeatureDrift", "DriftwatchDatasetDrift"},
		RunDeadline:   func(string) time.Duration { return 2 * time.Hour },
		ResumeRunning: f.resume,
	})
	require.NoError(f.t, err)
}

// restart closes the store and opens it again with a new engine.
func (f *fixture) restart() {
	f.t.Helper()
	require.NoError(f.t, f.db.Close())
	f.open()
}

func (f *fixture) notify(n triggers.Notification) []triggers.Decision {
	f.t.Helper()
	ds, err := f.engine.Notify(context.Background(), n)
	require.NoError(f.t, err)
	return ds
}

func (f *fixture) request(r triggers.ManualRequest) triggers.Decision {
	f.t.Helper()
	d, err := f.engine.Request(context.Background(), r)
	require.NoError(f.t, err)
	return d
}

// next takes the next run, which must be startable now.
func (f *fixture) next() triggers.Run {
	f.t.Helper()
	run, ok := f.tryNext()
	require.True(f.t, ok, "no run could start")
	return run
}

// tryNext takes the next run if one may start now, without waiting.
func (f *fixture) tryNext() (triggers.Run, bool) {
	f.t.Helper()
	run, ok, err := f.engine.TryNext(context.Background())
	require.NoError(f.t, err)
	return run, ok
}

func (f *fixture) finish(id string, state triggers.RunState) {
	f.t.Helper()
	require.NoError(f.t, f.engine.Finish(context.Background(), id, state, ""))
}

func (f *fixture) runs(filter triggers.RunFilter) []triggers.Run {
	f.t.Helper()
	runs, err := f.engine.Runs(context.Background(), filter)
	require.NoError(f.t, err)
	return runs
}

func (f *fixture) decisions() []triggers.Decision {
	f.t.Helper()
	ds, err := f.engine.Decisions(context.Background(), 0)
	require.NoError(f.t, err)
	return ds
}

// value returns the value of the series of a metric with exactly these
// labels, or fails.
func (f *fixture) value(name string, labels map[string]string) float64 {
	f.t.Helper()
	families, err := f.reg.Gather()
	require.NoError(f.t, err)
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if sameLabels(m.GetLabel(), labels) {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	f.t.Fatalf("no series %s%v", name, labels)
	return 0
}

func sameLabels(pairs []*dto.LabelPair, want map[string]string) bool {
	if len(pairs) != len(want) {
		return false
	}
	for _, p := range pairs {
		if want[p.GetName()] != p.GetValue() {
			return false
		}
	}
	return true
}

func (f *fixture) decisionCount(model string, origin triggers.Origin, outcome triggers.Outcome) float64 {
	f.t.Helper()
	return f.value("driftwatch_trigger_decisions_total", map[string]string{"model": model, "origin": string(origin), "outcome": string(outcome)})
}

// groupKey is the group key Alertmanager gives the drift alerts of model.
func groupKey(model string) string {
	return `{}/{alertname=~"Driftwatch.+"}:{alertname="DriftwatchFeatureDrift", model="` + model + `"}`
}

// featureAlert is a firing per-feature drift alert, as the generated
// rules raise it, with its fingerprint left for the engine to compute.
func featureAlert(model, feature string, startsAt time.Time) triggers.Alert {
	return triggers.Alert{
		Status: triggers.AlertFiring,
		Labels: map[string]string{
			"alertname": "DriftwatchFeatureDrift", "model": model, "feature": feature,
			"method": "psi", "severity": "warning",
		},
		Annotations: map[string]string{"summary": "Feature " + feature + " of model " + model + " drifted"},
		StartsAt:    startsAt,
	}
}

func resolved(a triggers.Alert) triggers.Alert {
	a.Status = triggers.AlertResolved
	a.EndsAt = a.StartsAt.Add(time.Hour)
	return a
}

func notification(model string, alerts ...triggers.Alert) triggers.Notification {
	return triggers.Notification{Origin: triggers.OriginAlertmanager, GroupKey: groupKey(model), Receiver: "driftwatch", Alerts: alerts}
}

func outcomes(ds []triggers.Decision) []triggers.Outcome {
	out := make([]triggers.Outcome, len(ds))
	for i, d := range ds {
		out[i] = d.Outcome
	}
	return out
}
