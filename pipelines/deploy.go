package pipelines

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// switchAttempts bounds the tries of Switcher.Switch after a deploy.
const switchAttempts = 3

// deploy puts the challenger into service: it registers the version,
// records the champion it replaces, runs the deploy command or the
// target's Deployer, switches the monitor to the new version and its
// profile, and makes it the champion. Each of these is recorded before the
// next starts; after a restart, a deploy found running is run again
// (deploy commands and Deployers must be idempotent) and the switch is
// repeated. A deploy that fails rolls back
// to the champion it replaced, when there is one and verify.rollback is
// set. The deploy runs to its end even if the run is cancelled, since a
// half-applied deploy is worse than either version.
func (r *Runner) deploy(ctx context.Context, p Pipeline, run Run) error {
	champion, _, err := r.registry.Champion(run.Model)
	if err != nil {
		return err
	}
	if stale := staleChampion(run, champion.Version); stale != "" {
		_, err := r.fail(run, StepDeploy, stale)
		return err
	}
	c := run.Challenger
	if run, err = r.update(run.ID, func(tx *store.Tx, run *Run) error {
		return r.registerVersion(tx, run, champion)
	}); errors.Is(err, ErrConflict) {
		_, err = r.fail(run, StepDeploy, err.Error()+"; a version is never reused")
		return err
	} else if err != nil {
		return err
	}
	// ctx is cancelled by a cancel request; the Runner's is not.
	rec, err := r.runStep(r.ctx, run.ID, StepDeploy, r.deployPolicy(p, StepDeploy, c.ModelRef))
	if err != nil {
		return err
	}
	if rec.Status != StepSucceeded {
		return r.deployFailed(p, run, rec.Error)
	}
	if err := r.switchTo(r.ctx, run.Model, c.ModelRef); err != nil {
		return r.deployFailed(p, run, fmt.Sprintf("version %s was deployed but the monitor could not switch to it: %v", c.Version, err))
	}
	to, note := StateVerifying, fmt.Sprintf("version %s deployed", c.Version)
	if p.Verify.Period == 0 {
		to, note = StateSucceeded, fmt.Sprintf("version %s deployed; verification is off", c.Version)
	}
	now := r.now()
	run, err = r.transition(run.ID, StateDeploying, to, note, func(tx *store.Tx, run *Run) error {
		v, err := getVersion(tx, run.Model, c.Version)
		if err != nil {
			return err
		}
		run.DeployedAt = now
		if to == StateSucceeded {
			run.Message = note
		}
		return promote(tx, v, ChampionChange{Kind: ChangeRun, RunID: run.ID, Reason: run.Reason}, now)
	})
	if err != nil {
		return err
	}
	r.metrics.deploys.WithLabelValues(run.Model, deployKindDeploy).Inc()
	if !run.RequestedAt.IsZero() && !now.Before(run.RequestedAt) {
		r.metrics.triggerToDeploy.WithLabelValues(run.Model, run.Pipeline).Observe(now.Sub(run.RequestedAt).Seconds())
	}
	return nil
}

// registerVersion records the challenger in the registry, and the
// champion it is about to replace, once.
func (r *Runner) registerVersion(tx *store.Tx, run *Run, champion Version) error {
	c := run.Challenger
	if v, err := getVersion(tx, run.Model, c.Version); err == nil {
		if v.RunID != run.ID {
			return fmt.Errorf("%w: version %s of model %s was registered by run %s meanwhile", ErrConflict, c.Version, run.Model, v.RunID)
		}
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if champion.Version != "" && champion.Version != c.Version {
		ref := champion.ref()
		run.Previous = &ref
	}
	trigger := run.Trigger
	v := Version{
		Model: run.Model, Version: c.Version, RunID: run.ID, Pipeline: run.Pipeline, Trigger: &trigger, Reason: run.Reason,
		Params: run.Params, DataWindow: run.DataWindow, Metrics: c.Metrics, TrainMetrics: c.TrainMetrics,
		ModelURI: c.URI, ProfileURI: c.ProfileURI, Status: VersionDeploying, CreatedAt: c.TrainedAt,
	}
	return tx.Put(bucketVersions, versionKey(v.Model, v.Version), v)
}

// deployFailed rolls back to the champion the deploy replaced, or fails
// the run when there is none or rollback is off.
func (r *Runner) deployFailed(p Pipeline, run Run, why string) error {
	markFailed := func(tx *store.Tx, run *Run) error {
		v, err := getVersion(tx, run.Model, run.Challenger.Version)
		if err != nil {
			return err
		}
		v.Status = VersionFailed
		return tx.Put(bucketVersions, versionKey(v.Model, v.Version), v)
	}
	if run.Previous == nil || !p.Verify.Rollback {
		_, err := r.update(run.ID, func(tx *store.Tx, cur *Run) error {
			if err := markFailed(tx, cur); err != nil {
				return err
			}
			cur.FailedStep, cur.Error, cur.Message = StepDeploy, why, why
			return cur.moveTo(StateFailed, r.now(), why)
		})
		return err
	}
	_, err := r.transition(run.ID, StateDeploying, StateRollingBack, "deploy failed", func(tx *store.Tx, cur *Run) error {
		cur.FailedStep, cur.Error = StepDeploy, why
		cur.Rollback = &Rollback{From: cur.Challenger.Version, To: *cur.Previous, Reason: why, StartedAt: r.now()}
		return markFailed(tx, cur)
	})
	return err
}

// switchTo points the monitor at a version, retrying a few times.
func (r *Runner) switchTo(ctx context.Context, model string, ref ModelRef) error {
	var err error
	for i := range switchAttempts {
		if err = r.opts.Switcher.Switch(ctx, model, ref.Version, ref.ProfileURI); err == nil {
			return nil
		}
		r.log.Warn("could not switch the monitor to a version", "model", model, "version", ref.Version, "attempt", i+1, "err", err)
		if sleep(ctx, r.opts.NewTimer, time.Duration(i+1)*time.Second) != nil {
			return ctx.Err()
		}
	}
	return err
}

// verify watches the new version for verify.period, polling the Observer.
// It fails when a window of the version has a drift share of at least
// verify.max_drift_share, or breaches a quality threshold; the run then
// rolls back, or fails when rollback is off or there is nothing to roll
// back to. A verify period that saw no window passes, with a note. The
// period's end is recorded, so a restart watches only what is left.
func (r *Runner) verify(ctx context.Context, p Pipeline, run Run) error {
	var err error
	if run.Verification == nil {
		now := r.now()
		if run, err = r.update(run.ID, func(_ *store.Tx, run *Run) error {
			run.Verification = &Verification{StartedAt: now, Until: now.Add(p.Verify.Period)}
			return nil
		}); err != nil {
			return err
		}
	}
	version := run.Challenger.Version
	deadline := run.CreatedAt.Add(p.Deadline)
	seen := -1
	if run.Verification.Last != nil {
		seen = run.Verification.Last.Windows
	}
	for {
		obs, err := r.opts.Observer.Observe(ctx, run.Model, version)
		switch {
		case ctx.Err() != nil:
			return context.Cause(ctx)
		case err != nil:
			r.log.Warn("could not observe the new version; verification goes on", "run_id", run.ID, "model", run.Model, "version", version, "err", err)
		case obs.Windows != seen:
			seen = obs.Windows
			if run, err = r.update(run.ID, func(_ *store.Tx, run *Run) error {
				run.Verification.Last = &obs
				return nil
			}); err != nil {
				return err
			}
		}
		if why := verifyFailure(p.Verify, version, obs, err); why != "" {
			return r.verifyFailed(p, run, why)
		}
		now := r.now()
		if !now.Before(run.Verification.Until) {
			if p.Deploy.Canary() {
				return r.promote(p, run, obs)
			}
			return r.verified(run, obs)
		}
		if !now.Before(deadline) {
			msg := fmt.Sprintf("the pipeline deadline of %s was reached %s into verification; version %s stays deployed", p.Deadline, now.Sub(run.Verification.StartedAt).Round(time.Second), version)
			_, err := r.update(run.ID, func(_ *store.Tx, cur *Run) error {
				cur.Verification.EndedAt, cur.Verification.Failure = now, msg
				cur.FailedStep, cur.Error, cur.Message = "verify", msg, msg
				return cur.moveTo(StateFailed, now, msg)
			})
			return err
		}
		wait := min(r.opts.VerifyInterval, run.Verification.Until.Sub(now), deadline.Sub(now))
		if err := sleep(ctx, r.opts.NewTimer, wait); err != nil {
			return context.Cause(ctx)
		}
	}
}

// promote sends all the traffic to a canary that passed verification, as
// a recorded step, then ends the run. Like a deploy, it runs to its end
// even if the run is cancelled, and a restart repeats it. A promotion that
// fails is handled like a failed verification: the run rolls back.
func (r *Runner) promote(p Pipeline, run Run, obs Observation) error {
	rec, err := r.runStep(r.ctx, run.ID, StepPromote, r.deployPolicy(p, StepPromote, run.Challenger.ModelRef))
	if err != nil {
		return err
	}
	if rec.Status != StepSucceeded {
		return r.verifyFailed(p, run, fmt.Sprintf("version %s passed verification as a canary, but its promotion failed: %s", run.Challenger.Version, rec.Error))
	}
	return r.verified(run, obs)
}

// verifyFailure says why an observation fails verification, or returns "".
func verifyFailure(c VerifyConfig, version string, obs Observation, err error) string {
	if err != nil || obs.Windows == 0 {
		return ""
	}
	var why []string
	if obs.DriftShare >= c.MaxDriftShare {
		why = append(why, fmt.Sprintf("drift share %.3g reached verify.max_drift_share %v", obs.DriftShare, c.MaxDriftShare))
	}
	names := make([]string, 0, len(obs.Quality))
	for name := range obs.Quality {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if q := obs.Quality[name]; q.Breached {
			why = append(why, fmt.Sprintf("%s %.4g breached its threshold %.4g", name, q.Value, q.Threshold))
		}
	}
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("verification of version %s failed after %d window(s): %s", version, obs.Windows, strings.Join(why, "; "))
}

// verified ends a run whose new version passed verification.
func (r *Runner) verified(run Run, obs Observation) error {
	now := r.now()
	msg := fmt.Sprintf("version %s deployed and verified over %d window(s)", run.Challenger.Version, obs.Windows)
	note := ""
	if obs.Windows == 0 {
		note = "no window of the new version closed during the verify period, so nothing contradicted it"
		msg = fmt.Sprintf("version %s deployed; %s", run.Challenger.Version, note)
	}
	_, err := r.transition(run.ID, StateVerifying, StateSucceeded, msg, func(_ *store.Tx, cur *Run) error {
		cur.Verification.EndedAt, cur.Verification.Note, cur.Message = now, note, msg
		return nil
	})
	return err
}

// verifyFailed rolls back, or fails the run when rollback is off or there
// is no earlier champion; the new version then stays deployed.
func (r *Runner) verifyFailed(p Pipeline, run Run, why string) error {
	now := r.now()
	if !p.Verify.Rollback || run.Previous == nil {
		msg := why + fmt.Sprintf("; version %s stays deployed: ", run.Challenger.Version)
		if run.Previous == nil {
			msg += "there is no earlier champion to roll back to"
		} else {
			msg += "verify.rollback is off"
		}
		_, err := r.update(run.ID, func(_ *store.Tx, cur *Run) error {
			cur.Verification.EndedAt, cur.Verification.Failure = now, why
			cur.FailedStep, cur.Error, cur.Message = "verify", msg, msg
			return cur.moveTo(StateFailed, now, msg)
		})
		return err
	}
	_, err := r.transition(run.ID, StateVerifying, StateRollingBack, "verification failed", func(_ *store.Tx, cur *Run) error {
		cur.Verification.EndedAt, cur.Verification.Failure = now, why
		cur.FailedStep, cur.Error = "verify", why
		cur.Rollback = &Rollback{From: cur.Challenger.Version, To: *cur.Previous, Reason: why, StartedAt: now}
		return nil
	})
	return err
}

// rollback redeploys the champion that the run replaced, switches the
// monitor back and restores the champion pointer. Like a deploy, it runs
// to its end even if the run is cancelled, and a restart repeats it.
func (r *Runner) rollback(p Pipeline, run Run) error {
	rb := run.Rollback
	rec, err := r.runStep(r.ctx, run.ID, StepRollback, r.deployPolicy(p, StepRollback, rb.To))
	if err != nil {
		return err
	}
	if rec.Status == StepSucceeded {
		if serr := r.switchTo(r.ctx, run.Model, rb.To); serr != nil {
			rec.Error = fmt.Sprintf("version %s was redeployed but the monitor could not switch back to it: %v", rb.To.Version, serr)
		}
	}
	now := r.now()
	if rec.Status != StepSucceeded || rec.Error != "" {
		msg := fmt.Sprintf("%s; the rollback to version %s failed too: %s; check what serves and run driftwatch models rollback", rb.Reason, rb.To.Version, rec.Error)
		_, err := r.update(run.ID, func(_ *store.Tx, cur *Run) error {
			cur.FailedStep, cur.Error, cur.Message = StepRollback, msg, msg
			return cur.moveTo(StateFailed, now, msg)
		})
		return err
	}
	msg := fmt.Sprintf("%s; rolled back to version %s", rb.Reason, rb.To.Version)
	_, err = r.transition(run.ID, StateRollingBack, StateRolledBack, msg, func(tx *store.Tx, cur *Run) error {
		v, err := getVersion(tx, cur.Model, rb.To.Version)
		if err != nil {
			return err
		}
		cur.Rollback.EndedAt, cur.Message = now, msg
		return promote(tx, v, ChampionChange{Kind: ChangeRollback, RunID: cur.ID, Reason: rb.Reason}, now)
	})
	if err == nil {
		r.metrics.deploys.WithLabelValues(run.Model, deployKindRollback).Inc()
	}
	return err
}
