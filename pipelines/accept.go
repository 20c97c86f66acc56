package pipelines

import (
	"context"
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// accept records a run the Source handed out, and drives it. A run it
// already knows is driven again (a repeat from the Source); a request that
// cannot run is recorded failed and reported.
func (r *Runner) accept(ctx context.Context, req Request) {
	if !runID.MatchString(req.ID) {
		msg := fmt.Sprintf("run ID %q is not a DNS label (lowercase letters, digits and '-', at most 63)", req.ID)
		r.log.Error("refusing a run with a bad ID", "run_id", req.ID, "err", msg)
		if err := r.opts.Source.Finish(ctx, req.ID, OutcomeFailed, msg); err != nil {
			r.log.Error("could not report the refused run", "run_id", req.ID, "err", err)
		}
		return
	}
	run := r.newRun(req)
	for backoff := time.Second; ; backoff = min(2*backoff, 30*time.Second) {
		var known Run
		var found bool
		err := r.opts.Store.Update(func(tx *store.Tx) error {
			var err error
			if known, found, err = getRun(tx, req.ID); err != nil || found {
				return err
			}
			return putRun(tx, run)
		})
		if err == nil && found {
			r.redelivered(ctx, known)
			return
		}
		if err == nil {
			break
		}
		r.log.Error("could not record a new run; retrying", "run_id", req.ID, "err", err, "retry_in", backoff)
		if sleep(ctx, r.opts.NewTimer, backoff) != nil {
			return
		}
	}
	r.trackState(run)
	if run.State == StateFailed {
		r.metrics.runs.WithLabelValues(run.Model, run.Pipeline, string(OutcomeFailed)).Inc()
	}
	r.log.Info("run accepted", "run_id", run.ID, "model", run.Model, "pipeline", run.Pipeline, "trigger", run.Trigger.Kind, "reason", run.Reason)
	r.spawn(req.ID)
}

// redelivered handles a run that the Source handed out again: one in
// flight goes on, and the end of one that ended is reported again, since
// the Source evidently did not get it.
func (r *Runner) redelivered(ctx context.Context, run Run) {
	r.log.Warn("the source handed out a known run again", "run_id", run.ID, "state", run.State)
	if !run.State.Terminal() || run.Reported == nil {
		r.spawn(run.ID)
		return
	}
	msg := run.Message
	if msg == "" {
		msg = run.Error
	}
	if err := r.opts.Source.Finish(ctx, run.ID, run.Reported.Outcome, msg); err != nil {
		r.log.Error("could not report a run's end again", "run_id", run.ID, "err", err)
	}
}

// newRun builds the record of a new run: queued, or failed when the
// request names no configured pipeline or bad parameters.
func (r *Runner) newRun(req Request) Run {
	now := r.now()
	run := Run{
		ID: req.ID, Model: req.Model, Pipeline: req.Pipeline, Rule: req.Rule, Reason: req.Reason, Trigger: req.Trigger,
		Params: req.Params, State: StateQueued, RequestedAt: req.RequestedAt, CreatedAt: now, UpdatedAt: now,
		History: []Transition{{To: StateQueued, At: now}},
	}
	p, ok := r.pipelines[req.Pipeline]
	var problem string
	switch {
	case !ok:
		problem = fmt.Sprintf("unknown pipeline %q", req.Pipeline)
	case req.Model != "" && req.Model != p.Model:
		problem = fmt.Sprintf("pipeline %s retrains model %s, not %s", p.Name, p.Model, req.Model)
	}
	if ok && run.Model == "" {
		run.Model = p.Model
	}
	if problem == "" {
		var def Window
		if r.opts.Window != nil {
			def = r.opts.Window(run.Model, cmpTime(req.RequestedAt, now))
		}
		w, err := dataWindow(req.Params, def, cmpTime(req.RequestedAt, now))
		if err != nil {
			problem = err.Error()
		}
		run.DataWindow = w
	}
	if problem != "" {
		run.FailedStep, run.Error = "request", problem
		_ = run.moveTo(StateFailed, now, problem) // queued -> failed is always allowed.
	}
	return run
}

func cmpTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// dataWindow returns the params' data_start and data_end, each defaulting
// to def's; a data_start without a data_end and no default ends at now.
func dataWindow(params map[string]string, def Window, now time.Time) (Window, error) {
	w := def
	for _, f := range []struct {
		key string
		dst *time.Time
	}{{"data_start", &w.Start}, {"data_end", &w.End}} {
		s, ok := params[f.key]
		if !ok {
			continue
		}
		t, err := parseTime(s)
		if err != nil {
			return w, fmt.Errorf("param %s: %w", f.key, err)
		}
		*f.dst = t
	}
	if !w.Start.IsZero() && w.End.IsZero() {
		w.End = now
	}
	if !w.Start.IsZero() && !w.End.After(w.Start) {
		return w, fmt.Errorf("data window ends (%s) before it starts (%s)", w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
	}
	return w, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
}

// spawn starts the driver of a run, unless Run has not been called yet
// (Run drives every run in flight when it starts). If a driver is running
// it is asked to read the run once more before it stops, so that a run
// re-opened while its driver was finishing is not left undriven.
func (r *Runner) spawn(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil || r.ctx.Err() != nil {
		return
	}
	if _, ok := r.active[id]; ok {
		r.again[id] = true
		return
	}
	ctx, cancel := context.WithCancelCause(r.ctx)
	r.active[id] = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			r.drive(ctx, id)
			cancel(nil)
			r.mu.Lock()
			if !r.again[id] || r.ctx.Err() != nil {
				delete(r.active, id)
				delete(r.again, id)
				r.mu.Unlock()
				return
			}
			delete(r.again, id)
			ctx, cancel = context.WithCancelCause(r.ctx)
			r.active[id] = cancel
			r.mu.Unlock()
		}
	}()
}

// lockModel waits until the run may hold its model, and returns the
// function that releases it.
func (r *Runner) lockModel(ctx context.Context, model string) (func(), error) {
	r.mu.Lock()
	ch, ok := r.locks[model]
	if !ok {
		ch = make(chan struct{}, 1)
		r.locks[model] = ch
	}
	r.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
