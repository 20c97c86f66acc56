package pipelines

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// bucketRollbacks holds manual rollbacks: ID -> ModelRollback.
const bucketRollbacks = "pipeline_rollbacks"

// Manual rollback states.
const (
	RollbackInFlight  = "in_flight"
	RollbackSucceeded = "succeeded"
	RollbackFailed    = "failed"
)

// RollbackRequest asks to put an earlier version of a model back into
// service by hand. To defaults to the champion before the current one.
type RollbackRequest struct {
	Model string
	To    string
	Audit Audit
}

// ModelRollback is the durable record of a manual rollback.
type ModelRollback struct {
	ID       string     `json:"id"`
	Model    string     `json:"model"`
	Pipeline string     `json:"pipeline"`
	From     string     `json:"from"`
	To       ModelRef   `json:"to"`
	Audit    Audit      `json:"audit"`
	State    string     `json:"state"`
	Step     StepRecord `json:"step"`
	Error    string     `json:"error,omitempty"`
	EndedAt  time.Time  `json:"ended_at,omitzero"`
}

// Rollback puts an earlier version of a model back into service by hand:
// it runs the deploy command of the version's pipeline with that version,
// switches the monitor back, and makes it the champion, recording who
// asked and why. It returns when the rollback has ended. It is ErrConflict
// while a run of the model is between its gate and its end, since that run
// holds the model: cancel the run first.
func (r *Runner) Rollback(ctx context.Context, req RollbackRequest) (ModelRollback, error) {
	if err := checkAudit(req.Audit); err != nil {
		return ModelRollback{}, err
	}
	// The store says whether a run holds the model; a driver that just
	// ended a run releases the lock at once.
	if err := r.opts.Store.View(func(tx *store.Tx) error { return runHolding(tx, req.Model) }); err != nil {
		return ModelRollback{}, err
	}
	unlock, err := r.lockModel(ctx, req.Model)
	if err != nil {
		return ModelRollback{}, err
	}
	defer unlock()
	req.Audit.At = r.now()
	var rb ModelRollback
	err = r.opts.Store.Update(func(tx *store.Tx) error {
		var err error
		rb, err = r.planRollback(tx, req)
		if err != nil {
			return err
		}
		return tx.Put(bucketRollbacks, rb.ID, rb)
	})
	if err != nil {
		return rb, err
	}
	r.log.Info("manual rollback", "rollback_id", rb.ID, "model", rb.Model, "from", rb.From, "to", rb.To.Version, "by", req.Audit.By, "reason", req.Audit.Reason)
	return r.applyRollback(rb)
}

// planRollback checks a rollback request and returns its record.
func (r *Runner) planRollback(tx *store.Tx, req RollbackRequest) (ModelRollback, error) {
	var rb ModelRollback
	if err := runHolding(tx, req.Model); err != nil {
		return rb, err
	}
	m, err := getModel(tx, req.Model)
	if err != nil {
		return rb, err
	}
	if m.Champion == "" {
		return rb, fmt.Errorf("%w: model %s has no champion to roll back from", ErrConflict, req.Model)
	}
	to := req.To
	if to == "" {
		if to = m.previous(); to == "" {
			return rb, fmt.Errorf("%w: model %s has had no champion before %s; name a version with --to", ErrConflict, req.Model, m.Champion)
		}
	}
	if to == m.Champion {
		return rb, fmt.Errorf("%w: version %s of model %s is already the champion", ErrConflict, to, req.Model)
	}
	target, err := getVersion(tx, req.Model, to)
	if err != nil {
		return rb, err
	}
	p, err := r.pipelineFor(req.Model, target)
	if err != nil {
		return rb, err
	}
	seq, err := tx.NextSequence(bucketRollbacks)
	if err != nil {
		return rb, err
	}
	return ModelRollback{
		ID: fmt.Sprintf("rollback-%s-%06d", req.Audit.At.UTC().Format("20060102-150405"), seq), Model: req.Model, Pipeline: p.Name,
		From: m.Champion, To: target.ref(), Audit: req.Audit, State: RollbackInFlight,
		Step: StepRecord{Name: StepRollback, Status: StepRunning, StartedAt: req.Audit.At},
	}, nil
}

// runHolding returns ErrConflict when a run of the model is between its
// gate and its end.
func runHolding(tx *store.Tx, model string) error {
	return tx.ForEach(bucketRuns, func(rec store.Record) error {
		var run Run
		if err := rec.Decode(&run); err != nil {
			return err
		}
		if run.Model == model && run.State.modelBound() {
			return fmt.Errorf("%w: run %s of model %s is %s; cancel it first (driftwatch runs cancel %s)", ErrConflict, run.ID, run.Model, run.State, run.ID)
		}
		return nil
	})
}

// pipelineFor picks the pipeline whose deploy command serves a version:
// the one that made it, else the model's only pipeline.
func (r *Runner) pipelineFor(model string, v Version) (Pipeline, error) {
	if p, ok := r.pipelines[v.Pipeline]; ok {
		return p, nil
	}
	var found []Pipeline
	for _, p := range r.pipelines {
		if p.Model == model {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		names := make([]string, 0, len(found))
		for _, p := range found {
			names = append(names, p.Name)
		}
		slices.Sort(names)
		return Pipeline{}, fmt.Errorf("%w: cannot tell which pipeline's deploy command serves version %s of model %s (pipelines: %v)", ErrConflict, v.Version, model, names)
	}
	return found[0], nil
}

// applyRollback runs a recorded rollback's deploy command, switches the
// monitor and moves the champion. A rollback found in flight after a
// restart comes here again and repeats its deploy command.
func (r *Runner) applyRollback(rb ModelRollback) (ModelRollback, error) {
	p, ok := r.pipelines[rb.Pipeline]
	if !ok {
		return r.endRollback(rb, fmt.Sprintf("pipeline %s is no longer configured", rb.Pipeline), nil)
	}
	number, again := len(rb.Step.Attempts)+1, false
	if n := len(rb.Step.Attempts); n > 0 && rb.Step.Attempts[n-1].Status == AttemptRunning {
		number, again = rb.Step.Attempts[n-1].Number, true
	}
	dir := filepath.Join(r.opts.Dir, "rollbacks", rb.ID)
	spec, err := r.deploySpec(p, dir, rb.ID, "", StepRollback, rb.To, number)
	if err != nil {
		return r.endRollback(rb, err.Error(), nil)
	}
	now := r.now()
	if again {
		rb.Step.Attempts[number-1].Interrupted++
	} else {
		rb.Step.Attempts = append(rb.Step.Attempts, Attempt{Number: number, Name: spec.Name, Status: AttemptRunning, StartedAt: now, Log: spec.LogPath})
	}
	if err := r.opts.Store.Update(func(tx *store.Tx) error { return tx.Put(bucketRollbacks, rb.ID, rb) }); err != nil {
		return rb, err
	}
	pol := r.deployPolicy(p, StepRollback, rb.To)
	end, shutdown := r.execute(r.baseCtx(), pol, spec)
	if shutdown {
		return rb, fmt.Errorf("driftwatch is stopping; rollback %s resumes at the next start", rb.ID)
	}
	a := &rb.Step.Attempts[number-1]
	a.Status, a.EndedAt, a.ExitCode, a.Error = end.status, r.now(), end.exitCode, end.why
	r.metrics.stepDuration.WithLabelValues(rb.Model, p.Name, StepRollback, string(end.status)).Observe(a.EndedAt.Sub(a.StartedAt).Seconds())
	if end.status != AttemptSucceeded {
		what := "the deploy command"
		if p.Deploy.Target != DeployCommand {
			what = "the " + string(p.Deploy.Target) + " deploy"
		}
		return r.endRollback(rb, fmt.Sprintf("%s %s; logs: %s", what, end.why, a.Log), nil)
	}
	if err := r.switchTo(r.baseCtx(), rb.Model, rb.To); err != nil {
		return r.endRollback(rb, fmt.Sprintf("version %s was redeployed but the monitor could not switch back to it: %v", rb.To.Version, err), nil)
	}
	return r.endRollback(rb, "", func(tx *store.Tx, now time.Time) error {
		v, err := getVersion(tx, rb.Model, rb.To.Version)
		if err != nil {
			return err
		}
		return promote(tx, v, ChampionChange{Kind: ChangeManual, By: rb.Audit.By, Reason: rb.Audit.Reason}, now)
	})
}

// endRollback records the end of a manual rollback; why is "" when it
// succeeded, and then apply moves the champion in the same transaction.
func (r *Runner) endRollback(rb ModelRollback, why string, apply func(*store.Tx, time.Time) error) (ModelRollback, error) {
	now := r.now()
	rb.EndedAt, rb.Step.EndedAt = now, now
	rb.State, rb.Step.Status = RollbackSucceeded, StepSucceeded
	if why != "" {
		rb.State, rb.Step.Status, rb.Error = RollbackFailed, StepFailed, fmt.Sprintf("rollback of model %s to version %s failed: %s", rb.Model, rb.To.Version, why)
		rb.Step.Error = rb.Error
	}
	err := r.opts.Store.Update(func(tx *store.Tx) error {
		if apply != nil {
			if err := apply(tx, now); err != nil {
				return err
			}
		}
		return tx.Put(bucketRollbacks, rb.ID, rb)
	})
	if err != nil {
		return rb, err
	}
	if why != "" {
		r.log.Error("manual rollback failed", "rollback_id", rb.ID, "model", rb.Model, "to", rb.To.Version, "err", rb.Error)
		return rb, errors.New(rb.Error)
	}
	r.metrics.deploys.WithLabelValues(rb.Model, deployKindRollback).Inc()
	r.log.Info("manual rollback done", "rollback_id", rb.ID, "model", rb.Model, "to", rb.To.Version)
	return rb, nil
}

// Rollbacks returns a model's manual rollbacks, oldest first.
func (r *Runner) Rollbacks(model string) ([]ModelRollback, error) {
	var out []ModelRollback
	err := r.opts.Store.View(func(tx *store.Tx) error {
		return tx.ForEach(bucketRollbacks, func(rec store.Record) error {
			var rb ModelRollback
			if err := rec.Decode(&rb); err != nil {
				return err
			}
			if rb.Model == model {
				out = append(out, rb)
			}
			return nil
		})
	})
	return out, err
}

// resumeRollbacks finishes the manual rollbacks a previous process left in
// flight, in the background.
func (r *Runner) resumeRollbacks(ctx context.Context) error {
	var pending []ModelRollback
	err := r.opts.Store.View(func(tx *store.Tx) error {
		return tx.ForEach(bucketRollbacks, func(rec store.Record) error {
			var rb ModelRollback
			if err := rec.Decode(&rb); err != nil {
				return err
			}
			if rb.State == RollbackInFlight {
				pending = append(pending, rb)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("pipelines: reading rollbacks to resume: %w", err)
	}
	for _, rb := range pending {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			unlock, err := r.lockModel(ctx, rb.Model)
			if err != nil {
				return
			}
			defer unlock()
			r.log.Info("resuming a manual rollback", "rollback_id", rb.ID, "model", rb.Model, "to", rb.To.Version)
			if _, err := r.applyRollback(rb); err != nil {
				r.log.Error("resumed rollback did not complete", "rollback_id", rb.ID, "err", err)
			}
		}()
	}
	return nil
}
