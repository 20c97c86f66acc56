package webhook

import (
	"encoding/json"
	"fmt"

	"github.com/prometheus/alertmanager/template"
	"github.com/prometheus/common/model"

	"github.com/driftwatch/driftwatch/triggers"
)

// protocolVersion is the webhook protocol version that current
// Alertmanager releases send, and the only one accepted.
const protocolVersion = "4"

// message is the body Alertmanager posts to a webhook receiver: the
// template data plus the protocol fields, as in Alertmanager's
// notify/webhook.Message. That package is not imported because it drags in
// the whole notifier.
type message struct {
	template.Data

	Version         string `json:"version"`
	GroupKey        string `json:"groupKey"`
	TruncatedAlerts uint64 `json:"truncatedAlerts"`
}

// decodeMessage parses a webhook body leniently: fields it does not know
// are ignored, because newer Alertmanagers add some (notification_reason,
// routeLabels). Values of the wrong JSON type and trailing data are
// errors.
func decodeMessage(body []byte) (message, error) {
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		return message{}, err
	}
	return m, nil
}

// validate returns every problem that keeps m from being a trigger, each
// with its field path. StartsAt is required for resolved alerts too: it is
// part of the key that ties a resolution to the alert that fired.
func (m *message) validate() []string {
	var probs []string
	if m.Version != protocolVersion {
		probs = append(probs, fmt.Sprintf("version: got %q, want %q", m.Version, protocolVersion))
	}
	if m.GroupKey == "" {
		probs = append(probs, "groupKey: is required")
	}
	if len(m.Alerts) == 0 {
		probs = append(probs, "alerts: is empty")
	}
	for i, a := range m.Alerts {
		switch triggers.AlertStatus(a.Status) {
		case triggers.AlertFiring, triggers.AlertResolved:
		default:
			probs = append(probs, fmt.Sprintf("alerts[%d].status: got %q, want %q or %q", i, a.Status, triggers.AlertFiring, triggers.AlertResolved))
		}
		if a.StartsAt.IsZero() {
			probs = append(probs, fmt.Sprintf("alerts[%d].startsAt: is required", i))
		}
	}
	return probs
}

// notification converts a valid message for the trigger engine.
func (m *message) notification() triggers.Notification {
	n := triggers.Notification{
		Origin:   triggers.OriginAlertmanager,
		GroupKey: m.GroupKey,
		Receiver: m.Receiver,
		Alerts:   make([]triggers.Alert, len(m.Alerts)),
	}
	for i, a := range m.Alerts {
		n.Alerts[i] = triggers.Alert{
			Status:      triggers.AlertStatus(a.Status),
			Labels:      a.Labels,
			Annotations: a.Annotations,
			StartsAt:    a.StartsAt.UTC(),
			EndsAt:      a.EndsAt.UTC(),
			Fingerprint: fingerprint(a),
		}
	}
	return n
}

// fingerprint returns the alert's fingerprint as Alertmanager sent it, or,
// when the sender left it out, the one Alertmanager computes from the
// labels.
func fingerprint(a template.Alert) string {
	if a.Fingerprint != "" {
		return a.Fingerprint
	}
	ls := make(model.LabelSet, len(a.Labels))
	for k, v := range a.Labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls.Fingerprint().String()
}
