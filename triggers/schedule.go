package triggers

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Bounds of the schedule loop.
const (
	// scheduleRetry is how long RunSchedules waits after the store failed
	// before it tries again; the due times are not lost meanwhile.
	scheduleRetry = time.Minute
	// scheduleLookback bounds the search for missed due times after a
	// long downtime.
	scheduleLookback = 31 * 24 * time.Hour
	// scheduleSlack is how late a due time may be fired before its reason
	// calls it a catch-up.
	scheduleSlack = time.Minute
)

// scheduleRecord remembers up to when a rule's schedule was handled.
type scheduleRecord struct {
	Last time.Time `json:"last"`
}

// RunSchedules is the engine's background loop; run it for the engine's
// lifetime. It first expires the silences of runs that a restart
// interrupted. Then, at each time a rule's cron schedule (UTC) comes due,
// it requests a run through the same policies as alerts: cooldown and
// concurrency apply. The key of such a trigger is the rule and the due
// time. Due times missed while driftwatch was not running give at most
// one catch-up run per rule, for the latest of them; a rule seen for the
// first time starts from now. RunSchedules returns nil when ctx ends.
func (e *Engine) RunSchedules(ctx context.Context) error {
	e.mu.Lock()
	orphans := e.orphans
	e.orphans = nil
	e.mu.Unlock()
	for _, id := range orphans {
		e.expire(ctx, "", id)
	}
	var rules []*compiledRule
	for _, r := range e.rules {
		if r.schedule != nil {
			rules = append(rules, r)
		}
	}
	for {
		now, err := e.fireDue(ctx, rules)
		if ctx.Err() != nil {
			return nil
		}
		wait, ok := scheduleRetry, true
		if err == nil {
			var next time.Time
			next, ok = nextDue(rules, now)
			wait = next.Sub(now)
		}
		var fired <-chan time.Time // nil, so never, when no schedule is ever due
		var timer Timer
		if ok {
			timer = e.newTimer(wait)
			fired = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case <-fired:
		}
	}
}

// fireDue fires every schedule that came due, in one transaction, and
// returns the time it took as now.
func (e *Engine) fireDue(ctx context.Context, rules []*compiledRule) (time.Time, error) {
	if len(rules) == 0 {
		return e.now(), nil
	}
	t, err := e.update(ctx, "fire schedules", func(t *txn) error {
		for _, r := range rules {
			var st scheduleRecord
			found, err := t.tx.Get(bucketSchedules, r.Name, &st)
			if err != nil {
				return err
			}
			if found {
				due, missed := dueTime(r.schedule, st.Last, t.now)
				if missed == 0 {
					continue
				}
				if err := t.fireSchedule(r, due, missed); err != nil {
					return err
				}
			}
			if err := t.tx.Put(bucketSchedules, r.Name, scheduleRecord{Last: t.now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	return t.now, nil
}

// dueTime returns the latest due time in (last, now] and how many there
// were, looking back at most scheduleLookback.
func dueTime(s cron.Schedule, last, now time.Time) (due time.Time, missed int) {
	if floor := now.Add(-scheduleLookback); last.Before(floor) {
		last = floor
	}
	for next := s.Next(last.UTC()); !next.IsZero() && !next.After(now); next = s.Next(next) {
		due = next
		missed++
	}
	return due, missed
}

// nextDue returns the earliest time after now that a schedule comes due,
// and false when none ever does.
func nextDue(rules []*compiledRule, now time.Time) (time.Time, bool) {
	var first time.Time
	for _, r := range rules {
		if next := r.schedule.Next(now.UTC()); !next.IsZero() && (first.IsZero() || next.Before(first)) {
			first = next
		}
	}
	return first, !first.IsZero()
}

// fireSchedule requests the run of a schedule that came due.
func (t *txn) fireSchedule(r *compiledRule, due time.Time, missed int) error {
	key := "schedule|" + r.Name + "|" + due.UTC().Format(time.RFC3339)
	rec, _, err := t.keyRecord(key)
	if err != nil {
		return err
	}
	if prior, seen := rec.Rules[r.Name]; seen {
		if err := t.decide(duplicate(key, OriginSchedule, r.Name, prior, rec.FirstSeen)); err != nil {
			return err
		}
		return t.tx.Put(bucketKeys, key, rec)
	}
	reason := fmt.Sprintf("schedule %q of rule %s came due at %s", r.Schedule, r.Name, stamp(due))
	if late := t.now.Sub(due); late > scheduleSlack {
		reason += fmt.Sprintf(", run %s late as a catch-up", late.Round(time.Second))
	}
	if missed > 1 {
		reason += fmt.Sprintf("; %d earlier due time(s) missed while driftwatch was not running are skipped", missed-1)
	}
	d, err := t.request(runRequest{
		key: key, origin: OriginSchedule, rule: r.Name, pipeline: r.Pipeline, model: r.model, reason: reason,
		cooldown: r.Cooldown, maxConcurrent: r.MaxConcurrent, silence: r.Silence,
	})
	if err != nil {
		return err
	}
	rec.Rules[r.Name] = ruleResult{Model: d.Model, Outcome: d.Outcome, RunID: d.RunID}
	return t.tx.Put(bucketKeys, key, rec)
}
