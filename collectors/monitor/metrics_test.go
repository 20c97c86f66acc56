package monitor

import (
	"bufio"
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// realistic runs a labelled binary model through three minutes of
// traffic: predictions with a few rejected and late ones, labels for most
// predictions (some duplicate, some for unknown IDs), and the end of the
// input. It returns the harness, with every kind of metric published.
func realistic(t *testing.T) *harness {
	t.Helper()
	md := model{numeric: 3, categorical: 2}
	cfg := withLabels(md.config(), 10)
	lag := func() []Lag {
		return []Lag{{Topic: "churn-predictions", Partition: 0, Messages: 12}, {Topic: "churn-labels", Partition: 3, Messages: 0}}
	}
	h := setup(t, cfg, md.profile(t, 500, 1), Options{Lag: lag})
	g := newGen(md, 2, map[int]float64{0: 1})
	var labels int64
	for i := range 1800 {
		ts := at(time.Duration(i) * 100 * time.Millisecond)
		h.clock.Set(ts)
		h.Observe(g.prediction(id(i), ts), pos("churn-predictions/0", int64(i)))
		if i%10 == 3 {
			h.Reject(event.KindPrediction, event.ReasonMalformedJSON, pos("churn-predictions/0", int64(i)))
		}
		if i > 30 && i%3 != 0 {
			j := i - 30 // labels follow their predictions by 3 seconds
			class := "no"
			if g.rng.Float64() < 0.5 {
				class = "yes"
			}
			h.Observe(labelEvent(id(j), ts, class), pos("churn-labels/3", labels))
			labels++
		}
		if i%400 == 399 {
			h.Observe(labelEvent(id(i-1), ts, "yes"), pos("churn-labels/3", labels))                      // unmatched or duplicate
			h.Observe(g.prediction("late", ts.Add(-2*time.Minute)), pos("churn-predictions/0", int64(i))) // late
			labels++
			h.sync(t)
		}
	}
	h.flush(t)
	return h
}

// family returns the samples of one metric family, by the values of the
// labels other than model.
func family(t *testing.T, reg prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var key []string
			for _, l := range m.GetLabel() {
				if l.GetName() != "model" {
					key = append(key, l.GetName()+"="+l.GetValue())
				}
			}
			out[strings.Join(key, ",")] = value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func TestShiftedFeatureDrifts(t *testing.T) {
	md := model{numeric: 4, categorical: 2}
	h := setup(t, md.config(), md.profile(t, 1000, 1), Options{})
	g := newGen(md, 8, map[int]float64{2: 0.5})
	for i := range 1000 {
		h.Observe(g.prediction(id(i), at(time.Duration(i)*50*time.Millisecond)), pos("p0", int64(i)))
	}
	h.flush(t)

	want := map[string]float64{
		"feature=n0,method=ks": 0, "feature=n1,method=ks": 0, "feature=n2,method=ks": 1, "feature=n3,method=ks": 0,
		"feature=c0,method=chisquare": 0, "feature=c1,method=chisquare": 0,
	}
	if diff := cmp.Diff(want, family(t, h.reg, "driftwatch_drift_feature_drifted")); diff != "" {
		t.Errorf("drifted features (-want +got):\n%s", diff)
	}
	require.Equal(t, map[string]float64{"": 1.0 / 6}, family(t, h.reg, "driftwatch_drift_dataset_drifted_features_ratio"))
	require.Equal(t, map[string]float64{"": 0}, family(t, h.reg, "driftwatch_drift_dataset_drifted"))
	require.Equal(t, map[string]float64{"method=ztest": 0}, family(t, h.reg, "driftwatch_drift_prediction_drifted"))
	pvalues := family(t, h.reg, "driftwatch_drift_feature_p_value")
	require.Less(t, pvalues["feature=n2,method=ks"], 1e-6)
	require.Greater(t, pvalues["feature=n0,method=ks"], 0.05)
}

// TestMetricsLint lints the collector alone and the whole pedantic
// registry with Prometheus's own linter.
func TestMetricsLint(t *testing.T) {
	h := realistic(t)
	problems, err := testutil.CollectAndLint(newCollector(h.store))
	require.NoError(t, err)
	require.Empty(t, problems, "collector")
	problems, err = testutil.GatherAndLint(h.reg)
	require.NoError(t, err)
	require.Empty(t, problems, "registry")
}

func TestMetricsPassPromtool(t *testing.T) {
	promtool := testenv.Require(t, testenv.Promtool)
	h := realistic(t)
	text := exposition(t, h.reg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool check metrics:\n%s", out)
}

// exposition returns the text exposition of everything reg gathers.
func exposition(t *testing.T, reg prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	return buf.Bytes()
}

func TestRealisticExposition(t *testing.T) {
	h := realistic(t)
	s := h.snap(t)
	require.Equal(t, uint64(1800), s.Events(StreamPredictions, Accepted))
	require.Equal(t, uint64(4), s.Events(StreamPredictions, Late))
	require.Equal(t, uint64(180), s.Rejections(event.ReasonMalformedJSON))
	require.Equal(t, uint64(1800), s.WindowEvents(DriftWindow), "every accepted prediction is in exactly one published window")
	require.Equal(t, map[string]float64{
		"partition=3,topic=churn-labels":      0,
		"partition=0,topic=churn-predictions": 12,
	}, family(t, h.reg, "driftwatch_kafka_consumer_lag_messages"))
	require.Equal(t, map[string]float64{"window=drift": float64(at(3 * time.Minute).Unix()), "window=quality": float64(at(3 * time.Minute).Unix())},
		family(t, h.reg, "driftwatch_window_end_timestamp_seconds"))
	joins := family(t, h.reg, "driftwatch_labels_join_total")
	require.Positive(t, joins["outcome=joined"])
	require.Positive(t, joins["outcome=duplicate"]+joins["outcome=unmatched"])
	drifted := family(t, h.reg, "driftwatch_drift_feature_drifted")
	require.Equal(t, 1.0, drifted["feature=n0,method=ks"], "the shifted feature")
}

func TestClosedModelDisappears(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	p := md.profile(t, 500, 1)
	h := setup(t, md.config(), p, Options{})
	cfg := md.config()
	cfg.Name = "fraud"
	other, err := New(context.Background(), Options{Config: cfg, Profile: p, Store: h.store, Checkpointer: NewMemoryCheckpointer(), Logger: h.opts.Logger, Now: h.clock.Now})
	require.NoError(t, err)
	_, err = New(context.Background(), Options{Config: cfg, Profile: p, Store: h.store, Checkpointer: NewMemoryCheckpointer(), Logger: h.opts.Logger})
	require.ErrorContains(t, err, `model "fraud" already has a monitor`)

	models := func() []string {
		mfs, err := h.reg.Gather()
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "model" {
						seen[l.GetValue()] = true
					}
				}
			}
		}
		return slices.Sorted(maps.Keys(seen))
	}
	require.Equal(t, []string{"churn", "fraud"}, models())
	require.NoError(t, other.Close())
	require.Equal(t, []string{"churn"}, models())
	require.Equal(t, []string{"churn"}, h.store.Models())
	require.Error(t, other.Close())
}

// docRow matches a metric row of docs/metrics.md: | `name` | type | labels | unit | meaning |.
var docRow = regexp.MustCompile("^\\| `(driftwatch_[a-z0-9_]+)` \\| ([a-z]+) \\| ([^|]*) \\|")

// monitorSection is the heading of the monitor's part of docs/metrics.md;
// the other sections document the other subsystems, which
// internal/app's TestMetricsDocListsEveryMetric checks.
const monitorSection = "## Monitor"

// TestDocsListEveryMetric keeps the Monitor section of docs/metrics.md in
// step with the collector: the same metric names, types and label names.
func TestDocsListEveryMetric(t *testing.T) {
	f, err := os.Open("../../docs/metrics.md")
	require.NoError(t, err)
	defer f.Close()
	documented := map[string]string{}
	sc := bufio.NewScanner(f)
	in, seen := false, false
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "## ") {
			in = line == monitorSection
			seen = seen || in
		}
		m := docRow.FindStringSubmatch(sc.Text())
		if !in || m == nil {
			continue
		}
		_, dup := documented[m[1]]
		require.False(t, dup, "%s is documented twice", m[1])
		documented[m[1]] = m[2] + " " + labelList(regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(m[3], -1))
	}
	require.NoError(t, sc.Err())
	require.True(t, seen, "docs/metrics.md has no %q section", monitorSection)

	h := realistic(t)
	mfs, err := h.reg.Gather()
	require.NoError(t, err)
	emitted := map[string]string{}
	for _, mf := range mfs {
		names := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				names[l.GetName()] = true
			}
		}
		var labels [][]string
		for _, n := range slices.Sorted(maps.Keys(names)) {
			labels = append(labels, []string{"", n})
		}
		emitted[mf.GetName()] = strings.ToLower(mf.GetType().String()) + " " + labelList(labels)
	}
	if diff := cmp.Diff(documented, emitted); diff != "" {
		t.Errorf("docs/metrics.md and the exposition differ (-documented +emitted):\n%s", diff)
	}
}

// labelList returns the sorted label names of submatches.
func labelList(matches [][]string) string {
	var names []string
	for _, m := range matches {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// TestScrapeWhileObserving scrapes from another goroutine while the
// monitor runs; run with -race, it checks that scrapes read only
// published snapshots.
func TestScrapeWhileObserving(t *testing.T) {
	md := model{numeric: 2, categorical: 1}
	h := setup(t, withLabels(md.config(), 1), md.profile(t, 500, 1), Options{})
	g := newGen(md, 2, nil)
	done := make(chan struct{})
	scraped := make(chan error)
	go func() {
		defer close(scraped)
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := h.reg.Gather(); err != nil {
				scraped <- err
				return
			}
		}
	}()
	for i := range 3000 {
		ts := at(time.Duration(i) * 100 * time.Millisecond)
		h.Observe(g.prediction(id(i), ts), pos("p", int64(i)))
		h.Observe(labelEvent(id(i), ts.Add(time.Second), "yes"), pos("l", int64(i)))
		if i%50 == 0 {
			h.sync(t)
		}
	}
	h.flush(t)
	close(done)
	require.NoError(t, <-scraped)
	require.Equal(t, uint64(3000), h.snap(t).WindowEvents(DriftWindow))
}
