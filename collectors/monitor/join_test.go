package monitor

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// joined summarises a model's label join.
type joined struct {
	Joins      map[JoinOutcome]uint64
	Buffered   int
	Late       uint64
	DelayCount uint64
	DelaySum   float64
}

func joinedOf(s *Snapshot) joined {
	j := joined{Joins: map[JoinOutcome]uint64{}, Buffered: s.Buffered, Late: s.Events(StreamLabels, Late),
		DelayCount: s.counts.delay.count, DelaySum: s.counts.delay.sum}
	for _, o := range JoinOutcomes() {
		if n := s.Joins(o); n > 0 {
			j.Joins[o] = n
		}
	}
	return j
}

// joinStep is a prediction (label empty) or a label event.
type joinStep struct {
	id    string
	at    time.Duration
	label string
}

func TestLabelJoin(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	p := md.profile(t, 500, 1)
	for _, tc := range []struct {
		name       string
		maxEntries int
		steps      []joinStep
		want       joined
	}{
		{
			name:  "a label joins its prediction",
			steps: []joinStep{{"a", 0, ""}, {"a", 30 * time.Second, "yes"}},
			want:  joined{Joins: map[JoinOutcome]uint64{JoinJoined: 1}, Buffered: 1, DelayCount: 1, DelaySum: 30},
		},
		{
			name:  "a second label is a duplicate",
			steps: []joinStep{{"a", 0, ""}, {"a", 30 * time.Second, "yes"}, {"a", 40 * time.Second, "no"}},
			want:  joined{Joins: map[JoinOutcome]uint64{JoinJoined: 1, JoinDuplicate: 1}, Buffered: 1, DelayCount: 1, DelaySum: 30},
		},
		{
			name:  "a label without a prediction is unmatched",
			steps: []joinStep{{"a", 0, ""}, {"z", 10 * time.Second, "yes"}},
			want:  joined{Joins: map[JoinOutcome]uint64{JoinUnmatched: 1}, Buffered: 1},
		},
		{
			name: "a prediction older than the TTL is evicted",
			steps: []joinStep{
				{"a", 0, ""}, {"b", 5 * time.Minute, ""}, {"c", 11 * time.Minute, ""},
				{"a", 11 * time.Minute, "yes"}, {"b", 11 * time.Minute, "no"},
			},
			want: joined{Joins: map[JoinOutcome]uint64{JoinEvictedTTL: 1, JoinUnmatched: 1, JoinJoined: 1}, Buffered: 2, DelayCount: 1, DelaySum: 360},
		},
		{
			name:  "a label after the TTL finds its prediction evicted",
			steps: []joinStep{{"a", 0, ""}, {"a", 10*time.Minute + time.Second, "yes"}},
			want:  joined{Joins: map[JoinOutcome]uint64{JoinEvictedTTL: 1, JoinUnmatched: 1}},
		},
		{
			name:       "a full buffer evicts the oldest prediction",
			maxEntries: 2,
			steps:      []joinStep{{"a", 0, ""}, {"b", time.Second, ""}, {"c", 2 * time.Second, ""}, {"a", 3 * time.Second, "yes"}, {"c", 4 * time.Second, "yes"}},
			want:       joined{Joins: map[JoinOutcome]uint64{JoinEvictedCapacity: 1, JoinUnmatched: 1, JoinJoined: 1}, Buffered: 2, DelayCount: 1, DelaySum: 2},
		},
		{
			name:       "a joined prediction leaves without counting as evicted",
			maxEntries: 2,
			steps:      []joinStep{{"a", 0, ""}, {"a", time.Second, "yes"}, {"b", 2 * time.Second, ""}, {"c", 3 * time.Second, ""}},
			want:       joined{Joins: map[JoinOutcome]uint64{JoinJoined: 1}, Buffered: 2, DelayCount: 1, DelaySum: 1},
		},
		{
			name:  "a second prediction with the same ID is ignored",
			steps: []joinStep{{"a", 0, ""}, {"a", 10 * time.Second, ""}, {"a", 30 * time.Second, "yes"}},
			want:  joined{Joins: map[JoinOutcome]uint64{JoinJoined: 1}, Buffered: 1, DelayCount: 1, DelaySum: 30},
		},
		{
			name: "a label for a closed quality window is late and joins nothing",
			steps: []joinStep{
				{"a", 0, ""}, {"b", time.Second, ""},
				{"b", 2 * time.Minute, "yes"}, {"a", 30 * time.Second, "yes"},
			},
			want: joined{Joins: map[JoinOutcome]uint64{JoinJoined: 1}, Buffered: 2, Late: 1, DelayCount: 1, DelaySum: 119},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := withLabels(md.config(), 1)
			cfg.Label.TTL = 10 * time.Minute
			if tc.maxEntries > 0 {
				cfg.Label.MaxEntries = tc.maxEntries
			}
			h := setup(t, cfg, p, Options{})
			g := newGen(md, 2, nil)
			for i, s := range tc.steps {
				ev := labelEvent(s.id, at(s.at), s.label)
				key := "labels"
				if s.label == "" {
					ev, key = g.prediction(s.id, at(s.at)), "predictions"
				}
				h.Observe(ev, pos(key, int64(i)))
			}
			h.sync(t)
			if diff := cmp.Diff(tc.want, joinedOf(h.snap(t))); diff != "" {
				t.Errorf("join (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQualityWindows(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	cfg := withLabels(md.config(), 3)
	h := setup(t, cfg, md.profile(t, 500, 1), Options{})
	g := newGen(md, 2, nil)
	predict := func(id string, sec int, score float64) {
		ev := g.prediction(id, at(time.Duration(sec)*time.Second))
		ev.Score, ev.Prediction = score, event.Value{Text: []byte("no")}
		if score >= 0.5 {
			ev.Prediction.Text = []byte("yes")
		}
		require.Equal(t, Accepted, h.Observe(ev, pos("predictions", int64(sec))))
	}
	var labels int64
	label := func(id string, at time.Duration, class string) {
		require.Equal(t, Accepted, h.Observe(labelEvent(id, t0.Add(at), class), pos("labels", labels)))
		labels++
	}
	for i, score := range []float64{0.9, 0.8, 0.3, 0.2, 0.6, 0.4, 0.1, 0.7, 0.2} {
		predict(id(i), i, score)
	}
	opts := cmp.Options{cmpopts.EquateApprox(0, 1e-12)}

	// Window [2m, 3m): predicted yes, yes, no, no; true yes, no, no, no.
	label(id(0), 2*time.Minute, "yes")
	label(id(1), 2*time.Minute+10*time.Second, "no")
	label(id(2), 2*time.Minute+20*time.Second, "no")
	label(id(3), 2*time.Minute+30*time.Second, "no")
	require.Equal(t, int64(0), h.sync(t)["labels"], "the open quality window holds the first label")
	// Window [3m, 4m) gets two pairs, fewer than min_labels; its first
	// label moves the label watermark past [2m, 3m) plus the lateness.
	label(id(4), 3*time.Minute+5*time.Second, "yes")
	label(id(5), 3*time.Minute+10*time.Second, "yes")
	h.sync(t)
	want := &QualityReport{Start: at(2 * time.Minute), End: at(3 * time.Minute), Pairs: 4, Metrics: []MetricResult{
		{Metric: quality.Accuracy, Threshold: 0.8, Value: 0.75, Defined: true, Breached: true},
		{Metric: quality.ROCAUC, Threshold: 0.7, Value: 1, Defined: true},
	}}
	if diff := cmp.Diff(want, h.snap(t).Quality, opts); diff != "" {
		t.Errorf("first window (-want +got):\n%s", diff)
	}

	// Window [5m, 6m) has only negatives: ROC AUC is undefined, which
	// leaves it without a value rather than failing the window.
	label(id(6), 5*time.Minute, "no")
	h.sync(t)
	want = &QualityReport{Start: at(3 * time.Minute), End: at(4 * time.Minute), Pairs: 2, Skipped: true, Metrics: []MetricResult{
		{Metric: quality.Accuracy, Threshold: 0.8},
		{Metric: quality.ROCAUC, Threshold: 0.7},
	}}
	if diff := cmp.Diff(want, h.snap(t).Quality, opts); diff != "" {
		t.Errorf("second window (-want +got):\n%s", diff)
	}
	label(id(7), 5*time.Minute+time.Second, "no")
	label(id(8), 5*time.Minute+2*time.Second, "no")
	h.flush(t)
	want = &QualityReport{Start: at(5 * time.Minute), End: at(6 * time.Minute), Pairs: 3, Metrics: []MetricResult{
		{Metric: quality.Accuracy, Threshold: 0.8, Value: 2.0 / 3, Defined: true, Breached: true},
		{Metric: quality.ROCAUC, Threshold: 0.7},
	}}
	s := h.snap(t)
	if diff := cmp.Diff(want, s.Quality, opts); diff != "" {
		t.Errorf("third window (-want +got):\n%s", diff)
	}
	require.Equal(t, uint64(2), s.Windows(QualityWindow, WindowEvaluated))
	require.Equal(t, uint64(1), s.Windows(QualityWindow, WindowSkipped))
	require.Equal(t, uint64(9), s.WindowEvents(QualityWindow))
}

func TestQualityCountWindows(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	cfg := withLabels(md.config(), 2)
	cfg.Window.Size, cfg.Window.AllowedLateness, cfg.Window.Count = 0, 0, 3
	h := setup(t, cfg, md.profile(t, 500, 1), Options{})
	g := newGen(md, 2, nil)
	for i := range 4 {
		h.Observe(g.prediction(id(i), at(time.Duration(i)*time.Second)), pos("predictions", int64(i)))
	}
	// Unmatched labels are not pairs and do not fill a window.
	h.Observe(labelEvent("nobody", at(time.Minute), "yes"), pos("labels", 0))
	for i := range 4 {
		h.Observe(labelEvent(id(i), at(time.Minute+time.Duration(i)*time.Second), "yes"), pos("labels", int64(i+1)))
	}
	require.Equal(t, map[string]int64{"predictions": 3, "labels": 4}, h.sync(t), "the open windows hold the fourth prediction and label")
	s := h.snap(t)
	require.Equal(t, uint64(1), s.Windows(QualityWindow, WindowEvaluated))
	require.Equal(t, int64(3), s.Quality.Pairs)
}

func TestRevokeRejoinsLabels(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	h := setup(t, withLabels(md.config(), 1), md.profile(t, 500, 1), Options{})
	g := newGen(md, 2, nil)
	for i := range 3 {
		h.Observe(g.prediction(id(i), at(time.Duration(i)*time.Second)), pos("predictions", int64(i)))
	}
	labels := func() {
		for i := range 3 {
			require.Equal(t, Accepted, h.Observe(labelEvent(id(i), at(time.Minute+time.Duration(i)*time.Second), "yes"), pos("labels", int64(i))))
		}
	}
	labels()
	require.Equal(t, map[string]int64{"predictions": 0, "labels": 0}, h.sync(t))

	// The labels' partition moves away and comes back: its open quality
	// window is dropped, and the labels join again when read again.
	require.Nil(t, h.Revoke("labels"))
	require.Equal(t, map[string]int64{"predictions": 0}, h.sync(t))
	labels()
	h.flush(t)
	s := h.snap(t)
	require.Equal(t, uint64(3), s.WindowEvents(QualityWindow), "each pair in one published window")
	require.Equal(t, uint64(1), s.Windows(QualityWindow, WindowDiscarded))
	require.Zero(t, s.Joins(JoinDuplicate))
}
