package kubernetes

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/watch"
)

// waitUntil calls check until it is done or fails, or ctx ends: at once,
// after each event of the watch that watchFn opens, and every interval in
// case a watch breaks or misses something. It is level-based: check reads
// the object afresh and decides from what it finds, never from an event.
// watchFn may be nil, and a watch that cannot be opened leaves the polls.
func waitUntil(ctx context.Context, interval time.Duration, watchFn func(context.Context) (watch.Interface, error), check func(context.Context) (bool, error)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var w watch.Interface
	defer func() {
		if w != nil {
			w.Stop()
		}
	}()
	// A watch that ended is opened again at the next tick, not at once,
	// so a watch that keeps failing does not spin.
	open := watchFn != nil
	for {
		done, err := check(ctx)
		if done || err != nil {
			return err
		}
		if w == nil && open {
			if w, err = watchFn(ctx); err != nil {
				w, open = nil, false
			}
		}
		var events <-chan watch.Event
		if w != nil {
			events = w.ResultChan()
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
			open = watchFn != nil
		case _, ok := <-events:
			if !ok {
				w.Stop()
				w, open = nil, false
			}
		}
	}
}
