package triggers

import (
	"errors"
	"time"
)

// AlertStatus is whether an alert is firing or resolved.
type AlertStatus string

// Alert statuses, as Alertmanager spells them.
const (
	AlertFiring   AlertStatus = "firing"
	AlertResolved AlertStatus = "resolved"
)

// Origin says where a trigger came from.
type Origin string

// Origins of triggers.
const (
	// OriginAlertmanager is an alert posted to the webhook.
	OriginAlertmanager Origin = "alertmanager"
	// OriginEmbedded is an alert raised by the in-process evaluator.
	OriginEmbedded Origin = "embedded"
	// OriginSchedule is a rule's cron schedule coming due.
	OriginSchedule Origin = "schedule"
	// OriginManual is `driftwatch trigger` or POST /api/v1/runs.
	OriginManual Origin = "manual"
)

// Alert is one alert of a notification, from Alertmanager or from the
// embedded evaluator, reduced to what the trigger policies need.
type Alert struct {
	Status      AlertStatus
	Labels      map[string]string
	Annotations map[string]string
	StartsAt    time.Time
	EndsAt      time.Time
	// Fingerprint identifies the alert's label set. Alertmanager computes
	// it; the embedded evaluator uses the same hash of the labels.
	Fingerprint string
}

// Notification is one delivery of a group of alerts: an Alertmanager
// webhook call, or one evaluation round of the embedded evaluator.
type Notification struct {
	Origin Origin
	// GroupKey identifies the Alertmanager aggregation group (the
	// receiver and the group's labels). Repeats and retries of one group
	// carry the same key.
	GroupKey string
	// Receiver is the Alertmanager receiver that sent the notification.
	Receiver string
	Alerts   []Alert
}

// Outcome is what became of one trigger: an alert, a schedule coming due
// or a manual request. Each is recorded with its reason and counted.
type Outcome string

// Outcomes of triggers.
const (
	// OutcomeStarted: a run was requested and may start at once.
	OutcomeStarted Outcome = "started"
	// OutcomeQueued: a run was requested and waits for a slot under
	// triggers.max_concurrent_runs.
	OutcomeQueued Outcome = "queued"
	// OutcomeDeduplicated: the trigger was seen before (a repeat or a
	// retry of a notification) and requested nothing new.
	OutcomeDeduplicated Outcome = "deduplicated"
	// OutcomeCooldown: a run of the pipeline ended within the rule's
	// cooldown.
	OutcomeCooldown Outcome = "suppressed_cooldown"
	// OutcomeConcurrency: the model already has max_concurrent runs
	// queued or running.
	OutcomeConcurrency Outcome = "suppressed_concurrency"
	// OutcomeTooFewFeatures: a drift alert names fewer drifted features
	// than the rule's min_drifted_features.
	OutcomeTooFewFeatures Outcome = "suppressed_min_drifted_features"
	// OutcomeUnmatched: no rule selects the alert.
	OutcomeUnmatched Outcome = "unmatched"
	// OutcomeCancelled: the alert resolved while its run was still
	// queued, and the rule cancels on resolve.
	OutcomeCancelled Outcome = "cancelled"
	// OutcomeResolved: the alert resolved; its run, if any, goes on.
	OutcomeResolved Outcome = "resolved"
)

// Errors that callers of the trigger engine tell apart.
var (
	// ErrInvalid marks input that can never be accepted: retrying it is
	// pointless. The webhook answers it with a 4xx status.
	ErrInvalid = errors.New("invalid trigger")
	// ErrUnavailable marks a transient failure, such as durable storage
	// that cannot be written: nothing was recorded, and a retry may
	// succeed. The webhook answers it with 503.
	ErrUnavailable = errors.New("trigger store unavailable")
)

// Decision records what became of one trigger, and why.
type Decision struct {
	// Key identifies the trigger for deduplication: for an alert, its
	// notification's group key, its fingerprint and its StartsAt.
	Key     string
	Origin  Origin
	Rule    string // the trigger rule that selected it; "" when none did
	Model   string
	Outcome Outcome
	// Reason says in words why, for the decision log.
	Reason string
	// RunID is the run that the trigger requested, cancelled or
	// duplicates; "" when there is none.
	RunID string
	At    time.Time
}

// ManualRequest asks for a run by hand, through `driftwatch trigger` or
// POST /api/v1/runs.
type ManualRequest struct {
	Model string
	// Pipeline is the pipeline to run; "" picks the model's only
	// pipeline, and is invalid when the model has several.
	Pipeline string
	Reason   string
	// Params are handed to the run's steps, such as git_sha,
	// dataset_version or hyperparameters.
	Params map[string]string
	// IdempotencyKey, when set, makes a retried request return the first
	// request's decision instead of requesting a second run.
	IdempotencyKey string
	RequestedBy    string
}
