package source

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/drift"
)

// t0 is when the tests' events begin.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// testModel is a binary classifier with one numeric and one categorical
// feature, labels on, and count windows of size count (time windows of a
// minute when count is 0).
func testModel(source collectors.SourceType, count int) collectors.ModelConfig {
	cfg := collectors.ModelConfig{
		Name: "churn",
		Features: []collectors.FeatureConfig{
			{Name: "tenure", Type: drift.Numeric},
			{Name: "plan", Type: drift.Categorical},
		},
		Prediction: collectors.PredictionConfig{Kind: collectors.Binary, PositiveClass: "yes", Classes: []string{"no", "yes"}},
	}
	cfg.Prediction.SetDefaults()
	cfg.Label.SetDefaults()
	cfg.Label.Enabled = true
	cfg.Source.Type = source
	cfg.Source.Fields.SetDefaults()
	cfg.Source.Kafka.SetDefaults()
	cfg.Reference.SetDefaults()
	cfg.Window.SetDefaults()
	cfg.Window.MinEvents = 1
	if count > 0 {
		cfg.Window.Count = count
		cfg.Window.AllowedLateness = 0
	} else {
		cfg.Window.Size = time.Minute
		cfg.Window.AllowedLateness = 10 * time.Second
	}
	cfg.Drift.SetDefaults()
	cfg.Quality.SetDefaults()
	cfg.Quality.MinLabels = 1
	return cfg
}

// testProfile profiles a few rows of the test model's features.
func testProfile(t *testing.T, cfg collectors.ModelConfig) *drift.Profile {
	t.Helper()
	b, err := drift.NewProfileBuilder([]drift.FeatureSpec{{Name: "tenure", Type: drift.Numeric}, {Name: "plan", Type: drift.Categorical}}, drift.ProfileOptions{})
	require.NoError(t, err)
	for i := range 200 {
		b.Feature(0).AddNumeric(float64(i % 40))
		b.Feature(1).AddCategory([]string{"basic", "pro"}[i%2])
	}
	p, err := b.Build(cfg.Name, t0)
	require.NoError(t, err)
	return p
}

// env is a monitor with its store and the sources' metrics, on one
// registry.
type env struct {
	mon     *monitor.Monitor
	store   *monitor.Store
	reg     *prometheus.Registry
	metrics *Metrics
	cfg     collectors.ModelConfig
	// now is the monitor's wall clock; tests move it.
	now *time.Time
}

func newEnv(t *testing.T, cfg collectors.ModelConfig, cp monitor.Checkpointer) *env {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	store, err := monitor.NewStore(monitor.StoreOptions{Registerer: reg})
	require.NoError(t, err)
	metrics, err := NewMetrics(reg)
	require.NoError(t, err)
	if cp == nil {
		cp = monitor.NewMemoryCheckpointer()
	}
	now := t0.Add(24 * time.Hour)
	mon, err := monitor.New(context.Background(), monitor.Options{
		Config: cfg, Profile: testProfile(t, cfg), Store: store, Checkpointer: cp,
		Logger: discard(), Now: func() time.Time { return now },
		DisableIdleClose: cfg.Source.Type == collectors.SourceFile,
		// The label join is saved at every sync, so that commits do not
		// wait for it.
		JoinSaveInterval: -1,
	})
	require.NoError(t, err)
	return &env{mon: mon, store: store, reg: reg, metrics: metrics, cfg: cfg, now: &now}
}

func (e *env) snap(t *testing.T) *monitor.Snapshot {
	t.Helper()
	s, ok := e.store.Snapshot(e.cfg.Name)
	require.True(t, ok)
	return s
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// prediction returns the JSON of prediction event i at t.
func prediction(i int, t time.Time) string {
	class, score := "no", 0.2
	if i%3 == 0 {
		class, score = "yes", 0.8
	}
	return fmt.Sprintf(`{"id":"p%d","model":"churn","timestamp":%q,"features":{"tenure":%d,"plan":%q},"prediction":%q,"score":%v}`,
		i, t.Format(time.RFC3339Nano), i%40, []string{"basic", "pro"}[i%2], class, score)
}

// label returns the JSON of the label of prediction i, at t.
func label(i int, t time.Time, class string) string {
	return fmt.Sprintf(`{"id":"p%d","timestamp":%q,"label":%q}`, i, t.Format(time.RFC3339Nano), class)
}

func writeFile(t *testing.T, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return path
}

// metric returns the value of one series of the registry.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
				}
				if !found {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

// TestMetricsLint checks the sources' metrics against the Prometheus
// naming conventions.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	require.NoError(t, err)
	m.initFile("a")
	m.initKafka("b")
	for _, c := range []prometheus.Collector{m.ready, m.replayFinished, m.commits, m.commitErrors, m.deadLetters, m.deadLetterErrors} {
		problems, err := testutil.CollectAndLint(c)
		require.NoError(t, err)
		require.Empty(t, problems)
	}
	_, err = NewMetrics(reg)
	require.ErrorContains(t, err, "source: register metrics")
	m.Forget("b")
	require.Zero(t, testutil.CollectAndCount(m.deadLetters))
}
