package pipelines

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// maxRetryDelay caps the doubling backoff between attempts.
const maxRetryDelay = time.Hour

// stepPolicy is how a step runs: where, for how long, how often, and how
// its attempts are rendered and their results checked.
type stepPolicy struct {
	executor   Executor
	timeout    time.Duration
	retries    int
	backoff    time.Duration
	permanent  []int
	wantResult bool
	// spec renders an attempt of the step for the run.
	spec func(run Run, attempt int) (StepSpec, error)
	// check checks and completes a valid result; nil accepts it.
	check func(res *Result, spec StepSpec) error
}

// attemptEnd is how one attempt ended.
type attemptEnd struct {
	status    AttemptStatus
	exitCode  *int
	why       string // why it failed, for the attempt's and step's error
	permanent bool
	result    *Result
	log       string
}

// runStep runs a step of a run to its end and returns its record: every
// attempt is recorded running before it starts, failed attempts are
// retried after a doubling backoff unless the failure is permanent, and
// an attempt found running (driftwatch stopped during it) is executed
// again under its own number, counted in Interrupted. A step that already
// ended returns at once, so a step is never completed twice. The error is
// ctx's when the Runner shuts down, or a storage error.
func (r *Runner) runStep(ctx context.Context, id, name string, pol stepPolicy) (StepRecord, error) {
	for {
		run, err := r.Get(id)
		if err != nil {
			return StepRecord{}, err
		}
		rec := run.step(name)
		if rec != nil && (rec.Status == StepSucceeded || rec.Status == StepFailed || rec.Status == StepCancelled) {
			return *rec, nil
		}
		if ctx.Err() != nil {
			// Cancelled, past the deadline (such as after a long
			// outage), or stopping: start nothing.
			if err := r.stopStep(ctx, id, name); err != nil {
				return StepRecord{}, err
			}
			continue
		}
		number, again := 1, false
		switch {
		case rec == nil:
		case len(rec.Attempts) > 0 && rec.Attempts[len(rec.Attempts)-1].Status == AttemptRunning:
			number, again = rec.Attempts[len(rec.Attempts)-1].Number, true
		case rec.Status == StepWaiting:
			if err := sleep(ctx, r.opts.NewTimer, rec.RetryAt.Sub(r.now())); err != nil {
				continue // The next pass stops the step.
			}
			number = len(rec.Attempts) + 1
		default:
			number = len(rec.Attempts) + 1
		}
		spec, specErr := pol.spec(run, number)
		run, err = r.update(id, func(_ *store.Tx, run *Run) error {
			return r.startAttempt(run, name, number, again, spec, specErr)
		})
		if err != nil {
			return StepRecord{}, err
		}
		if s := run.step(name); s.Status != StepRunning {
			continue // Rendering failed, or the attempt spanned too many restarts.
		}
		started := r.now()
		if again {
			r.log.Warn("re-running an attempt that a restart interrupted", "run_id", id, "step", name, "attempt", number)
		}
		spec.Progress = r.progressOf(id, name, number)
		end, shutdown := r.execute(ctx, pol, spec)
		p := r.pipelines[run.Pipeline]
		if shutdown {
			// Leave the attempt running: the next Run executes it again.
			r.metrics.stepDuration.WithLabelValues(run.Model, p.Name, name, resultInterrupted).Observe(r.now().Sub(started).Seconds())
			return StepRecord{}, ctx.Err()
		}
		r.metrics.stepDuration.WithLabelValues(run.Model, p.Name, name, string(end.status)).Observe(r.now().Sub(started).Seconds())
		if _, err := r.update(id, func(_ *store.Tx, run *Run) error {
			r.endAttempt(run.step(name), number, end, pol)
			return nil
		}); err != nil {
			return StepRecord{}, err
		}
	}
}

// startAttempt records the attempt about to run, or fails the step when it
// cannot be rendered or its attempt spanned too many restarts.
func (r *Runner) startAttempt(run *Run, name string, number int, again bool, spec StepSpec, specErr error) error {
	now := r.now()
	rec := run.step(name)
	if rec == nil {
		run.Steps = append(run.Steps, StepRecord{Name: name, StartedAt: now})
		rec = &run.Steps[len(run.Steps)-1]
	}
	rec.Status, rec.RetryAt = StepRunning, time.Time{}
	if specErr != nil {
		rec.Status, rec.EndedAt = StepFailed, now
		rec.Error = fmt.Sprintf("step %s failed before attempt %d started: %v", name, number, specErr)
		return nil
	}
	if !again {
		rec.Attempts = append(rec.Attempts, Attempt{Number: number, Name: spec.Name, Status: AttemptRunning, StartedAt: now, Log: spec.LogPath})
		return nil
	}
	a := &rec.Attempts[len(rec.Attempts)-1]
	a.Interrupted++
	if a.Interrupted > r.opts.MaxInterruptions {
		a.Status, a.EndedAt = AttemptFailed, now
		a.Error = fmt.Sprintf("interrupted by %d restarts of driftwatch", a.Interrupted)
		rec.Status, rec.EndedAt = StepFailed, now
		rec.Error = fmt.Sprintf("step %s failed: attempt %d was interrupted by %d restarts in a row, so it may be what stops driftwatch; logs: %s", name, number, a.Interrupted, a.Log)
	}
	return nil
}

// endAttempt records how an attempt ended, and what the step does next:
// succeed, fail, or wait to retry.
func (r *Runner) endAttempt(rec *StepRecord, number int, end attemptEnd, pol stepPolicy) {
	now := r.now()
	a := &rec.Attempts[len(rec.Attempts)-1]
	a.Status, a.EndedAt, a.ExitCode, a.Error = end.status, now, end.exitCode, end.why
	if end.log != "" {
		a.Log = end.log
	}
	switch {
	case end.status == AttemptSucceeded:
		rec.Status, rec.EndedAt, rec.Result = StepSucceeded, now, end.result
	case end.status == AttemptCancelled:
		rec.Status, rec.EndedAt, rec.Error = StepCancelled, now, fmt.Sprintf("step %s cancelled during attempt %d", rec.Name, number)
	case end.permanent:
		rec.Status, rec.EndedAt = StepFailed, now
		rec.Error = fmt.Sprintf("step %s failed: attempt %d %s; not retried; logs: %s", rec.Name, number, end.why, a.Log)
	case number > pol.retries:
		rec.Status, rec.EndedAt = StepFailed, now
		rec.Error = fmt.Sprintf("step %s failed: attempt %d %s; logs: %s", rec.Name, number, end.why, a.Log)
		if number > 1 {
			rec.Error = fmt.Sprintf("step %s failed after %d attempts: attempt %d %s; logs: %s", rec.Name, number, number, end.why, a.Log)
		}
	default:
		rec.Status, rec.RetryAt = StepWaiting, now.Add(retryDelay(pol.backoff, number))
		r.log.Warn("step attempt failed; retrying", "step", rec.Name, "attempt", number, "why", end.why, "retry_at", rec.RetryAt, "log", a.Log)
	}
}

// stopStep ends a step whose context ended before an attempt could
// start: cancelled, or failed at the pipeline deadline; an attempt that a
// restart interrupted ends with it. On shutdown it returns ctx's error and
// leaves the step as it is.
func (r *Runner) stopStep(ctx context.Context, id, name string) error {
	cause := context.Cause(ctx)
	if r.stopping() {
		return r.baseCtx().Err()
	}
	_, err := r.update(id, func(_ *store.Tx, run *Run) error {
		now := r.now()
		rec := run.step(name)
		if rec == nil {
			run.Steps = append(run.Steps, StepRecord{Name: name, StartedAt: now})
			rec = &run.Steps[len(run.Steps)-1]
		}
		rec.EndedAt, rec.RetryAt = now, time.Time{}
		status, astatus, why := StepFailed, AttemptTimedOut, fmt.Sprintf("%v before attempt %d could start", cause, len(rec.Attempts)+1)
		if errors.Is(cause, errCancelled) {
			status, astatus, why = StepCancelled, AttemptCancelled, "cancelled"
		}
		if n := len(rec.Attempts); n > 0 && rec.Attempts[n-1].Status == AttemptRunning {
			a := &rec.Attempts[n-1]
			a.Status, a.EndedAt, a.Error = astatus, now, fmt.Sprintf("%v while driftwatch was stopped; not run again", cause)
			why = fmt.Sprintf("attempt %d was interrupted by a restart and %v before it could run again", a.Number, cause)
		}
		rec.Status, rec.Error = status, fmt.Sprintf("step %s %s: %s", name, status, why)
		return nil
	})
	return err
}

// retryDelay is the wait before the attempt after the given one: base,
// doubling with each attempt, at most maxRetryDelay.
func retryDelay(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

// progressOf returns the StepSpec.Progress of an attempt: it records the
// phase the executor reports while the attempt is still running.
func (r *Runner) progressOf(id, name string, number int) func(AttemptPhase, string) {
	return func(phase AttemptPhase, msg string) {
		_, err := r.update(id, func(_ *store.Tx, run *Run) error {
			rec := run.step(name)
			if rec == nil || len(rec.Attempts) == 0 {
				return nil
			}
			if a := &rec.Attempts[len(rec.Attempts)-1]; a.Number == number && a.Status == AttemptRunning {
				a.Phase, a.PhaseMessage = phase, msg
			}
			return nil
		})
		if err != nil {
			r.log.Warn("could not record the phase of a step attempt", "run_id", id, "step", name, "attempt", number, "phase", phase, "err", err)
			return
		}
		r.log.Info("step attempt phase", "run_id", id, "step", name, "attempt", number, "phase", phase, "message", msg)
	}
}

// stepContext is ctx, except that its cause is ErrShutdown when it ends
// because the Runner stops, so that an executor can tell a shutdown,
// after which the attempt runs again, from a cancel or a timeout.
func (r *Runner) stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		cause := context.Cause(ctx)
		if r.stopping() {
			cause = ErrShutdown
		}
		cancel(cause)
	})
	return sctx, func() {
		stop()
		cancel(context.Canceled)
	}
}

// failure is an executor error that is the attempt's failure, not a
// failure to run it: the Runner says "failed: …" rather than "could not
// run: …". Deployers' errors are failures.
type failure struct{ error }

func (f failure) Unwrap() error { return f.error }

// execute runs one attempt under the step timeout and classifies its end.
// shutdown is set when the Runner is stopping; the attempt's end then
// means nothing.
func (r *Runner) execute(ctx context.Context, pol stepPolicy, spec StepSpec) (end attemptEnd, shutdown bool) {
	ctx, stop := r.stepContext(ctx)
	defer stop()
	sctx, cancel := context.WithTimeoutCause(ctx, pol.timeout, errStepTimout)
	defer cancel()
	out, err := pol.executor.Execute(sctx, spec)
	end.log = out.Log
	cause := context.Cause(sctx)
	if sctx.Err() == nil {
		cause = nil
	}
	switch {
	case r.stopping():
		return end, true
	case errors.Is(cause, errCancelled):
		end.status, end.why = AttemptCancelled, "was cancelled"
	case errors.Is(cause, errDeadline):
		end.status, end.permanent, end.why = AttemptTimedOut, true, "was stopped at the pipeline deadline"
	case errors.Is(cause, errStepTimout):
		end.status, end.why = AttemptTimedOut, fmt.Sprintf("exceeded the step timeout of %s", pol.timeout)
	case err != nil:
		end.status, end.permanent, end.why = AttemptFailed, errors.Is(err, ErrPermanent), "could not run: "+err.Error()
		if f := (failure{}); errors.As(err, &f) {
			end.why = "failed: " + f.Error()
		}
	case out.ExitCode != 0:
		code := out.ExitCode
		end.status, end.exitCode, end.why = AttemptFailed, &code, fmt.Sprintf("exited with code %d", code)
		if code < 0 {
			end.why = "was killed by a signal"
			if out.Reason != "" {
				end.why = "ended without an exit code"
			}
		}
		if out.Reason != "" {
			end.why += " (" + out.Reason + ")"
		}
		if slices.Contains(pol.permanent, code) {
			end.permanent, end.why = true, end.why+", a permanent failure exit code"
		}
	default:
		code := 0
		end.status, end.exitCode = AttemptSucceeded, &code
		if pol.wantResult {
			end.result, end.why = r.checkResult(out.Result, spec, pol)
			if end.why != "" {
				end.status, end.permanent = AttemptFailed, true
			}
		}
	}
	return end, false
}

// checkResult validates a step's result; why says what is wrong with it.
func (r *Runner) checkResult(data []byte, spec StepSpec, pol stepPolicy) (*Result, string) {
	if data == nil {
		return nil, fmt.Sprintf("exited 0 but wrote no result to $%s", EnvResult)
	}
	res, err := ParseResult(spec.Step, data)
	if err == nil && pol.check != nil {
		err = pol.check(&res, spec)
	}
	if err != nil {
		return nil, "wrote an invalid result: " + joinLines(err)
	}
	return &res, ""
}

// joinLines puts the parts of a joined error on one line.
func joinLines(err error) string {
	parts := unjoin(err)
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += "; "
		}
		s += p.Error()
	}
	return s
}
