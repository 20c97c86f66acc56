package triggers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// checkedAlert is an alert that passed the checks, with its dedup key and
// the rules that select it.
type checkedAlert struct {
	Alert
	key   string
	rules []*compiledRule
}

// featureRecord is a firing per-feature drift alert.
type featureRecord struct {
	Model    string    `json:"model"`
	Feature  string    `json:"feature"`
	LastSeen time.Time `json:"last_seen"`
}

// Notify decides what each alert of a notification does: firing alerts
// request runs or are suppressed, resolved alerts may cancel queued runs.
// The decisions, runs and dedup keys are written in one transaction
// before Notify returns them, so a caller that answers Alertmanager after
// Notify returns never loses a trigger. A malformed notification fails
// with an error wrapping ErrInvalid, a store failure with one wrapping
// ErrUnavailable; either way nothing is recorded.
func (e *Engine) Notify(ctx context.Context, n Notification) ([]Decision, error) {
	alerts, err := checkNotification(n)
	if err != nil {
		return nil, err
	}
	if len(alerts) == 0 {
		return nil, nil
	}
	for i := range alerts {
		if alerts[i].Status == AlertFiring {
			alerts[i].rules = e.match(alerts[i].Alert)
		}
	}
	t, err := e.update(ctx, "notify", func(t *txn) error {
		if err := t.trackFeatures(alerts); err != nil {
			return err
		}
		for _, a := range alerts {
			var err error
			if a.Status == AlertFiring {
				err = t.fire(n.Origin, a)
			} else {
				err = t.resolve(n.Origin, a)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t.decisions, nil
}

// checkNotification checks every alert and reports all problems at once.
// An alert without a fingerprint gets the fingerprint of its labels.
func checkNotification(n Notification) ([]checkedAlert, error) {
	var problems []string
	if n.Origin != OriginAlertmanager && n.Origin != OriginEmbedded {
		problems = append(problems, fmt.Sprintf("origin %q: want %s or %s (schedules and manual requests have their own entry points)",
			n.Origin, OriginAlertmanager, OriginEmbedded))
	}
	out := make([]checkedAlert, 0, len(n.Alerts))
	for i, a := range n.Alerts {
		p := fmt.Sprintf("alerts[%d]", i)
		if a.Status != AlertFiring && a.Status != AlertResolved {
			problems = append(problems, fmt.Sprintf("%s: unknown status %q (want firing or resolved)", p, a.Status))
		}
		if a.Fingerprint == "" && len(a.Labels) == 0 {
			problems = append(problems, p+": has neither a fingerprint nor labels")
		}
		if a.StartsAt.IsZero() {
			problems = append(problems, p+": has no startsAt, which identifies the alert instance")
		}
		if a.Fingerprint == "" {
			a.Fingerprint = fingerprint(a.Labels)
		}
		out = append(out, checkedAlert{Alert: a, key: alertKey(n.GroupKey, a.Fingerprint, a.StartsAt)})
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return out, nil
}

// alertKey identifies an alert instance across repeats and retries of its
// notification, whichever intake delivered it.
func alertKey(groupKey, fingerprint string, startsAt time.Time) string {
	return groupKey + "|" + fingerprint + "|" + startsAt.UTC().Format(time.RFC3339Nano)
}

// match returns the rules whose matchers select a firing alert, in the
// order of the configuration. It warns when the alert's driftwatch_trigger
// label disagrees, which means the alerting rules are stale.
func (e *Engine) match(a Alert) []*compiledRule {
	var out []*compiledRule
	var names []string
	for _, r := range e.rules {
		if r.selects(a.Labels) {
			out = append(out, r)
			names = append(names, r.Name)
		}
	}
	if label, ok := a.Labels[labelTrigger]; ok {
		named := strings.Split(label, ",")
		slices.Sort(named)
		slices.Sort(names)
		if !slices.Equal(named, names) {
			e.log.Warn("alert's "+labelTrigger+" label disagrees with the trigger rules; the rules' matchers decide. Regenerate the alerting rules with `driftwatch rules`",
				"alertname", a.Labels[labelAlertname], "model", a.Labels[labelModel], "label", label, "matching_rules", strings.Join(names, ","))
		}
	}
	return out
}

// trackFeatures records which per-feature alerts fire, for
// min_drifted_features, before any alert of the notification is decided.
func (t *txn) trackFeatures(alerts []checkedAlert) error {
	for _, a := range alerts {
		model, feature := a.Labels[labelModel], a.Labels[labelFeature]
		if model == "" || feature == "" {
			continue
		}
		k := model + "\x00" + a.Fingerprint
		if a.Status == AlertResolved {
			if err := t.tx.Delete(bucketFeatures, k); err != nil {
				return err
			}
			continue
		}
		var rec keyRecord
		if _, err := t.tx.Get(bucketKeys, a.key, &rec); err != nil {
			return err
		}
		if rec.Resolved {
			continue // A late copy of an alert that is over.
		}
		if err := t.tx.Put(bucketFeatures, k, featureRecord{Model: model, Feature: feature, LastSeen: t.now}); err != nil {
			return err
		}
	}
	return nil
}

// firingFeatures returns the distinct features of a model's firing
// feature alerts seen within FeatureAlertTTL, sorted.
func (t *txn) firingFeatures(model string) ([]string, error) {
	var out []string
	err := t.tx.ForEach(bucketFeatures, func(r store.Record) error {
		var f featureRecord
		if err := r.Decode(&f); err != nil {
			return err
		}
		if f.Model == model && !f.LastSeen.Before(t.now.Add(-FeatureAlertTTL)) {
			out = append(out, f.Feature)
		}
		return nil
	})
	slices.Sort(out)
	return slices.Compact(out), err
}

// keyRecord returns the record of a dedup key, or a new one.
func (t *txn) keyRecord(key string) (keyRecord, bool, error) {
	var rec keyRecord
	found, err := t.tx.Get(bucketKeys, key, &rec)
	if !found {
		rec = keyRecord{Key: key, FirstSeen: t.now}
	}
	if rec.Rules == nil {
		rec.Rules = map[string]ruleResult{}
	}
	rec.LastSeen = t.now
	return rec, found, err
}

// fire decides a firing alert, once per selecting rule, or as unmatched.
func (t *txn) fire(origin Origin, a checkedAlert) error {
	rec, _, err := t.keyRecord(a.key)
	if err != nil {
		return err
	}
	decide := func(rule, model string, fresh func() (Decision, error)) error {
		prior, seen := rec.Rules[rule]
		var d Decision
		switch {
		case seen:
			d = duplicate(a.key, origin, rule, prior, rec.FirstSeen)
		case rec.Resolved:
			d = Decision{Key: a.key, Origin: origin, Rule: rule, Model: model, Outcome: OutcomeDeduplicated,
				Reason: "a late copy of an alert that already resolved at " + stamp(rec.ResolvedAt)}
		default:
			fd, err := fresh()
			if err != nil {
				return err
			}
			rec.Rules[rule] = ruleResult{Model: fd.Model, Outcome: fd.Outcome, RunID: fd.RunID}
			return nil
		}
		return t.decide(d)
	}
	if len(a.rules) == 0 {
		model := a.Labels[labelModel]
		err = decide("", model, func() (Decision, error) {
			d := Decision{Key: a.key, Origin: origin, Model: model, Outcome: OutcomeUnmatched,
				Reason: fmt.Sprintf("no trigger rule selects alert %s", describe(a.Alert))}
			return d, t.decide(d)
		})
	}
	for _, r := range a.rules {
		if err = decide(r.Name, r.model, func() (Decision, error) { return t.decideAlert(origin, r, a) }); err != nil {
			break
		}
	}
	if err != nil {
		return err
	}
	return t.tx.Put(bucketKeys, a.key, rec)
}

// duplicate is the decision about a repeat of a trigger already decided.
func duplicate(key string, origin Origin, rule string, prior ruleResult, firstSeen time.Time) Decision {
	reason := fmt.Sprintf("seen before, first at %s, and decided %s", stamp(firstSeen), prior.Outcome)
	if prior.RunID != "" {
		reason += " with run " + prior.RunID
	}
	return Decision{Key: key, Origin: origin, Rule: rule, Model: prior.Model, Outcome: OutcomeDeduplicated, Reason: reason, RunID: prior.RunID}
}

// decideAlert applies min_drifted_features and then the common policies
// of a rule to a firing alert.
func (t *txn) decideAlert(origin Origin, r *compiledRule, a checkedAlert) (Decision, error) {
	if r.MinDriftedFeatures > 0 && isDriftAlert(a.Alert) {
		n, source, err := t.driftedFeatures(r.model, a.Alert)
		if err != nil {
			return Decision{}, err
		}
		if n < r.MinDriftedFeatures {
			d := Decision{Key: a.key, Origin: origin, Rule: r.Name, Model: r.model, Outcome: OutcomeTooFewFeatures,
				Reason: fmt.Sprintf("%d drifted feature(s) (%s), fewer than min_drifted_features %d", n, source, r.MinDriftedFeatures)}
			return d, t.decide(d)
		}
	}
	return t.request(runRequest{
		key: a.key, origin: origin, rule: r.Name, pipeline: r.Pipeline, model: r.model,
		reason: truncate(describe(a.Alert)+" fired", maxReasonLen), alertLabels: maps.Clone(a.Labels),
		cooldown: r.Cooldown, maxConcurrent: r.MaxConcurrent, silence: r.Silence,
	})
}

// maxReasonLen bounds the reason stored with a run.
const maxReasonLen = 1024

// describe names an alert for reasons: its alert name, model and feature.
func describe(a Alert) string {
	s := a.Labels[labelAlertname]
	if s == "" {
		s = "alert " + a.Fingerprint
	}
	if m := a.Labels[labelModel]; m != "" {
		s += " of model " + m
	}
	if f := a.Labels[labelFeature]; f != "" {
		s += " on feature " + f
	}
	return s
}
