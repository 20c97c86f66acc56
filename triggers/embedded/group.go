package embedded

import (
	"cmp"
	"slices"
	"time"

	"github.com/prometheus/common/model"

	"github.com/driftwatch/driftwatch/triggers"
)

// groupKeyPrefix starts every group key of the evaluator, where
// Alertmanager puts its route.
const groupKeyPrefix = "embedded:"

// groupKey returns the key of the notification group of an alert with the
// given labels: the route in docs/alerting.md groups by alertname and
// model.
func groupKey(labels map[string]string) string {
	ls := model.LabelSet{
		model.AlertNameLabel: model.LabelValue(labels[string(model.AlertNameLabel)]),
		"model":              model.LabelValue(labels["model"]),
	}
	return groupKeyPrefix + ls.String()
}

// group is what the evaluator remembers of one notification group between
// evaluations.
type group struct {
	// delivered maps the fingerprints of the firing alerts of the last
	// delivered notification to their StartsAt.
	delivered map[string]time.Time
	// lastDelivery is when a notification of the group was last delivered.
	lastDelivery time.Time
	// resolved are the resolved alerts not yet delivered.
	resolved []triggers.Alert
}

// due reports whether the group must be notified at now, given its firing
// alerts: when it has undelivered resolved alerts, when its firing alerts
// differ from those last delivered, or when it fires and repeat has passed
// since the last delivery.
func (g *group) due(firing []triggers.Alert, now time.Time, repeat time.Duration) bool {
	if len(g.resolved) > 0 {
		return true
	}
	if len(firing) == 0 {
		return false
	}
	if len(firing) != len(g.delivered) {
		return true
	}
	for _, a := range firing {
		if at, ok := g.delivered[a.Fingerprint]; !ok || !at.Equal(a.StartsAt) {
			return true
		}
	}
	return now.Sub(g.lastDelivery) >= repeat
}

// notification builds the group's notification: its firing alerts, then
// its undelivered resolved ones. An alert that resolved and fires again
// before a notification gets through appears twice, resolved and firing,
// with different StartsAt.
func (g *group) notification(key string, firing []triggers.Alert) triggers.Notification {
	alerts := append(slices.Clone(firing), g.resolved...)
	return triggers.Notification{Origin: triggers.OriginEmbedded, GroupKey: key, Alerts: alerts}
}

// markDelivered records that the group's notification with the given
// firing alerts is done with at now.
func (g *group) markDelivered(firing []triggers.Alert, now time.Time) {
	g.delivered = make(map[string]time.Time, len(firing))
	for _, a := range firing {
		g.delivered[a.Fingerprint] = a.StartsAt
	}
	g.lastDelivery = now
	g.resolved = nil
}

// sortAlerts orders alerts by fingerprint, so that notifications are
// deterministic.
func sortAlerts(alerts []triggers.Alert) {
	slices.SortFunc(alerts, func(a, b triggers.Alert) int {
		return cmp.Or(cmp.Compare(a.Fingerprint, b.Fingerprint), a.StartsAt.Compare(b.StartsAt))
	})
}
