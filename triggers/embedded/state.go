package embedded

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/driftwatch/driftwatch/triggers"
)

// alertState is the state of an alert that the rule still tracks.
type alertState string

// Alert states, as Prometheus names them. An inactive alert is no longer
// tracked.
const (
	statePending alertState = "pending"
	stateFiring  alertState = "firing"
)

// alert is one alert of a rule: a label set its expression returned.
type alert struct {
	labels      model.LabelSet
	annotations map[string]string
	// value is the sample's value at the last evaluation that returned it.
	value float64
	state alertState
	// activeAt is when the expression first returned the labels; firedAt
	// when the alert began to fire; keepFiringSince when the expression
	// stopped returning a firing alert, zero while it returns it.
	activeAt, firedAt, keepFiringSince time.Time
}

// eval runs Prometheus's alert state machine (rules/alerting.go,
// AlertingRule.Eval) for one evaluation at ts, given the samples the
// rule's expression returned, and returns the alerts that resolved.
//
// A new label set becomes a pending alert, active from ts. A pending alert
// fires once it has been active for the rule's `for`. An alert the
// expression no longer returns is dropped if it was pending; if it was
// firing, it keeps firing until keep_firing_for has passed since the
// expression first missed it, and then resolves at that evaluation. While
// the expression returns an alert its value and annotations follow the
// latest sample; while it keeps firing without one they stay as they were.
//
// As in Prometheus, two samples that make the same alert labels are an
// error, and the evaluation then changes nothing.
func (r *alertingRule) eval(ts time.Time, result []sample) ([]triggers.Alert, error) {
	current := make(map[model.Fingerprint]*alert, len(result))
	for _, s := range result {
		a := r.newAlert(s)
		fp := a.labels.Fingerprint()
		if _, dup := current[fp]; dup {
			return nil, fmt.Errorf("alert %s: several samples give the labels %s", r.name, a.labels)
		}
		current[fp] = a
	}
	for fp, a := range current {
		if old, ok := r.active[fp]; ok {
			old.value, old.annotations = a.value, a.annotations
			continue
		}
		a.state, a.activeAt = statePending, ts
		r.active[fp] = a
	}
	var resolved []triggers.Alert
	for fp, a := range r.active {
		if _, ok := current[fp]; !ok {
			if a.state == stateFiring && r.keepFiringFor > 0 {
				if a.keepFiringSince.IsZero() {
					a.keepFiringSince = ts
				}
				if ts.Sub(a.keepFiringSince) < r.keepFiringFor {
					continue
				}
			}
			delete(r.active, fp)
			if a.state == stateFiring {
				ra := a.notification()
				ra.Status, ra.EndsAt = triggers.AlertResolved, ts
				resolved = append(resolved, ra)
			}
			continue
		}
		a.keepFiringSince = time.Time{}
		if a.state == statePending && ts.Sub(a.activeAt) >= r.holdFor {
			a.state, a.firedAt = stateFiring, ts
		}
	}
	return resolved, nil
}

// notification returns the alert as the Alertmanager webhook delivers a
// firing one: StartsAt is when it fired, which Prometheus sends as
// startsAt, and Fingerprint is the hash Alertmanager computes.
func (a *alert) notification() triggers.Alert {
	labels := make(map[string]string, len(a.labels))
	for k, v := range a.labels {
		labels[string(k)] = string(v)
	}
	annotations := make(map[string]string, len(a.annotations))
	for k, v := range a.annotations {
		annotations[k] = v
	}
	return triggers.Alert{
		Status:      triggers.AlertFiring,
		Labels:      labels,
		Annotations: annotations,
		StartsAt:    a.firedAt,
		Fingerprint: a.labels.Fingerprint().String(),
	}
}
