package embedded

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/rules"
)

// The trigger engine is the Notifier that the app hands the evaluator.
var _ Notifier = (*triggers.Engine)(nil)

const featureGroup = `embedded:{alertname="DriftwatchFeatureDrift", model="churn"}`

// tenure is the feature drift alert of churn's tenure under settings().
func tenure(statistic string) triggers.Alert {
	labels := map[string]string{
		"alertname": rules.FeatureDrift, "model": "churn", "feature": "tenure", "method": "ks",
		"severity": "critical", "driftwatch_trigger": "churn-all,churn-drift",
	}
	ls := model.LabelSet{}
	for k, v := range labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return triggers.Alert{
		Status: triggers.AlertFiring,
		Labels: labels,
		Annotations: map[string]string{
			"summary":       "Feature tenure of model churn drifted",
			"description":   "Feature tenure of model churn drifted in the latest drift window: its ks statistic is " + statistic + ".",
			"runbook_url":   "https://runbooks.example.com/driftwatch.md#driftwatchfeaturedrift",
			"dashboard_url": "https://grafana.example.com/d/dw?orgId=1&var-model=churn",
		},
		Fingerprint: ls.Fingerprint().String(),
	}
}

func tenureSeries(drifted string) []inputSeries {
	return []inputSeries{
		{`driftwatch_drift_feature_statistic{model="churn",feature="tenure",method="ks"}`, "0.25*3 0.5*30"},
		{`driftwatch_drift_feature_drifted{model="churn",feature="tenure",method="ks"}`, drifted},
	}
}

func firing(a triggers.Alert, startsAt int) triggers.Alert {
	a.StartsAt = at(startsAt)
	return a
}

func resolved(a triggers.Alert, startsAt, endsAt int) triggers.Alert {
	a.Status, a.StartsAt, a.EndsAt = triggers.AlertResolved, at(startsAt), at(endsAt)
	return a
}

func notification(alerts ...triggers.Alert) triggers.Notification {
	return triggers.Notification{Origin: triggers.OriginEmbedded, GroupKey: featureGroup, Alerts: alerts}
}

// run evaluates steps 0 to steps-1 and returns the notifications sent at
// each step that sent any.
func run(t *testing.T, h *harness, steps int) map[int][]triggers.Notification {
	t.Helper()
	out := map[int][]triggers.Notification{}
	for i := range steps {
		got, err := h.step(t, i)
		require.NoError(t, err, "step %d", i)
		if len(got) > 0 {
			out[i] = got
		}
	}
	return out
}

// TestStateMachine follows one alert under for 2m and keep_firing_for 3m
// through every state, and checks what is notified and when.
func TestStateMachine(t *testing.T) {
	tests := []struct {
		name    string
		drifted string
		steps   int
		want    map[int][]triggers.Notification
	}{
		{
			// Active from 1, pending at 1 and 2, firing from 3. The
			// condition clears at 5; it keeps firing at 5, 6 and 7 and
			// resolves at 8. StartsAt is when it fired, not when it became
			// active; the annotations are those of its last sample.
			name: "pending, firing, keep firing, resolved", drifted: "0 1*4 0*7", steps: 12,
			want: map[int][]triggers.Notification{
				3: {notification(firing(tenure("0.5"), 3))},
				8: {notification(resolved(tenure("0.5"), 3, 8))},
			},
		},
		{
			name: "pending only, never notified", drifted: "0 1*2 0 1 0*5", steps: 10,
			want: map[int][]triggers.Notification{},
		},
		{
			// The condition holds again at 5, while the alert keeps
			// firing: it is the same alert, and nothing is notified until
			// it resolves 3m after the condition clears again at 6.
			name: "holds again while keeping firing", drifted: "1*3 0*2 1 0*6", steps: 12,
			want: map[int][]triggers.Notification{
				2: {notification(firing(tenure("0.25"), 2))},
				9: {notification(resolved(tenure("0.5"), 2, 9))},
			},
		},
		{
			// Resolved at 6, active again from 7 and firing from 9: a new
			// alert with a new StartsAt.
			name: "fires again after resolving", drifted: "1*3 0*4 1*5", steps: 12,
			want: map[int][]triggers.Notification{
				2: {notification(firing(tenure("0.25"), 2))},
				6: {notification(resolved(tenure("0.25"), 2, 6))},
				9: {notification(firing(tenure("0.5"), 9))},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fleet(settings()), tenureSeries(tc.drifted), nil)
			got := run(t, h, tc.steps)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("notifications by step (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAlertsMetric(t *testing.T) {
	h := newHarness(t, fleet(settings()), tenureSeries("1*4 0*4"), nil)
	states := func() [2]float64 {
		return [2]float64{
			testutil.ToFloat64(h.eval.metrics.alerts.WithLabelValues(rules.FeatureDrift, "pending")),
			testutil.ToFloat64(h.eval.metrics.alerts.WithLabelValues(rules.FeatureDrift, "firing")),
		}
	}
	want := [][2]float64{{1, 0}, {1, 0}, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 0}}
	for i, w := range want {
		_, err := h.step(t, i)
		require.NoError(t, err)
		require.Equal(t, w, states(), "step %d: pending, firing", i)
	}
	require.NoError(t, testutil.GatherAndCompare(h.reg, strings.NewReader(`
# HELP driftwatch_embedded_evaluations_total Evaluations of the alerting rules by the embedded evaluator.
# TYPE driftwatch_embedded_evaluations_total counter
driftwatch_embedded_evaluations_total 8
# HELP driftwatch_embedded_notifications_total Notifications the embedded evaluator delivered to the trigger engine.
# TYPE driftwatch_embedded_notifications_total counter
driftwatch_embedded_notifications_total 2
`), "driftwatch_embedded_evaluations_total", "driftwatch_embedded_notifications_total"))
	problems, err := testutil.GatherAndLint(h.reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestRepeatInterval(t *testing.T) {
	h := newHarness(t, fleet(settings()), tenureSeries("1*12"), func(o *Options) { o.RepeatInterval = 4 * time.Minute })
	got := run(t, h, 12)
	want := map[int][]triggers.Notification{}
	for _, i := range []int{2, 6, 10} {
		want[i] = []triggers.Notification{notification(firing(tenure("0.5"), 2))}
	}
	want[2] = []triggers.Notification{notification(firing(tenure("0.25"), 2))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notifications by step (-want +got):\n%s", diff)
	}
}

// TestGroups checks that the alerts of one name and model arrive together,
// and that each notification lists every firing alert of its group.
func TestGroups(t *testing.T) {
	series := append(tenureSeries("1*6"),
		inputSeries{`driftwatch_drift_feature_statistic{model="churn",feature="plan",method="chisquare"}`, "12*6"},
		inputSeries{`driftwatch_drift_feature_drifted{model="churn",feature="plan",method="chisquare"}`, "0*2 1*4"},
		inputSeries{`driftwatch_drift_dataset_drifted_features_ratio{model="churn"}`, "1*6"},
	)
	h := newHarness(t, fleet(settings()), series, nil)
	got := run(t, h, 6)
	require.Equal(t, []int{2, 4}, slices.Sorted(maps.Keys(got)))

	require.Len(t, got[2], 2, "dataset and feature drift are separate groups")
	require.Equal(t, `embedded:{alertname="DriftwatchDatasetDrift", model="churn"}`, got[2][0].GroupKey)
	require.Equal(t, featureGroup, got[2][1].GroupKey)
	require.Len(t, got[2][1].Alerts, 1)

	require.Len(t, got[4], 1, "only the feature group changed")
	n := got[4][0]
	require.Equal(t, featureGroup, n.GroupKey)
	require.Len(t, n.Alerts, 2, "both drifted features of the model")
	features := map[string]time.Time{}
	for _, a := range n.Alerts {
		features[a.Labels["feature"]] = a.StartsAt
	}
	require.Equal(t, map[string]time.Time{"tenure": at(2), "plan": at(4)}, features)
}

func TestNotifyErrors(t *testing.T) {
	unavailable := fmt.Errorf("store: %w", triggers.ErrUnavailable)
	invalid := fmt.Errorf("bad: %w", triggers.ErrInvalid)
	tests := []struct {
		name    string
		drifted string
		fail    map[int]error // by call, from 1
		want    map[int][]triggers.Notification
	}{
		{
			// The attempts at 2 and 3 fail; the one at 4 gets through,
			// with the StartsAt of 2 and the annotations of 4.
			name: "firing retried", drifted: "1*8",
			fail: map[int]error{1: unavailable, 2: unavailable},
			want: map[int][]triggers.Notification{4: {notification(firing(tenure("0.5"), 2))}},
		},
		{
			// The resolution at 6 fails and is delivered at 7.
			name: "resolved retried", drifted: "1*3 0*5",
			fail: map[int]error{2: unavailable},
			want: map[int][]triggers.Notification{
				2: {notification(firing(tenure("0.25"), 2))},
				7: {notification(resolved(tenure("0.25"), 2, 6))},
			},
		},
		{
			// An invalid notification is not sent again; the group's next
			// change is.
			name: "invalid dropped", drifted: "1*3 0*5",
			fail: map[int]error{1: invalid},
			want: map[int][]triggers.Notification{6: {notification(resolved(tenure("0.25"), 2, 6))}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fleet(settings()), tenureSeries(tc.drifted), nil)
			h.notifier.fail = func(call int) error { return tc.fail[call] }
			got := map[int][]triggers.Notification{}
			var errs []error
			for i := range 8 {
				ns, err := h.step(t, i)
				if err != nil {
					errs = append(errs, err)
				}
				if len(ns) > 0 {
					got[i] = ns
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("notifications by step (-want +got):\n%s", diff)
			}
			require.Len(t, errs, len(tc.fail))
			for i, call := range slices.Sorted(maps.Keys(tc.fail)) {
				require.ErrorIs(t, errs[i], tc.fail[call])
				require.ErrorContains(t, errs[i], featureGroup)
			}
			require.Equal(t, float64(len(tc.fail)), testutil.ToFloat64(h.eval.metrics.notifyErrors))
		})
	}
}

// brokenGatherer fails every Gather.
type brokenGatherer struct{}

func (brokenGatherer) Gather() ([]*dto.MetricFamily, error) {
	return nil, errors.New("collector broke")
}

func TestGatherFailureChangesNothing(t *testing.T) {
	h := newHarness(t, fleet(settings()), tenureSeries("1*3 0*6"), nil)
	require.Len(t, run(t, h, 3), 1)

	// While gathering fails, the firing alert neither resolves nor counts
	// down its keep_firing_for.
	h.eval.opts.Gatherer = brokenGatherer{}
	for i := 3; i < 8; i++ {
		_, err := h.step(t, i)
		require.ErrorContains(t, err, "collector broke")
	}
	require.Equal(t, 5.0, testutil.ToFloat64(h.eval.metrics.evalFailures))
	require.Equal(t, 1.0, testutil.ToFloat64(h.eval.metrics.alerts.WithLabelValues(rules.FeatureDrift, "firing")))
	h.eval.opts.Gatherer = h.expo
	got, err := h.step(t, 8)
	require.NoError(t, err)
	require.Empty(t, got, "keeps firing from 8")
}

func TestRun(t *testing.T) {
	ticks := make(chan time.Time)
	var tickerInterval time.Duration
	notified := make(chan triggers.Notification, 10)
	s := settings()
	s.For = 0 // fire at the first evaluation
	h := newHarness(t, fleet(s), tenureSeries("1*10"), func(o *Options) {
		o.RepeatInterval = time.Nanosecond // and notify at every one
		o.NewTicker = func(d time.Duration) Ticker {
			tickerInterval = d
			return fakeTicker(ticks)
		}
		o.Notifier = NotifierFunc(func(_ context.Context, n triggers.Notification) ([]triggers.Decision, error) {
			notified <- n
			return nil, nil
		})
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- h.eval.Run(ctx) }()

	<-notified // the evaluation at start
	for range 3 {
		h.clock.set(h.clock.Now().Add(time.Minute))
		ticks <- h.clock.Now()
		<-notified
	}
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, time.Minute, tickerInterval)
	require.Equal(t, 4.0, testutil.ToFloat64(h.eval.metrics.evaluations))
}

// fakeTicker is a Ticker whose ticks the test sends.
type fakeTicker chan time.Time

func (f fakeTicker) C() <-chan time.Time { return f }
func (f fakeTicker) Stop()               {}
