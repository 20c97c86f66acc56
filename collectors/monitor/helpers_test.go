package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// t0 is the start of a minute, where the tests' streams begin.
var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// model describes a synthetic binary classifier: numeric features n0, n1,
// ... drawn from N(0, 1), categorical features c0, c1, ... drawn from a,
// b and c with weights 0.5, 0.3 and 0.2, and a predicted class yes or no.
type model struct {
	numeric, categorical int
}

func (md model) config() collectors.ModelConfig {
	cfg := collectors.ModelConfig{Name: "churn", Version: "v1"}
	for i := range md.numeric {
		cfg.Features = append(cfg.Features, collectors.FeatureConfig{Name: "n" + strconv.Itoa(i), Type: drift.Numeric})
	}
	for j := range md.categorical {
		cfg.Features = append(cfg.Features, collectors.FeatureConfig{Name: "c" + strconv.Itoa(j), Type: drift.Categorical})
	}
	cfg.Prediction = collectors.PredictionConfig{Kind: collectors.Binary, PositiveClass: "yes", Classes: []string{"no", "yes"}}
	cfg.Prediction.SetDefaults()
	cfg.Label.SetDefaults()
	cfg.Source.Type = collectors.SourceKafka
	cfg.Source.Fields.SetDefaults()
	cfg.Reference.SetDefaults()
	cfg.Window.SetDefaults()
	cfg.Window.Size = time.Minute
	cfg.Window.AllowedLateness = 10 * time.Second
	cfg.Window.MinEvents = 1
	cfg.Drift.SetDefaults()
	cfg.Quality.SetDefaults()
	return cfg
}

// withLabels turns on the label join with accuracy and ROC AUC.
func withLabels(cfg collectors.ModelConfig, minLabels int) collectors.ModelConfig {
	cfg.Label.Enabled = true
	cfg.Quality.MinLabels = minLabels
	cfg.Quality.Metrics = []collectors.QualityMetricConfig{
		{Metric: quality.Accuracy, Threshold: 0.8},
		{Metric: quality.ROCAUC, Threshold: 0.7},
	}
	return cfg
}

// gen draws the values of a model's events, shifting numeric feature i by
// shift[i] standard deviations.
type gen struct {
	model
	rng   *rand.Rand
	shift map[int]float64
}

func newGen(md model, seed uint64, shift map[int]float64) *gen {
	return &gen{model: md, rng: rand.New(rand.NewPCG(seed, 7)), shift: shift}
}

func (g *gen) category() string {
	u := g.rng.Float64()
	switch {
	case u < 0.5:
		return "a"
	case u < 0.8:
		return "b"
	}
	return "c"
}

func (g *gen) features() []event.Value {
	vs := make([]event.Value, 0, g.numeric+g.categorical)
	for i := range g.numeric {
		vs = append(vs, event.Value{Num: g.rng.NormFloat64() + g.shift[i]})
	}
	for range g.categorical {
		vs = append(vs, event.Value{Text: []byte(g.category())})
	}
	return vs
}

// prediction returns a prediction event with a score; its class follows
// the score with the default decision threshold.
func (g *gen) prediction(id string, t time.Time) *event.Event {
	score := g.rng.Float64()
	class := "no"
	if score >= 0.5 {
		class = "yes"
	}
	return &event.Event{
		Kind: event.KindPrediction, ID: []byte(id), Time: t, TimeFromEvent: true,
		Features: g.features(), Prediction: event.Value{Text: []byte(class)}, Score: score, HasScore: true,
	}
}

// profile builds a reference profile of rows rows drawn without shift.
func (md model) profile(t testing.TB, rows int, seed uint64) *drift.Profile {
	t.Helper()
	return md.shiftedProfile(t, rows, seed, nil)
}

// shiftedProfile builds a reference profile of rows rows drawn with shift
// (see gen).
func (md model) shiftedProfile(t testing.TB, rows int, seed uint64, shift map[int]float64) *drift.Profile {
	t.Helper()
	cfg := md.config()
	specs := make([]drift.FeatureSpec, len(cfg.Features))
	for i, f := range cfg.Features {
		specs[i] = drift.FeatureSpec{Name: f.Name, Type: f.Type}
	}
	b, err := drift.NewProfileBuilder(specs, drift.ProfileOptions{Seed: seed})
	require.NoError(t, err)
	require.NoError(t, b.SetPrediction(drift.FeatureSpec{Name: "prediction", Type: drift.Categorical}))
	g := newGen(md, seed, shift)
	for range rows {
		ev := g.prediction("", t0)
		for i, v := range ev.Features {
			if i < md.numeric {
				b.Feature(i).AddNumeric(v.Num)
			} else {
				b.Feature(i).AddCategory(string(v.Text))
			}
		}
		b.Prediction().AddCategory(string(ev.Prediction.Text))
	}
	p, err := b.Build(cfg.Name, t0)
	require.NoError(t, err)
	return p
}

func labelEvent(id string, t time.Time, class string) *event.Event {
	return &event.Event{Kind: event.KindLabel, ID: []byte(id), Time: t, TimeFromEvent: true, Label: event.Value{Text: []byte(class)}}
}

// clock is a settable wall clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Set(t time.Time)         { c.now = t }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// harness is a monitor with its store, registry, checkpointer and clock.
type harness struct {
	*Monitor
	store *Store
	reg   *prometheus.Registry
	cp    Checkpointer
	clock *clock
	opts  Options
}

// setup returns a harness for cfg and p. Options fields that are set in
// opts are kept; the rest are the harness's.
func setup(t testing.TB, cfg collectors.ModelConfig, p *drift.Profile, opts Options) *harness {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	store, err := NewStore(StoreOptions{Registerer: reg})
	require.NoError(t, err)
	h := &harness{store: store, reg: reg, clock: &clock{now: t0}}
	opts.Config, opts.Profile, opts.Store = cfg, p, store
	if opts.Checkpointer == nil {
		opts.Checkpointer = NewMemoryCheckpointer()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = h.clock.Now
	}
	h.cp, h.opts = opts.Checkpointer, opts
	h.Monitor, err = New(context.Background(), opts)
	require.NoError(t, err)
	return h
}

// restart replaces the harness's monitor by a new one with the same
// options and store, as after a crash: the old monitor's unpublished state
// is gone.
func (h *harness) restart(t testing.TB) {
	t.Helper()
	require.NoError(t, h.Monitor.Close())
	m, err := New(context.Background(), h.opts)
	require.NoError(t, err)
	h.Monitor = m
}

// sync runs Sync and fails the test on error.
func (h *harness) sync(t testing.TB) map[string]int64 {
	t.Helper()
	offsets, err := h.Sync(context.Background())
	require.NoError(t, err)
	return offsets
}

// syncCaughtUp runs Sync with the named partitions read to their end.
func (h *harness) syncCaughtUp(t testing.TB, keys ...string) map[string]int64 {
	t.Helper()
	offsets, err := h.Sync(context.Background(), keys...)
	require.NoError(t, err)
	return offsets
}

// flush runs Flush and fails the test on error.
func (h *harness) flush(t testing.TB) map[string]int64 {
	t.Helper()
	offsets, err := h.Flush(context.Background())
	require.NoError(t, err)
	return offsets
}

// snap returns the model's published snapshot.
func (h *harness) snap(t testing.TB) *Snapshot {
	t.Helper()
	s, ok := h.store.Snapshot(h.cfg.Name)
	require.True(t, ok)
	return s
}

// pos returns the position of offset in partition key.
func pos(key string, offset int64) Position { return Position{Partition: key, Offset: offset} }

func id(i int) string { return fmt.Sprintf("p%05d", i) }
