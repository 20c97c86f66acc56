package triggers

import (
	"fmt"
	"maps"
	"slices"
)

// resolve records a resolution, and cancels the alert's queued runs whose
// rules cancel on resolve.
func (t *txn) resolve(origin Origin, a checkedAlert) error {
	rec, found, err := t.keyRecord(a.key)
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(rec.Rules))
	switch {
	case rec.Resolved:
		for _, name := range names {
			if err := t.decide(duplicate(a.key, origin, name, rec.Rules[name], rec.FirstSeen)); err != nil {
				return err
			}
		}
		if len(names) == 0 {
			err = t.decide(Decision{Key: a.key, Origin: origin, Model: a.Labels[labelModel], Outcome: OutcomeDeduplicated,
				Reason: "resolution seen before, at " + stamp(rec.ResolvedAt)})
		}
	case !found || len(names) == 0:
		err = t.decide(Decision{Key: a.key, Origin: origin, Model: a.Labels[labelModel], Outcome: OutcomeResolved,
			Reason: fmt.Sprintf("%s resolved; no trigger of it was recorded (it fired while driftwatch was not receiving, or more than %s ago)", describe(a.Alert), t.e.retention)})
	default:
		for _, name := range names {
			if err = t.resolveRule(origin, a, name, rec.Rules[name]); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	rec.Resolved, rec.ResolvedAt = true, t.now
	return t.tx.Put(bucketKeys, a.key, rec)
}

// resolveRule decides what the resolution of an alert does to the run
// that one rule requested for it.
func (t *txn) resolveRule(origin Origin, a checkedAlert, name string, res ruleResult) error {
	d := Decision{Key: a.key, Origin: origin, Rule: name, Model: res.Model, Outcome: OutcomeResolved, RunID: res.RunID}
	if res.RunID == "" {
		d.Reason = fmt.Sprintf("alert resolved; it had requested no run (%s)", res.Outcome)
		return t.decide(d)
	}
	var run Run
	found, err := t.tx.Get(bucketRuns, res.RunID, &run)
	if err != nil {
		return err
	}
	rule := t.e.ruleByName[name]
	switch {
	case !found:
		d.Reason = fmt.Sprintf("alert resolved; its run %s is no longer recorded", res.RunID)
	case run.State == RunQueued && rule != nil && rule.CancelOnResolve:
		if err := t.endRun(&run, RunCancelled, "cancelled: its alert resolved before the run started"); err != nil {
			return err
		}
		d.Outcome = OutcomeCancelled
		d.Reason = fmt.Sprintf("alert resolved before run %s started; rule %s cancels on resolve", run.ID, name)
	case run.State == RunQueued && rule == nil:
		d.Reason = fmt.Sprintf("alert resolved; run %s stays queued: rule %s is no longer configured", run.ID, name)
	case run.State == RunQueued:
		d.Reason = fmt.Sprintf("alert resolved; run %s stays queued: rule %s does not cancel on resolve", run.ID, name)
	case run.State == RunRunning:
		d.Reason = fmt.Sprintf("alert resolved; run %s is already running and goes on", run.ID)
	default:
		d.Reason = fmt.Sprintf("alert resolved; run %s already %s", run.ID, run.State)
	}
	return t.decide(d)
}
