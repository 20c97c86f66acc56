package triggers_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/store"
	"github.com/driftwatch/driftwatch/triggers"
)

func TestNewEngineErrors(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "driftwatch.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	good := triggers.EngineOptions{Config: config(1, driftRules()...), Pipelines: testPipelines, Store: db}
	tests := []struct {
		name   string
		change func(*triggers.EngineOptions)
		want   string
	}{
		{"no store", func(o *triggers.EngineOptions) { o.Store = nil }, "EngineOptions.Store is required"},
		{"no registerer", func(o *triggers.EngineOptions) { o.Registerer = nil }, "EngineOptions.Registerer is required"},
		{"invalid config", func(o *triggers.EngineOptions) { o.Config.MaxConcurrentRuns = 0 }, "max_concurrent_runs: must be at least 1"},
		{"unknown pipeline", func(o *triggers.EngineOptions) {
			o.Config = config(1, rule("r", "retrain-fraud", matchAlert("X", "fraud")))
		}, `rule "r": unknown pipeline "retrain-fraud" (pipelines: finetune-churn, retrain-churn, retrain-credit)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := good
			opts.Registerer = prometheus.NewPedanticRegistry()
			tt.change(&opts)
			_, err := triggers.NewEngine(opts)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNotifyRejectsMalformedInput(t *testing.T) {
	ok := featureAlert(credit, "income", t0)
	tests := []struct {
		name string
		n    triggers.Notification
		want string
	}{
		{"no fingerprint and no labels", notification(credit, ok, triggers.Alert{Status: triggers.AlertFiring, StartsAt: t0}),
			"alerts[1]: has neither a fingerprint nor labels"},
		{"firing without startsAt", notification(credit, func() triggers.Alert { a := ok; a.StartsAt = time.Time{}; return a }()),
			"alerts[0]: has no startsAt"},
		{"unknown status", notification(credit, func() triggers.Alert { a := ok; a.Status = "pending"; return a }()),
			`alerts[0]: unknown status "pending" (want firing or resolved)`},
		{"schedule origin", func() triggers.Notification {
			n := notification(credit, ok)
			n.Origin = triggers.OriginSchedule
			return n
		}(), `origin "schedule": want alertmanager or embedded`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config(1, driftRules()...))
			_, err := f.engine.Notify(context.Background(), tt.n)
			require.ErrorIs(t, err, triggers.ErrInvalid)
			require.NotErrorIs(t, err, triggers.ErrUnavailable)
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, f.decisions(), "nothing is recorded")
			require.Empty(t, f.runs(triggers.RunFilter{}))
		})
	}
}

// TestFingerprintMatchesAlertmanager checks that an alert without a
// fingerprint gets the one Alertmanager would give it, so that it
// deduplicates against the same alert delivered with one.
func TestFingerprintMatchesAlertmanager(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))
	a := featureAlert(credit, "income", t0)
	first := f.notify(notification(credit, a))
	require.Equal(t, triggers.OutcomeStarted, first[0].Outcome)

	ls := model.LabelSet{}
	for k, v := range a.Labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	a.Fingerprint = ls.Fingerprint().String()
	again := f.notify(notification(credit, a))
	require.Equal(t, triggers.OutcomeDeduplicated, again[0].Outcome)
	require.Equal(t, first[0].Key, again[0].Key)
}

func TestDeduplication(t *testing.T) {
	a := featureAlert(credit, "income", t0)
	tests := []struct {
		name   string
		second func(triggers.Notification) triggers.Notification
		want   triggers.Outcome
	}{
		{"repeat after repeat_interval", func(n triggers.Notification) triggers.Notification { return n }, triggers.OutcomeDeduplicated},
		{"retry with another receiver", func(n triggers.Notification) triggers.Notification {
			n.Receiver = "driftwatch-ha"
			return n
		}, triggers.OutcomeDeduplicated},
		{"same group from the embedded evaluator", func(n triggers.Notification) triggers.Notification {
			n.Origin = triggers.OriginEmbedded
			return n
		}, triggers.OutcomeDeduplicated},
		{"the alert fired again", func(n triggers.Notification) triggers.Notification {
			b := a
			b.StartsAt = t0.Add(2 * time.Hour)
			n.Alerts = []triggers.Alert{b}
			return n
		}, triggers.OutcomeConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config(1, driftRules()...))
			n := notification(credit, a)
			first := f.notify(n)
			require.Equal(t, []triggers.Outcome{triggers.OutcomeStarted}, outcomes(first))

			f.clock.Advance(4 * time.Hour)
			second := f.notify(tt.second(n))
			require.Equal(t, []triggers.Outcome{tt.want}, outcomes(second))
			if tt.want == triggers.OutcomeDeduplicated {
				require.Equal(t, first[0].RunID, second[0].RunID, "a duplicate names the original run")
				require.Equal(t, 1.0, f.decisionCount(credit, n.Origin, triggers.OutcomeDeduplicated)+
					f.decisionCount(credit, triggers.OriginEmbedded, triggers.OutcomeDeduplicated))
			}
			require.Len(t, f.runs(triggers.RunFilter{}), 1, "one run whatever is repeated")
		})
	}
}

func TestDuplicateWithinOneNotification(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))
	a := featureAlert(credit, "income", t0)
	ds := f.notify(notification(credit, a, a))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeStarted, triggers.OutcomeDeduplicated}, outcomes(ds))
	require.Equal(t, ds[0].RunID, ds[1].RunID)
}

func TestUnmatched(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))
	quality := triggers.Alert{
		Status:   triggers.AlertFiring,
		Labels:   map[string]string{"alertname": "DriftwatchQualityBelowThreshold", "model": credit, "metric": "roc_auc"},
		StartsAt: t0,
	}
	stranger := featureAlert("fraud", "amount", t0)
	ds := f.notify(notification(credit, quality, stranger))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeUnmatched, triggers.OutcomeUnmatched}, outcomes(ds))
	require.Contains(t, ds[0].Reason, "no trigger rule selects alert DriftwatchQualityBelowThreshold of model credit-risk")
	require.Equal(t, 1.0, f.decisionCount(credit, triggers.OriginAlertmanager, triggers.OutcomeUnmatched))
	require.Equal(t, 1.0, f.decisionCount("unknown", triggers.OriginAlertmanager, triggers.OutcomeUnmatched),
		"a model that is not configured does not get its own series")

	again := f.notify(notification(credit, quality))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeDeduplicated}, outcomes(again))
	require.Empty(t, f.runs(triggers.RunFilter{}))
}

// TestRuleNeverRetrainsAnotherModel checks that a rule selects only alerts
// of its pipeline's model, even when its matchers would select more.
func TestRuleNeverRetrainsAnotherModel(t *testing.T) {
	loose := rule("any-drift", "retrain-credit", func(r *triggers.Rule) {
		r.MatchRegex = map[string]string{"alertname": "Driftwatch.*Drift"}
	})
	f := newFixture(t, config(2, loose))
	ds := f.notify(notification(churn, featureAlert(churn, "tenure", t0)))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeUnmatched}, outcomes(ds))
	ds = f.notify(notification(credit, featureAlert(credit, "income", t0)))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeStarted}, outcomes(ds))
}

func TestDurability(t *testing.T) {
	f := newFixture(t, config(2, driftRules()...))
	a := featureAlert(credit, "income", t0)
	first := f.notify(notification(credit, a))
	manual := f.request(triggers.ManualRequest{Model: churn, Pipeline: "retrain-churn", Reason: "new data", IdempotencyKey: "k1"})
	running := f.next()
	runsBefore, decisionsBefore := f.runs(triggers.RunFilter{}), f.decisions()

	f.restart()
	// The running run was interrupted by the restart; see
	// TestRestartFailsRunningRuns. Everything else is as it was.
	runsAfter := f.runs(triggers.RunFilter{})
	require.Len(t, runsAfter, 2)
	for i := range runsAfter {
		if runsAfter[i].ID == running.ID {
			require.Equal(t, triggers.RunFailed, runsAfter[i].State)
			runsAfter[i] = runsBefore[i]
		}
	}
	if diff := cmp.Diff(runsBefore, runsAfter); diff != "" {
		t.Errorf("runs after restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(decisionsBefore, f.decisions()); diff != "" {
		t.Errorf("decisions after restart (-want +got):\n%s", diff)
	}

	again := f.notify(notification(credit, a))
	require.Equal(t, triggers.OutcomeDeduplicated, again[0].Outcome)
	require.Equal(t, first[0].RunID, again[0].RunID)
	retried := f.request(triggers.ManualRequest{Model: churn, Pipeline: "retrain-churn", Reason: "new data", IdempotencyKey: "k1"})
	require.Equal(t, manual, retried)
	require.Len(t, f.runs(triggers.RunFilter{}), 2)
}

func TestStoreFailureRecordsNothing(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))
	require.NoError(t, f.db.Close())

	_, err := f.engine.Notify(context.Background(), notification(credit, featureAlert(credit, "income", t0)))
	require.ErrorIs(t, err, triggers.ErrUnavailable)
	require.ErrorIs(t, err, store.ErrStorage)
	require.NotErrorIs(t, err, triggers.ErrInvalid)
	_, err = f.engine.Request(context.Background(), triggers.ManualRequest{Model: credit, Reason: "r"})
	require.ErrorIs(t, err, triggers.ErrUnavailable)
	require.Equal(t, 2.0, f.value("driftwatch_trigger_store_errors_total", map[string]string{}))
	require.Zero(t, f.decisionCount(credit, triggers.OriginAlertmanager, triggers.OutcomeStarted), "nothing is counted")
	require.Zero(t, f.decisionCount(credit, triggers.OriginManual, triggers.OutcomeStarted))

	f.open()
	require.Empty(t, f.decisions())
	require.Empty(t, f.runs(triggers.RunFilter{}))
	ds := f.notify(notification(credit, featureAlert(credit, "income", t0)))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeStarted}, outcomes(ds), "the retry is a new trigger")
}

func TestRestartKeepsRunsForAResumingRunner(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))
	f.notify(notification(credit, featureAlert(credit, "income", t0)))
	running := f.next()
	f.resume = true
	f.restart()
	runs := f.runs(triggers.RunFilter{Model: credit})
	require.Len(t, runs, 1)
	require.Equal(t, triggers.RunRunning, runs[0].State, "the runner resumes it")
	f.clock.Advance(time.Minute)
	f.finish(running.ID, triggers.RunSucceeded)
	require.Equal(t, triggers.RunSucceeded, f.runs(triggers.RunFilter{Model: credit})[0].State)
	require.Equal(t, []string{running.SilenceID}, f.silencer.expired, "its silence ends with it")
}

func TestRestartFailsRunningRuns(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))
	f.notify(notification(credit, featureAlert(credit, "income", t0)))
	f.notify(notification(churn, featureAlert(churn, "tenure", t0)))
	running := f.next()
	require.NotEmpty(t, running.SilenceID)

	f.clock.Advance(time.Minute)
	f.restart()
	runs := f.runs(triggers.RunFilter{Model: credit})
	require.Len(t, runs, 1)
	require.Equal(t, triggers.RunFailed, runs[0].State)
	require.Contains(t, runs[0].Error, "driftwatch restarted")
	require.Equal(t, t0.Add(time.Minute), runs[0].EndedAt)
	require.Equal(t, triggers.RunQueued, f.runs(triggers.RunFilter{Model: churn})[0].State, "queued runs stay queued")

	// The schedule loop expires the interrupted run's silence first.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, f.engine.RunSchedules(ctx))
	require.Equal(t, []string{running.SilenceID}, f.silencer.expired)

	// The cooldown started when the interrupted run was marked failed.
	ds := f.notify(notification(credit, featureAlert(credit, "age", t0)))
	require.Equal(t, []triggers.Outcome{triggers.OutcomeCooldown}, outcomes(ds))
}

func TestRetention(t *testing.T) {
	f := newFixture(t, config(2, driftRules(func(r *triggers.Rule) { r.Cooldown = 0 })...))
	a := featureAlert(credit, "income", t0)
	first := f.notify(notification(credit, a))
	f.finish(first[0].RunID, triggers.RunCancelled)

	// A repeat within the retention refreshes the key.
	f.clock.Advance(6 * 24 * time.Hour)
	require.Equal(t, triggers.OutcomeDeduplicated, f.notify(notification(credit, a))[0].Outcome)
	f.clock.Advance(6 * 24 * time.Hour)
	require.Equal(t, triggers.OutcomeDeduplicated, f.notify(notification(credit, a))[0].Outcome)
	require.Len(t, f.decisions(), 2, "the first decision is past the retention, but its key was seen since")

	// A key not seen for longer is pruned with the decisions, by the
	// next write after the prune interval.
	f.clock.Advance(triggers.DefaultRetention + time.Hour)
	f.notify(notification(churn, featureAlert(churn, "tenure", f.clock.Now())))
	require.Len(t, f.decisions(), 1, "old decisions are pruned")
	ds := f.notify(notification(credit, a))
	require.Equal(t, triggers.OutcomeStarted, ds[0].Outcome, "a key past the retention is forgotten")
}
