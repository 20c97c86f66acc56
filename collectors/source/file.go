package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/drift"
)

// Defaults of FileOptions.
const (
	// DefaultSyncInterval is how often a source syncs its monitor while it
	// reads, so that closed windows are published as it goes.
	DefaultSyncInterval = time.Second
	// DefaultMaxLineBytes bounds a line of a JSON Lines replay file, like
	// the default max_message_bytes of a Kafka source.
	DefaultMaxLineBytes = 1 << 20
)

// FileOptions are the settings and dependencies of a File source. Model,
// Monitor, Logger and Metrics are required.
type FileOptions struct {
	// Model is the model's configuration. Its Source.File paths are opened
	// as given: the caller resolves relative ones.
	Model collectors.ModelConfig
	// Monitor receives the events. It should be built with
	// DisableIdleClose: a replay's event times are history.
	Monitor *monitor.Monitor
	Logger  *slog.Logger
	Metrics *Metrics
	// Now is the wall clock, for the periodic sync and the rejection log.
	// It defaults to time.Now.
	Now func() time.Time
	// SyncInterval is how often the monitor is synced during the replay
	// (default DefaultSyncInterval).
	SyncInterval time.Duration
	// MaxLineBytes bounds a line of a JSON Lines file; a longer line is
	// rejected as oversized (default DefaultMaxLineBytes).
	MaxLineBytes int
	// LogEvery is how often the rejections of one reason are logged at
	// most (default DefaultLogEvery).
	LogEvery time.Duration
}

func (o FileOptions) withDefaults() FileOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.MaxLineBytes == 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.LogEvery == 0 {
		o.LogEvery = DefaultLogEvery
	}
	return o
}

func (o FileOptions) validate() error {
	var errs []error
	if o.Monitor == nil {
		errs = append(errs, errors.New("source: FileOptions.Monitor is required"))
	}
	if o.Logger == nil {
		errs = append(errs, errors.New("source: FileOptions.Logger is required"))
	}
	if o.Metrics == nil {
		errs = append(errs, errors.New("source: FileOptions.Metrics is required"))
	}
	if o.Model.Source.Type != collectors.SourceFile || o.Model.Source.File.Path == "" {
		errs = append(errs, fmt.Errorf("source: model %q has no file source", o.Model.Name))
	}
	if o.SyncInterval < 0 || o.MaxLineBytes < 1 || o.LogEvery < 0 {
		errs = append(errs, errors.New("source: FileOptions.SyncInterval, MaxLineBytes and LogEvery must be positive"))
	}
	return errors.Join(errs...)
}

// File replays a model's prediction and label files into its monitor. Run
// drives it; Ready and Finished may be called from any goroutine.
type File struct {
	opts     FileOptions
	log      *slog.Logger
	files    []replayFile
	rejects  *rejectLog
	ready    atomic.Bool
	finished atomic.Bool
	// mu keeps Switch away from the monitor while the replay uses it; the
	// replay lets go of it every 1024 events.
	mu sync.Mutex
}

// replayFile is one file to replay and the kind of its events.
type replayFile struct {
	path   string
	format collectors.FileFormat
	kind   event.Kind
}

// NewFile checks the options and the files' formats. It opens nothing.
func NewFile(opts FileOptions) (*File, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	fc := opts.Model.Source.File
	f := &File{
		opts:  opts,
		log:   opts.Logger.With("model", opts.Model.Name, "source", "file"),
		files: []replayFile{{path: fc.Path, kind: event.KindPrediction}},
	}
	if fc.LabelsPath != "" {
		f.files = append(f.files, replayFile{path: fc.LabelsPath, kind: event.KindLabel})
	}
	for i := range f.files {
		rf := &f.files[i]
		rf.format = fc.Format
		if rf.format == "" {
			rf.format = collectors.FormatOf(rf.path)
		}
		if rf.format != collectors.FormatJSONL && rf.format != collectors.FormatCSV {
			return nil, fmt.Errorf("source: cannot tell the format of %s: set source.file.format to jsonl or csv", rf.path)
		}
	}
	f.rejects = newRejectLog(f.log, opts.LogEvery, opts.Now)
	opts.Metrics.initFile(opts.Model.Name)
	return f, nil
}

// Ready returns nil once the replay files are open and being read.
func (f *File) Ready() error {
	if !f.ready.Load() {
		return errors.New("replay files not opened yet")
	}
	return nil
}

// Finished reports whether the files were read to the end and the
// monitor flushed.
func (f *File) Finished() bool { return f.finished.Load() }

// Run replays the files into the monitor, then flushes it so that the last
// windows are published. It returns nil at the end of the files or when
// ctx ends, and an error when a file cannot be read or its CSV header does
// not fit the model. Run may be called once.
func (f *File) Run(ctx context.Context) error {
	streams := make([]*stream, 0, len(f.files))
	defer func() {
		for _, s := range streams {
			_ = s.rec.close()
		}
	}()
	for _, rf := range f.files {
		s, err := f.open(rf)
		if err != nil {
			return err
		}
		streams = append(streams, s)
	}
	f.ready.Store(true)
	f.opts.Metrics.ready.WithLabelValues(f.opts.Model.Name).Set(1)
	f.log.Info("replay started", "files", len(streams))
	start := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.replay(ctx, streams)
	f.rejects.flush()
	if err != nil || ctx.Err() != nil {
		return err
	}
	if _, err := f.opts.Monitor.Flush(ctx); err != nil {
		return fmt.Errorf("source: flush after replay: %w", err)
	}
	f.finished.Store(true)
	f.opts.Metrics.replayFinished.WithLabelValues(f.opts.Model.Name).Set(1)
	f.log.Info("replay finished", "records", n, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// stream is one replay file being read, with the next event it holds.
type stream struct {
	path    string
	kind    event.Kind
	rec     records
	ev      event.Event
	line    int64
	pending bool
	eof     bool
}

func (f *File) open(rf replayFile) (*stream, error) {
	dec, err := event.NewDecoder(f.opts.Model)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	var rec records
	if rf.format == collectors.FormatCSV {
		rec, err = openCSV(rf.path, dec, rf.kind)
	} else {
		rec, err = openJSONL(rf.path, dec, rf.kind, f.opts.MaxLineBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("source: replay %s: %w", rf.path, err)
	}
	return &stream{path: rf.path, kind: rf.kind, rec: rec}, nil
}

// Switch makes the monitor judge the next events against a new model
// version and its reference profile (see monitor.Monitor.Switch), and
// publishes the windows that the switch closed.
func (f *File) Switch(ctx context.Context, version string, p *drift.Profile) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.opts.Monitor.Switch(version, p); err != nil {
		return err
	}
	_, err := f.opts.Monitor.Sync(ctx)
	return err
}

// replay feeds the events of all streams to the monitor in event-time
// order, merging the streams as it reads them (each is taken to be in
// time order, as a log is), and returns the number of records read.
func (f *File) replay(ctx context.Context, streams []*stream) (int64, error) {
	var n int64
	lastSync := f.opts.Now()
	for i := 1; ; i++ {
		if i%256 == 0 && ctx.Err() != nil {
			return n, nil
		}
		for _, s := range streams {
			if err := f.fill(s, &n); err != nil {
				return n, err
			}
		}
		var next *stream
		for _, s := range streams {
			if s.pending && (next == nil || s.ev.Time.Before(next.ev.Time)) {
				next = s
			}
		}
		if next == nil {
			return n, nil
		}
		f.opts.Monitor.Observe(&next.ev, monitor.Position{Partition: next.path, Offset: next.line})
		next.pending = false
		n++
		if i%1024 == 0 {
			f.mu.Unlock()
			f.mu.Lock()
			if now := f.opts.Now(); now.Sub(lastSync) >= f.opts.SyncInterval {
				lastSync = now
				if _, err := f.opts.Monitor.Sync(ctx); err != nil {
					f.log.Error("sync failed during the replay", "err", err)
				}
			}
		}
	}
}

// fill reads s until it holds an event or ends, passing rejected records
// to the monitor, and counts the rejected records in n.
func (f *File) fill(s *stream, n *int64) error {
	for !s.pending && !s.eof {
		line, err := s.rec.next(&s.ev)
		switch reason := event.ReasonOf(err); {
		case err == nil:
			s.pending, s.line = true, line
		case errors.Is(err, io.EOF):
			s.eof = true
		case reason != "":
			pos := monitor.Position{Partition: s.path, Offset: line}
			f.opts.Monitor.Reject(s.kind, reason, pos)
			f.rejects.add(reason, err, pos)
			*n++
		default:
			return fmt.Errorf("source: replay %s: %w", s.path, err)
		}
	}
	return nil
}
