package triggers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// Buckets of the engine in the store. The prefix keeps them apart from
// other packages' buckets in the same file.
const (
	bucketRuns        = "trigger_runs"            // run ID -> Run
	bucketActive      = "trigger_active_runs"     // run ID -> activeRun, for queued and running runs
	bucketCooldowns   = "trigger_cooldowns"       // pipeline -> cooldownRecord
	bucketKeys        = "trigger_keys"            // dedup key -> keyRecord
	bucketFeatures    = "trigger_firing_features" // model NUL fingerprint -> featureRecord
	bucketDecisions   = "trigger_decisions"       // zero-padded sequence -> decisionRecord
	bucketIdempotency = "trigger_idempotency"     // manual idempotency key -> idempotencyRecord
	bucketSchedules   = "trigger_schedules"       // rule -> scheduleRecord
)

// activeRun indexes a queued or running run, so that the policies never
// read the whole run history.
type activeRun struct {
	ID        string    `json:"id"`
	Seq       uint64    `json:"seq"`
	Model     string    `json:"model"`
	Pipeline  string    `json:"pipeline"`
	State     RunState  `json:"state"`
	CreatedAt time.Time `json:"created_at"`
}

// cooldownRecord is the last run of a pipeline that ended after starting.
type cooldownRecord struct {
	RunID   string    `json:"run_id"`
	EndedAt time.Time `json:"ended_at"`
}

// keyRecord is what became of one alert instance or schedule time, rule
// by rule ("" for no rule), so that repeats are recognised.
type keyRecord struct {
	Key        string                `json:"key"`
	FirstSeen  time.Time             `json:"first_seen"`
	LastSeen   time.Time             `json:"last_seen"`
	Rules      map[string]ruleResult `json:"rules,omitempty"`
	Resolved   bool                  `json:"resolved,omitempty"`
	ResolvedAt time.Time             `json:"resolved_at,omitzero"`
}

// ruleResult is what one rule decided about a trigger.
type ruleResult struct {
	Model   string  `json:"model"`
	Outcome Outcome `json:"outcome"`
	RunID   string  `json:"run_id,omitempty"`
}

// decisionRecord is the stored form of a Decision.
type decisionRecord struct {
	Key     string    `json:"key"`
	Origin  Origin    `json:"origin"`
	Rule    string    `json:"rule,omitempty"`
	Model   string    `json:"model,omitempty"`
	Outcome Outcome   `json:"outcome"`
	Reason  string    `json:"reason"`
	RunID   string    `json:"run_id,omitempty"`
	At      time.Time `json:"at"`
}

// recordOf and decision convert between the two forms. A field added to
// Decision breaks the conversion until decisionRecord has it too.
func recordOf(d Decision) decisionRecord { return decisionRecord(d) }

func (d decisionRecord) decision() Decision { return Decision(d) }

// txn is one write transaction of the engine: it reads and changes the
// store, and collects the decisions to log and count once it commits.
type txn struct {
	e         *Engine
	tx        *store.Tx
	now       time.Time
	version   uint64
	active    map[string]activeRun // loaded on first use
	decisions []Decision
	finished  []Run // runs that ended, for metrics
	changed   bool  // runs were created or changed state
}

// update runs fn in one write transaction. Decisions are logged and
// counted only after the transaction commits. A failure of the store is
// counted and returned wrapping ErrUnavailable; ErrInvalid from fn passes
// through.
func (e *Engine) update(ctx context.Context, op string, fn func(*txn) error) (*txn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *txn
	var pruned bool
	err := e.db.Update(func(tx *store.Tx) error {
		t = &txn{e: e, tx: tx, now: e.now().UTC(), version: e.version.Add(1)}
		if err := fn(t); err != nil {
			return err
		}
		if pruned = e.pruneDue(t.now); pruned {
			return t.prune()
		}
		return nil
	})
	if errors.Is(err, errNoChange) {
		return t, nil
	}
	if err != nil {
		return nil, e.failed(op, err)
	}
	e.committed(t, pruned)
	return t, nil
}

// errNoChange rolls back a write transaction that found nothing to do,
// which spares the commit's fsync.
var errNoChange = errors.New("no change")

// view runs fn in a read-only transaction.
func (e *Engine) view(ctx context.Context, op string, fn func(*store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.db.View(fn); err != nil && !errors.Is(err, errStop) {
		return e.failed(op, err)
	}
	return nil
}

// errStop ends a scan of a bucket early.
var errStop = errors.New("stop scan")

// failed maps an error of a transaction to what callers see.
func (e *Engine) failed(op string, err error) error {
	if errors.Is(err, ErrInvalid) {
		return err
	}
	e.metrics.storeErrors.Inc()
	e.log.Error("trigger store failed; nothing was recorded", "operation", op, "err", err)
	return fmt.Errorf("triggers: %s: %w: %w", op, ErrUnavailable, err)
}

func (e *Engine) pruneDue(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return now.Sub(e.lastPrune) >= pruneInterval
}

// committed publishes a transaction's effects: logs, metrics and wakeups.
func (e *Engine) committed(t *txn, pruned bool) {
	for _, d := range t.decisions {
		e.metrics.decisions.WithLabelValues(e.modelLabel(d.Model), string(d.Origin), string(d.Outcome)).Inc()
		e.log.Info("trigger decision", "outcome", d.Outcome, "reason", d.Reason, "model", d.Model,
			"rule", d.Rule, "origin", d.Origin, "run_id", d.RunID, "key", d.Key)
	}
	for _, r := range t.finished {
		e.metrics.runsFinished.WithLabelValues(e.modelLabel(r.Model), string(r.State)).Inc()
	}
	e.mu.Lock()
	if pruned {
		e.lastPrune = t.now
	}
	if t.active != nil && t.version > e.snapshotAt {
		e.snapshotAt = t.version
		e.metrics.runs.set(t.sortedActive())
	}
	e.mu.Unlock()
	if t.changed {
		e.runsChanged()
	}
}

// decide records a decision.
func (t *txn) decide(d Decision) error {
	d.At = t.now
	seq, err := t.tx.NextSequence(bucketDecisions)
	if err != nil {
		return err
	}
	if err := t.tx.Put(bucketDecisions, fmt.Sprintf("%020d", seq), recordOf(d)); err != nil {
		return err
	}
	t.decisions = append(t.decisions, d)
	return nil
}

// activeRuns returns the queued and running runs, oldest first.
func (t *txn) activeRuns() ([]activeRun, error) {
	if err := t.loadActive(); err != nil {
		return nil, err
	}
	return t.sortedActive(), nil
}

func (t *txn) sortedActive() []activeRun {
	out := make([]activeRun, 0, len(t.active))
	for _, a := range t.active {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b activeRun) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// loadActive reads the index of queued and running runs once per
// transaction.
func (t *txn) loadActive() error {
	if t.active != nil {
		return nil
	}
	t.active = map[string]activeRun{}
	return t.tx.ForEach(bucketActive, func(r store.Record) error {
		var a activeRun
		if err := r.Decode(&a); err != nil {
			return err
		}
		t.active[a.ID] = a
		return nil
	})
}

// counts returns how many runs are running, and how many are queued or
// running for model.
func (t *txn) counts(model string) (running, queued, ofModel int, err error) {
	if err := t.loadActive(); err != nil {
		return 0, 0, 0, err
	}
	for _, a := range t.active {
		switch a.State {
		case RunRunning:
			running++
		case RunQueued:
			queued++
		}
		if a.Model == model {
			ofModel++
		}
	}
	return running, queued, ofModel, nil
}

func (t *txn) run(id string) (Run, error) {
	var r Run
	found, err := t.tx.Get(bucketRuns, id, &r)
	if err == nil && !found {
		err = fmt.Errorf("%w: unknown run %q", ErrInvalid, id)
	}
	return r, err
}

// saveRun stores a run and keeps the index of active runs in step.
func (t *txn) saveRun(r Run) error {
	if err := t.loadActive(); err != nil {
		return err
	}
	if err := t.tx.Put(bucketRuns, r.ID, r); err != nil {
		return err
	}
	t.changed = true
	if r.State.Finished() {
		delete(t.active, r.ID)
		return t.tx.Delete(bucketActive, r.ID)
	}
	a := activeRun{ID: r.ID, Seq: r.Seq, Model: r.Model, Pipeline: r.Pipeline, State: r.State, CreatedAt: r.CreatedAt}
	t.active[r.ID] = a
	return t.tx.Put(bucketActive, r.ID, a)
}

// endRun ends a run. A run that started starts its pipeline's cooldown;
// a run cancelled while queued never ran, and does not.
func (t *txn) endRun(r *Run, state RunState, msg string) error {
	r.State, r.EndedAt, r.Error = state, t.now, truncate(msg, maxErrorLen)
	if err := t.saveRun(*r); err != nil {
		return err
	}
	t.finished = append(t.finished, *r)
	if r.StartedAt.IsZero() {
		return nil
	}
	return t.tx.Put(bucketCooldowns, r.Pipeline, cooldownRecord{RunID: r.ID, EndedAt: r.EndedAt})
}

// maxErrorLen bounds a run's stored error message.
const maxErrorLen = 4096

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
