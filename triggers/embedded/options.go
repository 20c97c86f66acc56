package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/rules"
)

// Defaults of Options.
const (
	// DefaultInterval is how often the rules are evaluated: the
	// evaluation_interval of Prometheus's example configuration.
	DefaultInterval = 15 * time.Second
	// DefaultRepeatInterval is how often a group that still fires is
	// notified again: Alertmanager's default repeat_interval.
	DefaultRepeatInterval = 4 * time.Hour
)

// Notifier receives the evaluator's notifications; the trigger engine
// implements it. An error that wraps triggers.ErrInvalid means the
// notification can never be accepted; any other error means nothing was
// recorded, and the evaluator tries again at its next evaluation.
type Notifier interface {
	Notify(ctx context.Context, n triggers.Notification) ([]triggers.Decision, error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n triggers.Notification) ([]triggers.Decision, error)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n triggers.Notification) ([]triggers.Decision, error) {
	return f(ctx, n)
}

// Ticker delivers the times at which Run evaluates, so that tests can
// replace time.Ticker with a fake clock.
type Ticker interface {
	// C delivers a time at every tick.
	C() <-chan time.Time
	// Stop stops the ticker, as time.Ticker.Stop does.
	Stop()
}

// realTicker adapts time.Ticker to Ticker.
type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

// Options are the rules, the dependencies and the timing of an Evaluator.
// Gatherer, Notifier, Registerer and Logger are required.
type Options struct {
	// Rules are the generated rules, the output of rules.Generate for the
	// configuration driftwatch runs with.
	Rules rules.File
	// Gatherer is the exposition Prometheus would scrape: the registry
	// driftwatch serves on /metrics.
	Gatherer prometheus.Gatherer
	// Notifier receives the notifications.
	Notifier   Notifier
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Interval is how often the rules are evaluated (default
	// DefaultInterval).
	Interval time.Duration
	// RepeatInterval is how often a group that still fires is notified
	// again (default DefaultRepeatInterval).
	RepeatInterval time.Duration
	// Now is the clock that evaluation times are read from (default
	// time.Now).
	Now func() time.Time
	// NewTicker makes the ticker Run waits on (default time.NewTicker).
	NewTicker func(d time.Duration) Ticker
}

func (o Options) withDefaults() Options {
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.RepeatInterval == 0 {
		o.RepeatInterval = DefaultRepeatInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewTicker == nil {
		o.NewTicker = func(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }
	}
	return o
}

// validate reports every problem with the options at once.
func (o Options) validate() error {
	var errs []error
	for _, req := range []struct {
		name  string
		isSet bool
	}{
		{"Gatherer", o.Gatherer != nil},
		{"Notifier", o.Notifier != nil},
		{"Registerer", o.Registerer != nil},
		{"Logger", o.Logger != nil},
	} {
		if !req.isSet {
			errs = append(errs, fmt.Errorf("embedded: Options.%s is required", req.name))
		}
	}
	if o.Interval < 0 {
		errs = append(errs, fmt.Errorf("embedded: Options.Interval must be positive, got %s", o.Interval))
	}
	if o.RepeatInterval < 0 {
		errs = append(errs, fmt.Errorf("embedded: Options.RepeatInterval must be positive, got %s", o.RepeatInterval))
	}
	return errors.Join(errs...)
}
