package pipelines

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// Causes of a run's context ending, other than a shutdown.
var (
	errCancelled  = errors.New("run cancelled")
	errDeadline   = errors.New("pipeline deadline reached")
	errStepTimout = errors.New("step timeout reached")
)

// drive moves one run through its states until it ends and its end is
// reported, or ctx ends. Each pass reads the run from the store and acts
// on the state found there, so a driver started after a restart carries
// on where the last one stopped. A run holds its model's lock from the
// gate to its end, so versions of one model are judged, deployed and
// verified one run at a time.
func (r *Runner) drive(ctx context.Context, id string) {
	var unlock func()
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	backoff := time.Duration(0)
	for {
		if r.ctx.Err() != nil {
			return
		}
		run, err := r.Get(id)
		if err != nil {
			backoff = min(max(2*backoff, time.Second), 30*time.Second)
			r.log.Error("could not read run; retrying", "run_id", id, "err", err, "retry_in", backoff)
			if sleep(r.ctx, r.opts.NewTimer, backoff) != nil {
				return
			}
			continue
		}
		if run.State.Terminal() {
			if unlock != nil {
				unlock()
				unlock = nil
			}
			r.report(r.ctx, run)
			return
		}
		if run.CancelRequest != nil && cancellable(run) {
			err = r.cancelNow(run)
		} else {
			if run.State.modelBound() && unlock == nil {
				// A deploy or rollback in flight waits for the lock
				// even when cancelled, since it must finish.
				lockCtx := ctx
				if !cancellable(run) {
					lockCtx = r.ctx
				}
				if unlock, err = r.lockModel(lockCtx, run.Model); err != nil {
					continue // Cancelled or shutting down; the next pass sees which.
				}
			}
			err = r.advance(ctx, run)
		}
		switch {
		case err == nil:
			backoff = 0
		case r.ctx.Err() != nil:
			return
		case errors.Is(context.Cause(ctx), errCancelled):
			// The next pass records the cancellation.
		default:
			backoff = min(max(2*backoff, time.Second), 30*time.Second)
			r.log.Error("run could not advance; retrying", "run_id", id, "state", run.State, "err", err, "retry_in", backoff)
			if sleep(r.ctx, r.opts.NewTimer, backoff) != nil {
				return
			}
		}
	}
}

// cancellable reports whether a cancel may end the run now. A deploy or a
// rollback that started is finished first: stopping it halfway would leave
// the serving system in an unknown state.
func cancellable(run Run) bool {
	switch run.State {
	case StateRollingBack:
		return false
	case StateDeploying:
		return run.step(StepDeploy) == nil
	}
	return true
}

// advance does the work of the run's state and moves it on.
func (r *Runner) advance(ctx context.Context, run Run) error {
	p, ok := r.pipelines[run.Pipeline]
	if !ok {
		_, err := r.fail(run, "request", fmt.Sprintf("pipeline %q is no longer configured", run.Pipeline))
		return err
	}
	switch run.State {
	case StateQueued:
		_, err := r.transition(run.ID, StateQueued, StateTraining, "started", nil)
		return err
	case StateTraining:
		return r.train(ctx, p, run)
	case StateEvaluating:
		return r.evaluate(ctx, p, run)
	case StateGating:
		return r.gate(p, run)
	case StateDeploying:
		return r.deploy(ctx, p, run)
	case StateVerifying:
		return r.verify(ctx, p, run)
	case StateRollingBack:
		return r.rollback(p, run)
	}
	return fmt.Errorf("run %s: unexpected state %s", run.ID, run.State)
}

// withDeadline bounds ctx by the run's pipeline deadline, counted from
// when the Runner took the run.
func (r *Runner) withDeadline(ctx context.Context, p Pipeline, run Run) (context.Context, context.CancelFunc) {
	left := run.CreatedAt.Add(p.Deadline).Sub(r.now())
	return context.WithTimeoutCause(ctx, left, errDeadline)
}

// train runs the train step and records the challenger it made.
func (r *Runner) train(ctx context.Context, p Pipeline, run Run) error {
	ctx, cancel := r.withDeadline(ctx, p, run)
	defer cancel()
	rec, err := r.runStep(ctx, run.ID, StepTrain, r.policy(p, StepTrain))
	if err != nil || rec.Status != StepSucceeded {
		return r.afterStep(run, rec, err)
	}
	res := *rec.Result
	_, err = r.transition(run.ID, StateTraining, StateEvaluating, "", func(tx *store.Tx, run *Run) error {
		version := res.Version
		if version == "" {
			version = run.ID
		}
		if v, err := getVersion(tx, run.Model, version); err == nil && v.RunID != run.ID {
			return fmt.Errorf("%w: version %s of model %s is already registered", errVersionTaken, version, run.Model)
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		run.Challenger = &Challenger{
			ModelRef:  ModelRef{Version: version, URI: res.ModelURI, ProfileURI: res.ProfileURI},
			TrainedAt: rec.EndedAt, TrainMetrics: res.Metrics,
		}
		return nil
	})
	if errors.Is(err, errVersionTaken) {
		_, err = r.fail(run, StepTrain, fmt.Sprintf("step train reported %v; a version is never reused", strings.TrimPrefix(err.Error(), errVersionTaken.Error()+": ")))
	}
	return err
}

var errVersionTaken = errors.New("version taken")

// evaluate runs the evaluate step against the champion of the moment,
// which the run records, and keeps the metrics of both.
func (r *Runner) evaluate(ctx context.Context, p Pipeline, run Run) error {
	if run.step(StepEvaluate) == nil {
		champion, _, err := r.registry.Champion(run.Model)
		if err != nil {
			return err
		}
		if run, err = r.update(run.ID, func(_ *store.Tx, run *Run) error {
			run.Champion = nil
			if champion.Version != "" {
				ref := champion.ref()
				run.Champion = &ref
			}
			return nil
		}); err != nil {
			return err
		}
	}
	ctx, cancel := r.withDeadline(ctx, p, run)
	defer cancel()
	rec, err := r.runStep(ctx, run.ID, StepEvaluate, r.policy(p, StepEvaluate))
	if err != nil || rec.Status != StepSucceeded {
		return r.afterStep(run, rec, err)
	}
	_, err = r.transition(run.ID, StateEvaluating, StateGating, "", func(_ *store.Tx, run *Run) error {
		run.Challenger.Metrics, run.Challenger.ChampionMetrics = rec.Result.Metrics, rec.Result.ChampionMetrics
		return nil
	})
	return err
}

// afterStep ends the run after a step that did not succeed: failed, or
// cancelled (the driver's next pass records the cancellation).
func (r *Runner) afterStep(run Run, rec StepRecord, err error) error {
	if err != nil {
		return err
	}
	if rec.Status == StepCancelled {
		return context.Canceled
	}
	_, err = r.fail(run, rec.Name, rec.Error)
	return err
}

// gate judges the challenger. The champion must still be the one it was
// evaluated against; otherwise the comparison is stale and the run fails.
func (r *Runner) gate(p Pipeline, run Run) error {
	champion, _, err := r.registry.Champion(run.Model)
	if err != nil {
		return err
	}
	if stale := staleChampion(run, champion.Version); stale != "" {
		_, err := r.fail(run, "gate", stale)
		return err
	}
	c := run.Challenger
	verdict, err := Judge(p.Gate, c.Metrics, c.ChampionMetrics, run.Champion != nil)
	if err != nil {
		_, err := r.fail(run, "gate", "gate: "+err.Error())
		return err
	}
	to, msg := StateDeploying, fmt.Sprintf("gate passed %d checks", verdict.Checked)
	if !verdict.OK {
		to, msg = StateRejected, rejection(verdict, run)
	}
	_, err = r.transition(run.ID, StateGating, to, msg, func(_ *store.Tx, run *Run) error {
		run.Verdict = &verdict
		if to == StateRejected {
			run.Message = msg
		}
		return nil
	})
	return err
}

// staleChampion says why the challenger's comparison no longer holds, or
// returns "". The champion may be the challenger itself after a deploy
// that a restart interrupted.
func staleChampion(run Run, current string) string {
	evaluated := ""
	if run.Champion != nil {
		evaluated = run.Champion.Version
	}
	if current == evaluated || (run.Challenger != nil && current == run.Challenger.Version) {
		return ""
	}
	return fmt.Sprintf("the champion changed from %q to %q after the challenger was evaluated; trigger a new run to compare with the new champion", evaluated, current)
}

func rejection(v Verdict, run Run) string {
	parts := make([]string, 0, len(v.Failures))
	for _, f := range v.Failures {
		parts = append(parts, f.Message)
	}
	keep := "the model has no champion"
	if run.Champion != nil {
		keep = "champion " + run.Champion.Version + " stays"
	}
	return fmt.Sprintf("gate rejected challenger %s: %s; %s", run.Challenger.Version, strings.Join(parts, "; "), keep)
}

// fail ends a run failed, naming the step and why.
func (r *Runner) fail(run Run, step, why string) (Run, error) {
	return r.update(run.ID, func(_ *store.Tx, cur *Run) error {
		cur.FailedStep, cur.Error = step, why
		cur.Message = why
		return cur.moveTo(StateFailed, r.now(), why)
	})
}

// cancelNow ends a run that an operator cancelled.
func (r *Runner) cancelNow(run Run) error {
	_, err := r.update(run.ID, func(_ *store.Tx, cur *Run) error {
		if cur.State.Terminal() {
			return nil
		}
		c := cur.CancelRequest
		msg := fmt.Sprintf("cancelled by %s in state %s: %s", c.By, cur.State, c.Reason)
		if cur.State == StateVerifying && cur.Challenger != nil {
			msg += fmt.Sprintf("; version %s stays deployed (roll back with driftwatch models rollback)", cur.Challenger.Version)
		}
		cur.Error, cur.Message = msg, msg
		return cur.moveTo(StateCancelled, r.now(), msg)
	})
	return err
}
