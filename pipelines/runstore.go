package pipelines

import (
	"errors"
	"fmt"

	"github.com/driftwatch/driftwatch/store"
)

// bucketRuns holds the runs: run ID -> Run. Run IDs sort by creation
// time, so the bucket lists runs oldest first.
const bucketRuns = "pipeline_runs"

// errStop ends a scan early.
var errStop = errors.New("stop")

func getRun(tx *store.Tx, id string) (Run, bool, error) {
	var run Run
	found, err := tx.Get(bucketRuns, id, &run)
	return run, found, err
}

func putRun(tx *store.Tx, run Run) error { return tx.Put(bucketRuns, run.ID, run) }

// RunFilter selects runs. Zero fields select everything.
type RunFilter struct {
	Model    string
	Pipeline string
	State    State
	// Limit caps the number of runs returned; zero means no cap.
	Limit int
}

// Runs returns the runs the filter selects, newest first.
func (r *Runner) Runs(f RunFilter) ([]Run, error) {
	var out []Run
	err := r.opts.Store.View(func(tx *store.Tx) error {
		return tx.ForEachReverse(bucketRuns, func(rec store.Record) error {
			if f.Limit > 0 && len(out) >= f.Limit {
				return errStop
			}
			var run Run
			if err := rec.Decode(&run); err != nil {
				return err
			}
			if (f.Model == "" || run.Model == f.Model) && (f.Pipeline == "" || run.Pipeline == f.Pipeline) && (f.State == "" || run.State == f.State) {
				out = append(out, run)
			}
			return nil
		})
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return out, err
}

// Get returns one run; a run the Runner does not know is ErrNotFound.
func (r *Runner) Get(id string) (Run, error) {
	var run Run
	err := r.opts.Store.View(func(tx *store.Tx) error {
		var found bool
		var err error
		run, found, err = getRun(tx, id)
		if err == nil && !found {
			err = fmt.Errorf("%w: no run %q", ErrNotFound, id)
		}
		return err
	})
	return run, err
}

// update changes a run in one transaction: fn changes the run and may
// write to the registry in the same transaction. The run is saved only if
// fn returns nil. Afterwards the in-flight gauge follows the new state,
// and a run that reached a terminal state is counted.
func (r *Runner) update(id string, fn func(tx *store.Tx, run *Run) error) (Run, error) {
	var before, run Run
	err := r.opts.Store.Update(func(tx *store.Tx) error {
		var found bool
		var err error
		if run, found, err = getRun(tx, id); err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: no run %q", ErrNotFound, id)
		}
		before = run
		if err := fn(tx, &run); err != nil {
			return err
		}
		run.UpdatedAt = r.now()
		return putRun(tx, run)
	})
	if err != nil {
		return run, err
	}
	if before.State != run.State {
		r.trackState(run)
		if run.State.Terminal() {
			r.metrics.runs.WithLabelValues(run.Model, run.Pipeline, string(run.State.Outcome())).Inc()
			r.log.Info("run ended", "run_id", run.ID, "model", run.Model, "pipeline", run.Pipeline, "state", run.State,
				"failed_step", run.FailedStep, "error", run.Error, "message", run.Message)
		} else {
			r.log.Info("run state", "run_id", run.ID, "model", run.Model, "from", before.State, "to", run.State)
		}
	}
	return run, nil
}

// transition moves a run from one state to another, with fn making the
// changes that go with it.
func (r *Runner) transition(id string, from, to State, note string, fn func(tx *store.Tx, run *Run) error) (Run, error) {
	return r.update(id, func(tx *store.Tx, run *Run) error {
		if run.State != from {
			return fmt.Errorf("%w: run %s is %s, not %s", ErrConflict, id, run.State, from)
		}
		if fn != nil {
			if err := fn(tx, run); err != nil {
				return err
			}
		}
		return run.moveTo(to, r.now(), note)
	})
}

// trackState follows a run's state in the in-flight gauge.
func (r *Runner) trackState(run Run) {
	r.mu.Lock()
	if run.State.Terminal() {
		delete(r.inFlight, run.ID)
	} else {
		r.inFlight[run.ID] = [2]string{run.Model, string(run.State)}
	}
	counts := map[[2]string]int{}
	for _, ms := range r.inFlight {
		counts[ms]++
	}
	r.mu.Unlock()
	r.metrics.setInFlight(r.models, counts)
}

// loadInFlight fills the in-flight gauge from the store.
func (r *Runner) loadInFlight() error {
	var runs []Run
	err := r.opts.Store.View(func(tx *store.Tx) error {
		return tx.ForEach(bucketRuns, func(rec store.Record) error {
			var run Run
			if err := rec.Decode(&run); err != nil {
				return err
			}
			if !run.State.Terminal() {
				runs = append(runs, run)
			}
			return nil
		})
	})
	for _, run := range runs {
		r.trackState(run)
	}
	if len(runs) == 0 {
		r.metrics.setInFlight(r.models, nil)
	}
	return err
}
