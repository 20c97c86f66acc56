package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/drift"
)

// FeedOptions are the settings and dependencies of a Feed. Model, Monitor,
// Logger and Metrics are required.
type FeedOptions struct {
	// Model is the model's configuration; its source type is embedded.
	Model   collectors.ModelConfig
	Monitor *monitor.Monitor
	Logger  *slog.Logger
	Metrics *Metrics
	// Now is the wall clock: the receive time of events without one, the
	// periodic sync and the rejection log. It defaults to time.Now.
	Now func() time.Time
	// SyncInterval is how often the monitor is synced (default
	// DefaultSyncInterval).
	SyncInterval time.Duration
	// LogEvery is how often the rejections of one reason are logged at
	// most (default DefaultLogEvery).
	LogEvery time.Duration
}

// Feed is the source of a model whose events are pushed in by the program
// that embeds driftwatch, as `driftwatch demo` does with the traffic of the
// model it serves: Push decodes each event with the model's field mapping
// and hands it to the monitor, the way a Kafka message is. Its streams are
// live and in order, so they are always caught up: quiet windows close by
// the wall clock. Nothing is durable beyond the monitor's checkpoint: a
// program that restarts pushes what it wants counted again.
type Feed struct {
	opts    FeedOptions
	log     *slog.Logger
	ready   atomic.Bool
	mu      sync.Mutex
	dec     *event.Decoder
	ev      event.Event
	next    map[event.Kind]int64 // next offset per stream
	rejects *rejectLog
}

// NewFeed checks the options and compiles the model's event decoder.
func NewFeed(opts FeedOptions) (*Feed, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SyncInterval == 0 {
		opts.SyncInterval = DefaultSyncInterval
	}
	if opts.LogEvery == 0 {
		opts.LogEvery = DefaultLogEvery
	}
	var errs []error
	if opts.Monitor == nil || opts.Logger == nil || opts.Metrics == nil {
		errs = append(errs, errors.New("source: FeedOptions.Monitor, Logger and Metrics are required"))
	}
	if opts.Model.Source.Type != collectors.SourceEmbedded {
		errs = append(errs, fmt.Errorf("source: model %q has no embedded source", opts.Model.Name))
	}
	if opts.SyncInterval < 0 || opts.LogEvery < 0 {
		errs = append(errs, errors.New("source: FeedOptions.SyncInterval and LogEvery must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	dec, err := event.NewDecoder(opts.Model)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	f := &Feed{
		opts: opts, log: opts.Logger.With("model", opts.Model.Name, "source", "embedded"),
		dec: dec, next: map[event.Kind]int64{},
	}
	f.rejects = newRejectLog(f.log, opts.LogEvery, opts.Now)
	opts.Metrics.initFeed(opts.Model.Name)
	return f, nil
}

// Push decodes one JSON event of kind k (a prediction, features or label
// event) and applies it. It returns what became of the event, and for a
// rejected event the reason as an error; the rejection is also counted and
// logged, as for any source.
func (f *Feed) Push(k event.Kind, data []byte) (monitor.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pos := monitor.Position{Partition: feedPartition(k), Offset: f.next[k]}
	f.next[k]++
	if err := f.dec.DecodeJSON(&f.ev, k, data, f.opts.Now()); err != nil {
		reason := event.ReasonOf(err)
		if reason == "" {
			reason = monitor.ReasonOther
		}
		f.opts.Monitor.Reject(k, reason, pos)
		f.rejects.add(reason, err, pos)
		return monitor.Rejected, err
	}
	o, reason := f.opts.Monitor.ObserveReason(&f.ev, pos)
	if o == monitor.Rejected {
		err := monitorRejection(reason)
		f.rejects.add(reason, err, pos)
		return o, err
	}
	return o, nil
}

// Run syncs the monitor every SyncInterval until ctx ends, then once more.
// Run may be called once.
func (f *Feed) Run(ctx context.Context) error {
	f.ready.Store(true)
	f.opts.Metrics.ready.WithLabelValues(f.opts.Model.Name).Set(1)
	t := time.NewTicker(f.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			f.mu.Lock()
			defer f.mu.Unlock()
			f.rejects.flush()
			_, err := f.opts.Monitor.Sync(context.WithoutCancel(ctx), f.streams()...)
			return err
		case <-t.C:
			f.mu.Lock()
			if _, err := f.opts.Monitor.Sync(ctx, f.streams()...); err != nil {
				f.log.Error("monitor sync failed", "err", err)
			}
			f.mu.Unlock()
		}
	}
}

// streams names the partitions that have delivered: all caught up.
func (f *Feed) streams() []string {
	out := make([]string, 0, len(f.next))
	for k := range f.next {
		out = append(out, feedPartition(k))
	}
	return out
}

// Ready returns nil once Run has started.
func (f *Feed) Ready() error {
	if !f.ready.Load() {
		return errors.New("the embedded source has not started")
	}
	return nil
}

// Switch makes the monitor judge the next events against a new model
// version and its reference profile (see monitor.Monitor.Switch), and
// publishes the windows that the switch closed.
func (f *Feed) Switch(ctx context.Context, version string, p *drift.Profile) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.opts.Monitor.Switch(version, p); err != nil {
		return err
	}
	_, err := f.opts.Monitor.Sync(ctx, f.streams()...)
	return err
}

// feedPartition returns the position key of stream k, without building
// a string for every event.
func feedPartition(k event.Kind) string {
	switch k {
	case event.KindPrediction:
		return "embedded/prediction"
	case event.KindFeatures:
		return "embedded/features"
	case event.KindLabel:
		return "embedded/label"
	}
	return "embedded/" + string(k)
}
