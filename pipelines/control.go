package pipelines

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// ErrInvalid marks a request that lacks what it needs, such as a reason.
var ErrInvalid = errors.New("invalid request")

// checkAudit requires who and why of an operator's action.
func checkAudit(a Audit) error {
	switch {
	case a.By == "":
		return fmt.Errorf("%w: say who asks (by)", ErrInvalid)
	case a.Reason == "":
		return fmt.Errorf("%w: a reason is required", ErrInvalid)
	}
	return nil
}

// Cancel asks for a run to be cancelled, and returns the run. A step that
// runs is stopped (its process killed) and the run ends cancelled; a
// deploy or rollback in flight finishes first, and a run cancelled during
// verification leaves its new version deployed. Cancelling a run that
// ended is ErrConflict; asking twice keeps the first request.
func (r *Runner) Cancel(id string, a Audit) (Run, error) {
	if err := checkAudit(a); err != nil {
		return Run{}, err
	}
	run, err := r.update(id, func(_ *store.Tx, run *Run) error {
		if run.State.Terminal() {
			return fmt.Errorf("%w: run %s already ended %s", ErrConflict, id, run.State)
		}
		if run.CancelRequest == nil {
			a.At = r.now()
			run.CancelRequest = &a
		}
		return nil
	})
	if err != nil {
		return run, err
	}
	r.log.Info("run cancel requested", "run_id", id, "by", a.By, "reason", a.Reason, "state", run.State)
	r.mu.Lock()
	cancel := r.active[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel(errCancelled)
	}
	return run, nil
}

// Approve overrides the gate's rejection of a run: the run opens again in
// state deploying, with the approval recorded in the run and its verdict.
// It is allowed within the approval window after the rejection, and only
// while the champion is the one the challenger was evaluated against. The
// Source was told of the rejection and is not told again.
func (r *Runner) Approve(id string, a Audit) (Run, error) {
	if err := checkAudit(a); err != nil {
		return Run{}, err
	}
	now := r.now()
	run, err := r.update(id, func(tx *store.Tx, run *Run) error {
		if run.State != StateRejected {
			return fmt.Errorf("%w: run %s is %s; only a rejected run can be approved", ErrConflict, id, run.State)
		}
		if age := now.Sub(run.EndedAt); age > r.opts.ApprovalWindow {
			return fmt.Errorf("%w: run %s was rejected %s ago, longer than the approval window of %s; trigger a new run", ErrConflict, id, age.Round(time.Minute), r.opts.ApprovalWindow)
		}
		if _, ok := r.pipelines[run.Pipeline]; !ok {
			return fmt.Errorf("%w: pipeline %s of run %s is no longer configured", ErrConflict, run.Pipeline, id)
		}
		champion, err := championOf(tx, run.Model)
		if err != nil {
			return err
		}
		current := ""
		if champion != nil {
			current = champion.Version
		}
		if stale := staleChampion(*run, current); stale != "" {
			return fmt.Errorf("%w: %s", ErrConflict, stale)
		}
		a.At = now
		run.Approval = &a
		run.Verdict.Override = &a
		run.Message, run.EndedAt = "", time.Time{}
		return run.moveTo(StateDeploying, now, fmt.Sprintf("approved by %s: %s", a.By, a.Reason))
	})
	if err != nil {
		return run, err
	}
	r.log.Info("rejected run approved", "run_id", id, "by", a.By, "reason", a.Reason)
	r.spawn(id)
	return run, nil
}

// baseCtx is the context of work started outside a run's driver: the
// Runner's, once Run is called.
func (r *Runner) baseCtx() context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// stopping reports whether the Runner is shutting down.
func (r *Runner) stopping() bool { return r.baseCtx().Err() != nil }
