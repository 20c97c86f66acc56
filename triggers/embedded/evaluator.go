package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/triggers"
)

// Evaluator evaluates the retraining alerts of the generated rules
// in-process and notifies the trigger engine of them. It is safe for
// concurrent use; evaluations run one at a time.
type Evaluator struct {
	opts    Options
	rules   []*alertingRule
	names   map[string]bool // the metrics the rules select
	metrics *metrics

	mu     sync.Mutex
	groups map[string]*group
}

// New compiles the supported rules of opts.Rules and registers the
// evaluator's metrics. It fails when a supported rule's expression or
// template is not one this package can evaluate.
func New(opts Options) (*Evaluator, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	compiled, skipped, err := compile(opts.Rules)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	logSkipped(opts.Logger, skipped)
	names := map[string]bool{}
	for _, r := range compiled {
		r.expr.metricNames(names)
	}
	return &Evaluator{opts: opts, rules: compiled, names: names, metrics: m, groups: map[string]*group{}}, nil
}

// logSkipped says which alerts the evaluator leaves out, once per alert
// name, and warns about each model whose trigger rules select one of
// them.
func logSkipped(log *slog.Logger, skipped []skippedRule) {
	groups := map[string][]string{}
	for _, s := range skipped {
		groups[s.name] = append(groups[s.name], s.group)
		if s.triggers != "" {
			log.Warn("trigger rules select an alert that embedded mode does not evaluate; they fire only on alerts from Alertmanager",
				"alertname", s.name, "group", s.group, "triggers", s.triggers)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		log.Info("alert not evaluated in embedded mode", "alertname", name, "groups", groups[name])
	}
}

// Run evaluates the rules at once and then every Interval, until ctx is
// done; then it returns nil. Failed evaluations and notifications are
// logged, and retried at the next evaluation.
func (e *Evaluator) Run(ctx context.Context) error {
	t := e.opts.NewTicker(e.opts.Interval)
	defer t.Stop()
	for {
		if err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
			e.opts.Logger.Warn("embedded alert evaluation", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// Evaluate runs one evaluation at Now: it gathers the metrics, evaluates
// every rule, and notifies the groups that are due. Run calls it every
// Interval; tests and the demo may call it to evaluate at once.
//
// When the metrics cannot be gathered, no alert changes. A rule whose
// evaluation fails keeps its alerts as they were, and the other rules go
// on. A notification that fails is sent again at the next evaluation. The
// error joins every failure.
func (e *Evaluator) Evaluate(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.opts.Now()
	e.metrics.evaluations.Inc()
	s, err := gather(e.opts.Gatherer, e.names)
	if err != nil {
		e.metrics.evalFailures.Inc()
		return fmt.Errorf("embedded: %w", err)
	}
	firing, errs := e.evalRules(now, s)
	if len(errs) > 0 {
		e.metrics.evalFailures.Inc()
	}
	errs = append(errs, e.notify(ctx, now, firing)...)
	return errors.Join(errs...)
}

// evalRules evaluates every rule at now over s, queues the alerts that
// resolved in their groups, exports the count of alerts in each state,
// and returns the firing alerts by group key.
func (e *Evaluator) evalRules(now time.Time, s series) (map[string][]triggers.Alert, []error) {
	var errs []error
	firing := map[string][]triggers.Alert{}
	counts := map[string]map[alertState]int{}
	for _, r := range e.rules {
		resolved, err := r.eval(now, r.expr.eval(s))
		if err != nil {
			errs = append(errs, fmt.Errorf("embedded: group %s: %w", r.group, err))
		}
		for _, a := range resolved {
			e.opts.Logger.Info("alert resolved", "alertname", r.name, "labels", a.Labels, "starts_at", a.StartsAt)
			g := e.group(groupKey(a.Labels))
			g.resolved = append(g.resolved, a)
		}
		if counts[r.name] == nil {
			counts[r.name] = map[alertState]int{}
		}
		for _, a := range r.active {
			counts[r.name][a.state]++
			if a.state != stateFiring {
				continue
			}
			if a.firedAt.Equal(now) {
				e.opts.Logger.Info("alert firing", "alertname", r.name, "labels", a.labels, "value", a.value)
			}
			n := a.notification()
			key := groupKey(n.Labels)
			firing[key] = append(firing[key], n)
		}
	}
	e.metrics.setAlerts(counts)
	return firing, errs
}

// group returns the state of the notification group with the given key,
// creating it if need be.
func (e *Evaluator) group(key string) *group {
	g, ok := e.groups[key]
	if !ok {
		g = &group{}
		e.groups[key] = g
	}
	return g
}

// notify sends every group that is due its notification, in the order of
// the group keys, and forgets the groups that neither fire nor hold
// undelivered resolved alerts.
func (e *Evaluator) notify(ctx context.Context, now time.Time, firing map[string][]triggers.Alert) []error {
	var errs []error
	for key := range firing {
		e.group(key)
	}
	for _, key := range slices.Sorted(maps.Keys(e.groups)) {
		g, alerts := e.groups[key], firing[key]
		sortAlerts(alerts)
		if g.due(alerts, now, e.opts.RepeatInterval) {
			done, err := e.deliver(ctx, g.notification(key, alerts))
			if err != nil {
				errs = append(errs, err)
			}
			if done {
				g.markDelivered(alerts, now)
			}
		}
		if len(alerts) == 0 && len(g.resolved) == 0 {
			delete(e.groups, key)
		}
	}
	return errs
}

// deliver hands one notification to the Notifier. It reports whether the
// notification is done with: delivered, or invalid, which no retry fixes.
func (e *Evaluator) deliver(ctx context.Context, n triggers.Notification) (bool, error) {
	decisions, err := e.opts.Notifier.Notify(ctx, n)
	switch {
	case err == nil:
		e.metrics.notifications.Inc()
		e.opts.Logger.Debug("notified the trigger engine", "group_key", n.GroupKey, "alerts", len(n.Alerts), "decisions", len(decisions))
		return true, nil
	case errors.Is(err, triggers.ErrInvalid):
		e.metrics.notifyErrors.Inc()
		return true, fmt.Errorf("embedded: notification %s dropped: %w", n.GroupKey, err)
	default:
		e.metrics.notifyErrors.Inc()
		return false, fmt.Errorf("embedded: notification %s, to be sent again: %w", n.GroupKey, err)
	}
}
