// Package embedded evaluates driftwatch's generated alerting rules
// in-process, for deployments without Prometheus and Alertmanager, such as
// the demo.
//
// An Evaluator reads the exposition that Prometheus would scrape, from the
// driftwatch registry's Gatherer, every Interval. It evaluates the alerting
// rules that package triggers/rules generates, with their exact
// thresholds, labels, annotations, for and keep_firing_for, and runs
// Prometheus's alert state machine on the result: an alert is pending
// until its condition has held for `for`, then firing, keeps firing for
// keep_firing_for after the condition clears, and then resolves. Alerts
// reach the trigger engine as triggers.Notification values with Origin
// triggers.OriginEmbedded, shaped as the Alertmanager webhook would shape
// them: StartsAt is when the alert fired (Prometheus sends its FiredAt),
// EndsAt is when it resolved (zero while it fires), Fingerprint is
// Alertmanager's hash of the labels, and Receiver is empty.
//
// # Supported rules
//
// DriftwatchFeatureDrift, DriftwatchDatasetDrift and
// DriftwatchQualityBelowThreshold are evaluated: their expressions are
// instant selectors, comparisons with a number and `and`, which this
// package interprets in Go with PromQL's semantics (comparison binds
// tighter than `and`; `and` matches on every label but the metric name; a
// comparison with NaN is false). These are the alerts that retrain models.
//
// DriftwatchInputStalled, DriftwatchConsumerLagGrowing and
// DriftwatchLabelJoinRateLow are not evaluated, nor the recording rules
// that feed them. They are operational alerts, which a retrain does not
// fix, and they need range functions (increase, deriv, rate) and absent,
// whose results depend on the Prometheus version: 3.0 made range selectors
// left-open, which changes which samples increase and rate extrapolate
// from. The absent branch of the stalled-input alert also cannot work
// in-process: it catches driftwatch being down, and then the evaluator is
// down too. New logs each skipped alert, and warns when a trigger rule
// selects one (its driftwatch_trigger label), since that trigger only
// fires under Prometheus.
//
// # Notifications
//
// Alerts are grouped as the route in docs/alerting.md groups them, by
// alertname and model, so that one notification lists every drifted
// feature of a model. GroupKey is "embedded:" followed by the group's
// labels, such as embedded:{alertname="DriftwatchFeatureDrift",
// model="churn"}, after Alertmanager's "route:labels" form; it never
// equals an Alertmanager group key. A group is notified with all of its
// firing alerts when its set of firing alerts changes, with each resolved
// alert once, and again every RepeatInterval while it fires: Alertmanager
// with group_wait and group_interval of one evaluation. A notification
// that fails is sent again, with the group's state at that time, on the
// next evaluation; only an error that wraps triggers.ErrInvalid, which no
// retry can fix, drops it.
//
// # What it leaves to others
//
// Generating the rules is left to package triggers/rules, computing the
// scores to collectors, and deciding what an alert starts to the trigger
// engine. State is kept in memory: after a restart an alert that still
// holds is pending again, fires after `for` with a new StartsAt, and the
// engine's cooldown and deduplication decide what that does. Alerts carry
// only the labels of the exposition, so they lack the job and instance
// labels that a Prometheus scrape adds.
//
// # Why not the PromQL engine
//
// Embedding Prometheus's engine would evaluate every rule kind, but it
// costs the github.com/prometheus/prometheus module: package promql alone
// is 111 packages, including OpenTelemetry; it needs a storage to query,
// and with package tsdb that grows to 458 packages, including the
// Kubernetes, AWS, Azure and Google Cloud clients and gRPC, before package
// rules adds the alert state machine and its notifier (go list -deps
// against prometheus v0.308.0). The rules that retrain models need a few
// hundred lines of Go, and a test proves them equal to promtool's
// evaluation of the generated rules on the same series.
package embedded
