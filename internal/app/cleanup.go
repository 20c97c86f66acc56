package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// cleanupStack undoes what Start did, last step first, as a deferred call
// would: the server started first stops last, so /metrics still answers
// while the sources commit their last offsets.
type cleanupStack struct {
	steps []cleanupStep
}

type cleanupStep struct {
	name string
	fn   func(ctx context.Context) error
}

// push adds a step that undoes what was just started.
func (s *cleanupStack) push(name string, fn func(ctx context.Context) error) {
	s.steps = append(s.steps, cleanupStep{name: name, fn: fn})
}

// run runs every step, last pushed first, even after a failure, and
// returns their errors joined. The stack is empty afterwards.
func (s *cleanupStack) run(ctx context.Context, log *slog.Logger) error {
	var errs []error
	for i := len(s.steps) - 1; i >= 0; i-- {
		step := s.steps[i]
		log.Debug("stopping", "component", step.name)
		if err := step.fn(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", step.name, err))
			continue
		}
		log.Debug("stopped", "component", step.name)
	}
	s.steps = nil
	return errors.Join(errs...)
}
