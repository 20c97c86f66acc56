package triggers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
)

// hourly runs the credit pipeline at the top of every hour.
func hourly(opts ...func(*triggers.Rule)) triggers.Rule {
	return rule("hourly-credit", "retrain-credit", append([]func(*triggers.Rule){func(r *triggers.Rule) {
		r.Schedule = "0 * * * *"
		r.Cooldown = 0
	}}, opts...)...)
}

// startSchedules runs the schedule loop until the returned function stops
// it.
func startSchedules(t *testing.T, f *fixture) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.engine.RunSchedules(ctx) }()
	return func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// tick waits until the loop arms its timer, checks when it is due, moves
// the clock there and fires it.
func tick(t *testing.T, f *fixture, want time.Time) {
	t.Helper()
	tm := <-f.clock.timers
	require.Equal(t, want, tm.at)
	f.clock.Set(tm.at)
	tm.fire()
}

func TestSchedules(t *testing.T) {
	f := newFixture(t, config(1, hourly()))
	stop := startSchedules(t, f)
	defer stop()

	tick(t, f, t0.Add(30*time.Minute)) // 11:00
	tick(t, f, t0.Add(90*time.Minute)) // 12:00; the 11:00 tick is handled once the loop waits again
	ds := f.decisions()
	require.Len(t, ds, 1, "a first start does not catch up on the past")
	require.Equal(t, triggers.OriginSchedule, ds[0].Origin)
	require.Equal(t, triggers.OutcomeStarted, ds[0].Outcome)
	require.Equal(t, "schedule|hourly-credit|2026-03-02T11:00:00Z", ds[0].Key)
	require.Contains(t, ds[0].Reason, `schedule "0 * * * *" of rule hourly-credit came due at 2026-03-02T11:00:00Z)`)
	require.NotContains(t, ds[0].Reason, "catch-up")

	<-f.clock.timers // 13:00: the 12:00 tick is handled.
	ds = f.decisions()
	require.Equal(t, triggers.OutcomeConcurrency, ds[0].Outcome, "the 11:00 run is still queued")
	require.Len(t, f.runs(triggers.RunFilter{}), 1)
	require.Equal(t, 1.0, f.decisionCount(credit, triggers.OriginSchedule, triggers.OutcomeStarted))
}

func TestScheduleCatchUp(t *testing.T) {
	tests := []struct {
		name     string
		down     time.Duration // from 10:30
		wantDue  string
		wantNote string
		wantRuns int
	}{
		{"no due time missed", 20 * time.Minute, "", "", 0},
		{"one due time missed", time.Hour, "2026-03-02T11:00:00Z", "run 30m0s late as a catch-up", 1},
		{"five due times missed: one run", 5*time.Hour + 50*time.Minute, "2026-03-02T16:00:00Z",
			"run 20m0s late as a catch-up; 5 earlier due time(s) missed while driftwatch was not running are skipped", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config(1, hourly()))
			stop := startSchedules(t, f)
			<-f.clock.timers // The loop recorded its start and waits for 11:00.
			stop()

			f.clock.Advance(tt.down)
			f.restart()
			stop = startSchedules(t, f)
			defer stop()
			<-f.clock.timers // Catch-up done.
			runs := f.runs(triggers.RunFilter{})
			require.Len(t, runs, tt.wantRuns)
			if tt.wantRuns == 0 {
				return
			}
			require.Equal(t, "schedule|hourly-credit|"+tt.wantDue, runs[0].TriggerKey)
			require.Equal(t, `schedule "0 * * * *" of rule hourly-credit came due at `+tt.wantDue+", "+tt.wantNote, runs[0].Reason)
		})
	}
}

func TestScheduleCooldown(t *testing.T) {
	f := newFixture(t, config(1, hourly(func(r *triggers.Rule) { r.Cooldown = 2 * time.Hour })))
	f.request(triggers.ManualRequest{Model: credit, Reason: "by hand"})
	run := f.next()
	f.clock.Advance(10 * time.Minute)
	f.finish(run.ID, triggers.RunSucceeded)

	stop := startSchedules(t, f)
	defer stop()
	tick(t, f, t0.Add(30*time.Minute))
	<-f.clock.timers
	ds := f.decisions()
	require.Equal(t, triggers.OutcomeCooldown, ds[0].Outcome, ds[0].Reason)
	require.Equal(t, triggers.OriginSchedule, ds[0].Origin)
}
