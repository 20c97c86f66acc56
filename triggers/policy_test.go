package triggers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
)

func TestCooldown(t *testing.T) {
	tests := []struct {
		name string
		// end ends the first run, or leaves it.
		end   func(f *fixture, id string)
		after time.Duration
		want  triggers.Outcome
	}{
		{"within the cooldown after success", endAs(triggers.RunSucceeded), 59 * time.Minute, triggers.OutcomeCooldown},
		{"within the cooldown after failure", endAs(triggers.RunFailed), 30 * time.Minute, triggers.OutcomeCooldown},
		{"cooldown over", endAs(triggers.RunSucceeded), time.Hour, triggers.OutcomeStarted},
		{"cancelled before it started: no cooldown", func(f *fixture, id string) { f.finish(id, triggers.RunCancelled) }, time.Minute, triggers.OutcomeStarted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config(1, driftRules()...))
			first := f.notify(notification(credit, featureAlert(credit, "income", t0)))
			tt.end(f, first[0].RunID)
			f.clock.Advance(tt.after)
			ds := f.notify(notification(credit, featureAlert(credit, "income", f.clock.Now())))
			require.Equal(t, []triggers.Outcome{tt.want}, outcomes(ds), ds[0].Reason)
			if tt.want == triggers.OutcomeCooldown {
				require.Contains(t, ds[0].Reason, "the cooldown of 1h0m0s lasts until 2026-03-02T11:30:00Z")
			}
		})
	}
}

// endAs starts the run and ends it in state.
func endAs(state triggers.RunState) func(*fixture, string) {
	return func(f *fixture, id string) {
		run := f.next()
		require.Equal(f.t, id, run.ID)
		f.finish(id, state)
	}
}

func TestConcurrency(t *testing.T) {
	tests := []struct {
		name     string
		cfg      triggers.Config
		triggers []triggers.Notification
		want     []triggers.Outcome
	}{
		{
			name: "per model: second trigger while one run is queued",
			cfg:  config(5, driftRules()...),
			triggers: []triggers.Notification{
				notification(credit, featureAlert(credit, "income", t0)),
				notification(credit, featureAlert(credit, "age", t0)),
			},
			want: []triggers.Outcome{triggers.OutcomeStarted, triggers.OutcomeConcurrency},
		},
		{
			name: "per model limit of two",
			cfg:  config(5, driftRules(func(r *triggers.Rule) { r.MaxConcurrent = 2 })...),
			triggers: []triggers.Notification{
				notification(credit, featureAlert(credit, "income", t0)),
				notification(credit, featureAlert(credit, "age", t0)),
				notification(credit, featureAlert(credit, "debt", t0)),
			},
			want: []triggers.Outcome{triggers.OutcomeStarted, triggers.OutcomeStarted, triggers.OutcomeConcurrency},
		},
		{
			name: "global limit queues other models",
			cfg:  config(1, driftRules()...),
			triggers: []triggers.Notification{
				notification(credit, featureAlert(credit, "income", t0)),
				notification(churn, featureAlert(churn, "tenure", t0)),
			},
			want: []triggers.Outcome{triggers.OutcomeStarted, triggers.OutcomeQueued},
		},
		{
			name: "one notification of many features requests one run",
			cfg:  config(5, driftRules()...),
			triggers: []triggers.Notification{notification(credit,
				featureAlert(credit, "income", t0), featureAlert(credit, "age", t0), featureAlert(credit, "debt", t0))},
			want: []triggers.Outcome{triggers.OutcomeStarted, triggers.OutcomeConcurrency, triggers.OutcomeConcurrency},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			var got []triggers.Outcome
			for _, n := range tt.triggers {
				got = append(got, outcomes(f.notify(n))...)
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestGlobalLimitIsFIFO(t *testing.T) {
	f := newFixture(t, config(1, driftRules(func(r *triggers.Rule) { r.Cooldown = 0 })...))
	a := f.notify(notification(credit, featureAlert(credit, "income", t0)))[0]
	b := f.notify(notification(churn, featureAlert(churn, "tenure", t0)))[0]
	require.Equal(t, triggers.OutcomeQueued, b.Outcome)

	require.Equal(t, a.RunID, f.next().ID)
	_, ok := f.tryNext()
	require.False(t, ok, "the only slot is taken")

	// Next waits until the slot frees, then starts the queued run.
	got := make(chan triggers.Run)
	go func() {
		run, err := f.engine.Next(context.Background())
		if err == nil {
			got <- run
		}
		close(got)
	}()
	f.finish(a.RunID, triggers.RunSucceeded)
	run := <-got
	require.Equal(t, b.RunID, run.ID)
	require.Equal(t, triggers.RunRunning, run.State)
}

func TestMinDriftedFeatures(t *testing.T) {
	needThree := func(r *triggers.Rule) {
		r.MinDriftedFeatures = 3
		r.MatchRegex = map[string]string{"alertname": "Driftwatch(Feature|Dataset)Drift|DriftwatchQualityBelowThreshold"}
		r.Match = map[string]string{"model": credit}
	}
	fa := func(feature string) triggers.Alert { return featureAlert(credit, feature, t0) }
	dataset := func(count string) triggers.Alert {
		a := triggers.Alert{Status: triggers.AlertFiring, StartsAt: t0, Labels: map[string]string{"alertname": "DriftwatchDatasetDrift", "model": credit}}
		if count != "" {
			a.Annotations = map[string]string{"drifted_features": count}
		}
		return a
	}
	quality := triggers.Alert{Status: triggers.AlertFiring, StartsAt: t0,
		Labels: map[string]string{"alertname": "DriftwatchQualityBelowThreshold", "model": credit, "metric": "roc_auc"}}
	type step struct {
		advance time.Duration
		alerts  []triggers.Alert
	}
	tests := []struct {
		name  string
		steps []step
		want  []triggers.Outcome
	}{
		{"one feature of three", []step{{0, []triggers.Alert{fa("income")}}},
			[]triggers.Outcome{triggers.OutcomeTooFewFeatures}},
		{"three features in one notification", []step{{0, []triggers.Alert{fa("income"), fa("age"), fa("debt")}}},
			[]triggers.Outcome{triggers.OutcomeStarted, triggers.OutcomeConcurrency, triggers.OutcomeConcurrency}},
		{"features add up across notifications", []step{
			{0, []triggers.Alert{fa("income")}},
			{5 * time.Minute, []triggers.Alert{fa("income"), fa("age"), fa("debt")}},
		}, []triggers.Outcome{triggers.OutcomeTooFewFeatures, triggers.OutcomeDeduplicated, triggers.OutcomeStarted, triggers.OutcomeConcurrency}},
		{"a resolved feature no longer counts", []step{
			{0, []triggers.Alert{fa("income"), fa("age")}},
			{5 * time.Minute, []triggers.Alert{resolved(fa("age"))}},
			{5 * time.Minute, []triggers.Alert{fa("debt")}},
		}, []triggers.Outcome{triggers.OutcomeTooFewFeatures, triggers.OutcomeTooFewFeatures, triggers.OutcomeResolved, triggers.OutcomeTooFewFeatures}},
		{"a feature alert not sent again within a day no longer counts", []step{
			{0, []triggers.Alert{fa("income"), fa("age")}},
			{25 * time.Hour, []triggers.Alert{fa("debt")}},
		}, []triggers.Outcome{triggers.OutcomeTooFewFeatures, triggers.OutcomeTooFewFeatures, triggers.OutcomeTooFewFeatures}},
		{"dataset alert reporting enough features", []step{{0, []triggers.Alert{dataset("5")}}},
			[]triggers.Outcome{triggers.OutcomeStarted}},
		{"dataset alert reporting too few features", []step{{0, []triggers.Alert{dataset("2")}}},
			[]triggers.Outcome{triggers.OutcomeTooFewFeatures}},
		{"dataset alert counts the firing feature alerts", []step{
			{0, []triggers.Alert{fa("income"), fa("age"), fa("debt")}},
			{0, []triggers.Alert{dataset("")}},
		}, []triggers.Outcome{triggers.OutcomeStarted, triggers.OutcomeConcurrency, triggers.OutcomeConcurrency, triggers.OutcomeConcurrency}},
		{"a bad count is ignored", []step{{0, []triggers.Alert{dataset("many")}}},
			[]triggers.Outcome{triggers.OutcomeTooFewFeatures}},
		{"quality alerts are not drift alerts", []step{{0, []triggers.Alert{quality}}},
			[]triggers.Outcome{triggers.OutcomeStarted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config(1, rule("credit", "retrain-credit", needThree)))
			var got []triggers.Outcome
			for _, s := range tt.steps {
				f.clock.Advance(s.advance)
				got = append(got, outcomes(f.notify(notification(credit, s.alerts...)))...)
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestMinDriftedFeaturesReason(t *testing.T) {
	f := newFixture(t, config(1, rule("credit", "retrain-credit", matchAlert("DriftwatchFeatureDrift", credit), func(r *triggers.Rule) {
		r.MinDriftedFeatures = 3
	})))
	ds := f.notify(notification(credit, featureAlert(credit, "income", t0), featureAlert(credit, "age", t0)))
	require.Equal(t, "2 drifted feature(s) (firing feature alerts: age, income), fewer than min_drifted_features 3", ds[0].Reason)
	require.Equal(t, 2.0, f.decisionCount(credit, triggers.OriginAlertmanager, triggers.OutcomeTooFewFeatures))
}

func TestResolve(t *testing.T) {
	noCancel := func(r *triggers.Rule) { r.CancelOnResolve = false }
	tests := []struct {
		name     string
		rules    []triggers.Rule
		start    bool // take the run with Next before the resolution
		want     triggers.Outcome
		runState triggers.RunState
	}{
		{"queued run is cancelled", driftRules(), false, triggers.OutcomeCancelled, triggers.RunCancelled},
		{"running run goes on", driftRules(), true, triggers.OutcomeResolved, triggers.RunRunning},
		{"rule keeps queued runs", driftRules(noCancel), false, triggers.OutcomeResolved, triggers.RunQueued},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config(1, tt.rules...))
			a := featureAlert(credit, "income", t0)
			first := f.notify(notification(credit, a))
			if tt.start {
				f.next()
			}
			f.clock.Advance(10 * time.Minute)
			ds := f.notify(notification(credit, resolved(a)))
			require.Equal(t, []triggers.Outcome{tt.want}, outcomes(ds), ds[0].Reason)
			require.Equal(t, first[0].RunID, ds[0].RunID)
			runs := f.runs(triggers.RunFilter{})
			require.Len(t, runs, 1)
			require.Equal(t, tt.runState, runs[0].State)

			// The resolution is recorded: a repeat of it, or a late copy
			// of the firing alert, changes nothing.
			again := f.notify(notification(credit, resolved(a), a))
			require.Equal(t, []triggers.Outcome{triggers.OutcomeDeduplicated, triggers.OutcomeDeduplicated}, outcomes(again))
			require.Equal(t, tt.runState, f.runs(triggers.RunFilter{})[0].State)
		})
	}
}

func TestResolveWithoutTrigger(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))
	ds := f.notify(notification(credit, resolved(featureAlert(credit, "income", t0))))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeResolved}, outcomes(ds))
	require.Contains(t, ds[0].Reason, "no trigger of it was recorded")
	// A late copy of the firing alert does not start a run.
	ds = f.notify(notification(credit, featureAlert(credit, "income", t0)))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeDeduplicated}, outcomes(ds))
	require.Empty(t, f.runs(triggers.RunFilter{}))
}
