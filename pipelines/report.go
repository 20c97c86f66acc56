package pipelines

import (
	"context"
	"errors"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// reportAttempts bounds the tries of Source.Finish in one process; a run
// still unreported is reported again by the next Run.
const reportAttempts = 6

// report tells the Source how a run ended, once: the report is recorded
// after Finish succeeds, so a crash in between reports again after the
// restart, and a run reopened by an approval is not reported a second
// time. The Source gets the outcome of the first end.
func (r *Runner) report(ctx context.Context, run Run) {
	if run.Reported != nil {
		return
	}
	outcome := run.State.Outcome()
	msg := run.Message
	if msg == "" {
		msg = run.Error
	}
	backoff := time.Second
	for i := 1; ; i++ {
		err := r.opts.Source.Finish(ctx, run.ID, outcome, msg)
		refused := errors.Is(err, ErrRefused)
		if err == nil || refused {
			rep := &Report{Outcome: outcome, At: r.now()}
			if refused {
				rep.Refused = err.Error()
				r.log.Warn("the source refused the report of a run's end; not reporting it again", "run_id", run.ID, "outcome", outcome, "err", err)
			}
			if _, uerr := r.update(run.ID, func(_ *store.Tx, cur *Run) error {
				cur.Reported = rep
				return nil
			}); uerr != nil {
				r.log.Error("could not record the report of a run's end; it is reported again after a restart", "run_id", run.ID, "err", uerr)
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		if i == reportAttempts {
			r.log.Error("could not report a run's end; giving up until the next start", "run_id", run.ID, "outcome", outcome, "err", err)
			return
		}
		r.log.Warn("could not report a run's end; retrying", "run_id", run.ID, "outcome", outcome, "err", err, "retry_in", backoff)
		if sleep(ctx, r.opts.NewTimer, backoff) != nil {
			return
		}
		backoff *= 2
	}
}
