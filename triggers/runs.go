package triggers

import (
	"context"
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// RunState is where a run is in its life.
type RunState string

// Run states. A run is created queued; Next makes it running; Finish, or
// the resolution of its alert while it is queued, ends it.
const (
	RunQueued    RunState = "queued"
	RunRunning   RunState = "running"
	RunSucceeded RunState = "succeeded"
	RunFailed    RunState = "failed"
	RunCancelled RunState = "cancelled"
	// RunRejected: the pipeline's gate kept the champion.
	RunRejected RunState = "rejected"
	// RunRolledBack: the new version failed its verification and the
	// previous one was deployed again.
	RunRolledBack RunState = "rolled_back"
)

// Finished reports whether the state is final.
func (s RunState) Finished() bool {
	switch s {
	case RunSucceeded, RunFailed, RunCancelled, RunRejected, RunRolledBack:
		return true
	}
	return false
}

// runStates lists every state, for metrics.
var runStates = []RunState{RunQueued, RunRunning, RunSucceeded, RunFailed, RunCancelled, RunRejected, RunRolledBack}

// Run is a pipeline run that a trigger requested: the queue entry that the
// pipeline runner takes with Next and ends with Finish.
type Run struct {
	// ID sorts by creation time and is unique; it has only digits and
	// dashes, so it fits in Kubernetes object names.
	ID string `json:"id"`
	// Seq is the run's place in the queue: runs start in Seq order.
	Seq      uint64 `json:"seq"`
	Model    string `json:"model"`
	Pipeline string `json:"pipeline"`
	// Rule is the trigger rule that requested the run; "" for a manual
	// request.
	Rule   string `json:"rule,omitempty"`
	Origin Origin `json:"origin"`
	// Reason says in words why the run was requested.
	Reason string `json:"reason"`
	// Params are handed to the run's steps, from a manual request.
	Params map[string]string `json:"params,omitempty"`
	// AlertLabels are the labels of the alert that requested the run.
	AlertLabels map[string]string `json:"alert_labels,omitempty"`
	// TriggerKey is the dedup key of the trigger that requested the run.
	TriggerKey  string    `json:"trigger_key,omitempty"`
	RequestedBy string    `json:"requested_by,omitempty"`
	State       RunState  `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	// Silence says whether the model's alerts are silenced while the run
	// is in flight; SilenceID is the silence, once created.
	Silence   bool   `json:"silence"`
	SilenceID string `json:"silence_id,omitempty"`
	// Error says why a run failed or was cancelled.
	Error string `json:"error,omitempty"`
}

// Next blocks until a queued run may start under
// triggers.max_concurrent_runs, marks the oldest one running durably and
// returns it. Then it silences the model's alerts if the run asks for it;
// a silence that cannot be created is logged and counted, and the run
// goes on. Next returns ctx's error when ctx ends first.
func (e *Engine) Next(ctx context.Context) (Run, error) {
	for {
		wake := e.waitChan()
		run, ok, err := e.TryNext(ctx)
		if err != nil || ok {
			return run, err
		}
		select {
		case <-ctx.Done():
			return Run{}, ctx.Err()
		case <-wake:
		}
	}
}

// TryNext is Next without the wait: it starts the oldest queued run and
// returns it with true if a slot is free, and returns false otherwise.
func (e *Engine) TryNext(ctx context.Context) (Run, bool, error) {
	run, ok, err := e.startNext(ctx)
	if err != nil || !ok {
		return Run{}, false, err
	}
	return e.silence(ctx, run), true, nil
}

// startNext marks the oldest queued run running if a slot is free.
func (e *Engine) startNext(ctx context.Context) (Run, bool, error) {
	var run Run
	var started bool
	_, err := e.update(ctx, "start run", func(t *txn) error {
		active, err := t.activeRuns()
		if err != nil {
			return err
		}
		running := 0
		var next *activeRun
		for i, a := range active {
			if a.State == RunRunning {
				running++
			} else if next == nil {
				next = &active[i]
			}
		}
		if next == nil || running >= e.cfg.MaxConcurrentRuns {
			return errNoChange
		}
		if run, err = t.run(next.ID); err != nil {
			return err
		}
		run.State, run.StartedAt = RunRunning, t.now
		started = true
		return t.saveRun(run)
	})
	if started {
		e.log.Info("run started", "run_id", run.ID, "model", run.Model, "pipeline", run.Pipeline, "rule", run.Rule, "origin", run.Origin)
	}
	return run, started, err
}

// silence creates the silence of a run that started, and records its ID.
func (e *Engine) silence(ctx context.Context, run Run) Run {
	if !run.Silence || e.silencer == nil || len(e.alertnames) == 0 {
		return run
	}
	deadline := DefaultRunDeadline
	if e.runDeadline != nil {
		if d := e.runDeadline(run.Pipeline); d > 0 {
			deadline = d
		}
	}
	comment := fmt.Sprintf("driftwatch: run %s of pipeline %s is retraining model %s (%s)", run.ID, run.Pipeline, run.Model, truncate(run.Reason, 200))
	id, err := e.silencer.SilenceModel(ctx, run.Model, e.alertnames, run.StartedAt.Add(deadline), comment)
	if err != nil {
		e.metrics.silenceErrors.WithLabelValues(silenceCreate).Inc()
		e.log.Warn("could not silence the model's alerts; the run goes on", "run_id", run.ID, "model", run.Model, "err", err)
		return run
	}
	run.SilenceID = id
	var ended bool
	_, err = e.update(ctx, "record silence", func(t *txn) error {
		stored, err := t.run(run.ID)
		if err != nil {
			return err
		}
		if ended = stored.State.Finished(); ended {
			return nil
		}
		stored.SilenceID = id
		return t.saveRun(stored)
	})
	switch {
	case err != nil:
		e.log.Warn("silence not recorded; it lapses at the run's deadline", "run_id", run.ID, "silence_id", id, "err", err)
	case ended:
		e.expire(ctx, run.ID, id) // The run ended while the silence was being created.
	}
	return run
}

// expire ends a run's silence; a failure is logged and counted.
func (e *Engine) expire(ctx context.Context, runID, silenceID string) {
	if e.silencer == nil || silenceID == "" {
		return
	}
	if err := e.silencer.Expire(ctx, silenceID); err != nil {
		e.metrics.silenceErrors.WithLabelValues(silenceExpire).Inc()
		e.log.Warn("could not expire the run's silence; it lapses at the run's deadline", "run_id", runID, "silence_id", silenceID, "err", err)
	}
}

// Finish ends a run durably in state succeeded, failed or cancelled, with
// errMsg saying why it failed or was cancelled, then expires its silence.
// A run that started starts its pipeline's cooldown. Finishing a run again
// in the same state does nothing, so a runner may retry; a queued run may
// only be cancelled. Bad requests fail with an error wrapping ErrInvalid.
func (e *Engine) Finish(ctx context.Context, id string, state RunState, errMsg string) error {
	if !state.Finished() {
		return fmt.Errorf("%w: run %s: cannot finish in state %q (want succeeded, failed, cancelled, rejected or rolled_back)", ErrInvalid, id, state)
	}
	var run Run
	var already bool
	_, err := e.update(ctx, "finish run", func(t *txn) error {
		var err error
		if run, err = t.run(id); err != nil {
			return err
		}
		switch {
		case run.State == state:
			already = true
			return nil
		case run.State.Finished():
			return fmt.Errorf("%w: run %s already ended %s", ErrInvalid, id, run.State)
		case run.State == RunQueued && state != RunCancelled:
			return fmt.Errorf("%w: run %s never started, so it can only be cancelled", ErrInvalid, id)
		}
		return t.endRun(&run, state, errMsg)
	})
	if err != nil || already {
		return err
	}
	e.log.Info("run ended", "run_id", run.ID, "model", run.Model, "pipeline", run.Pipeline, "state", state, "error", run.Error)
	e.expire(ctx, run.ID, run.SilenceID)
	return nil
}

// RunFilter selects runs. Zero fields select everything.
type RunFilter struct {
	Model    string
	Pipeline string
	State    RunState
	// Limit caps the number of runs returned; zero means no cap.
	Limit int
}

// Runs returns the runs that the filter selects, newest first.
func (e *Engine) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	var out []Run
	err := e.view(ctx, "list runs", func(tx *store.Tx) error {
		return tx.ForEachReverse(bucketRuns, func(rec store.Record) error {
			if f.Limit > 0 && len(out) >= f.Limit {
				return errStop
			}
			var r Run
			if err := rec.Decode(&r); err != nil {
				return err
			}
			if (f.Model == "" || r.Model == f.Model) && (f.Pipeline == "" || r.Pipeline == f.Pipeline) && (f.State == "" || r.State == f.State) {
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}

// Decisions returns up to limit recorded decisions, newest first; a limit
// of zero or less returns all that the retention keeps.
func (e *Engine) Decisions(ctx context.Context, limit int) ([]Decision, error) {
	var out []Decision
	err := e.view(ctx, "list decisions", func(tx *store.Tx) error {
		return tx.ForEachReverse(bucketDecisions, func(rec store.Record) error {
			if limit > 0 && len(out) >= limit {
				return errStop
			}
			var d decisionRecord
			if err := rec.Decode(&d); err != nil {
				return err
			}
			out = append(out, d.decision())
			return nil
		})
	})
	return out, err
}
