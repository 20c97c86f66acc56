package pipelines

import (
	"context"
	"errors"
	"time"
)

// TriggerKind says what asked for a run.
type TriggerKind string

// The kinds of triggers.
const (
	TriggerAlert    TriggerKind = "alert"
	TriggerSchedule TriggerKind = "schedule"
	TriggerManual   TriggerKind = "manual"
)

// Trigger is what asked for a run: an alert with its fingerprint, a
// schedule, or a person.
type Trigger struct {
	Kind        TriggerKind       `json:"kind"`
	Fingerprint string            `json:"fingerprint,omitempty"`
	AlertName   string            `json:"alert_name,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	RequestedBy string            `json:"requested_by,omitempty"`
}

// Request is a run that a Source hands to the Runner.
type Request struct {
	// ID identifies the run. It becomes part of step names and file
	// paths, so it must be a DNS label fragment: lowercase letters,
	// digits and dashes.
	ID       string
	Model    string
	Pipeline string
	// Rule is the trigger rule that asked for the run; "" when none did.
	Rule   string
	Reason string
	// Trigger says what asked for the run.
	Trigger Trigger
	// Params are handed to the steps. data_start and data_end, when set,
	// select the data window (RFC 3339 or YYYY-MM-DD).
	Params      map[string]string
	RequestedAt time.Time
}

// Outcome is how a run ended, as the Runner reports it to its Source.
type Outcome string

// The outcomes of runs.
const (
	OutcomeSucceeded  Outcome = "succeeded"
	OutcomeRejected   Outcome = "rejected"
	OutcomeFailed     Outcome = "failed"
	OutcomeCancelled  Outcome = "cancelled"
	OutcomeRolledBack Outcome = "rolled_back"
)

// Source is the queue of runs that the Runner works on, such as the
// trigger engine. Next blocks until a run may start and returns it; it
// returns ctx's error when ctx ends. Finish reports how a run ended; the
// Runner calls it once per run that it recorded as reported, and again
// after a restart that came between the end and the report, so Finish
// must accept a repeat of the same report.
type Source interface {
	Next(ctx context.Context) (Request, error)
	Finish(ctx context.Context, id string, outcome Outcome, message string) error
}

// ErrRefused marks an error of Source.Finish that a retry cannot cure,
// such as a run that the source does not know or ended another way. The
// Runner records the refusal and stops reporting that run; it retries
// every other error.
var ErrRefused = errors.New("report refused")

// Switcher points the monitor at a model version and its reference
// profile, so that drift is measured against the data the serving model
// was trained on.
type Switcher interface {
	Switch(ctx context.Context, model, version, profileURI string) error
}

// SwitcherFunc adapts a function to Switcher.
type SwitcherFunc func(ctx context.Context, model, version, profileURI string) error

// Switch calls f.
func (f SwitcherFunc) Switch(ctx context.Context, model, version, profileURI string) error {
	return f(ctx, model, version, profileURI)
}

// QualityValue is one quality metric of the windows of a model version,
// with its alerting threshold.
type QualityValue struct {
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Breached  bool    `json:"breached"`
}

// Observation is what the monitor has seen of a model version since it
// was switched to: the number of closed windows, the latest dataset drift
// share and the latest quality metrics.
type Observation struct {
	Windows    int                     `json:"windows"`
	DriftShare float64                 `json:"drift_share"`
	Quality    map[string]QualityValue `json:"quality,omitempty"`
}

// Observer reports what the monitor has seen of a model version; the
// verify phase polls it.
type Observer interface {
	Observe(ctx context.Context, model, version string) (Observation, error)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, model, version string) (Observation, error)

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, model, version string) (Observation, error) {
	return f(ctx, model, version)
}

// Timer is a timer of the injected clock.
type Timer interface {
	// C delivers the time when the timer fires.
	C() <-chan time.Time
	// Stop stops the timer, as time.Timer.Stop does.
	Stop() bool
}

// realTimer adapts time.Timer to Timer.
type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

func newRealTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// sleep waits d on a timer of newTimer, or until ctx ends.
func sleep(ctx context.Context, newTimer func(time.Duration) Timer, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := newTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
