package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/drift"
)

// Defaults of KafkaOptions.
const (
	// DefaultCommitInterval is the shortest time between two commits made
	// after batches of messages.
	DefaultCommitInterval = time.Second
	// DefaultStaleFetch is how old a partition's last fetch may be for the
	// consumer to count as caught up.
	DefaultStaleFetch = 5 * time.Second
)

// Consumer runs a Kafka consumer group member; *kafkasource.Consumer
// implements it.
type Consumer interface {
	Run(ctx context.Context, h kafkasource.Handler) error
}

// DeadLetterSender writes rejected messages to the dead letter topic;
// *kafkasource.DeadLetter implements it.
type DeadLetterSender interface {
	Send(ctx context.Context, reason kafkasource.Reason, msgs ...kafkasource.Message) error
}

var (
	_ Consumer            = (*kafkasource.Consumer)(nil)
	_ DeadLetterSender    = (*kafkasource.DeadLetter)(nil)
	_ kafkasource.Handler = (*Kafka)(nil)
	_ committer           = (*kafkasource.Generation)(nil)
)

// committer commits offsets for one generation of the consumer group.
type committer interface {
	Commit(ctx context.Context, offsets map[kafkasource.TopicPartition]int64) error
}

// KafkaOptions are the settings and dependencies of a Kafka source.
// Model, Monitor, Consumer, Logger and Metrics are required.
type KafkaOptions struct {
	// Model is the model's configuration.
	Model   collectors.ModelConfig
	Monitor *monitor.Monitor
	// Consumer is the model's consumer group member, built from
	// Model.Source.Kafka.
	Consumer Consumer
	// DeadLetter receives rejected messages; nil when the model has no
	// dead letter topic.
	DeadLetter DeadLetterSender
	// Lag reports the consumer's position in its partitions, as
	// kafkasource.Consumer.Lag does. A partition that was fetched within
	// StaleFetch and has nothing left to read is caught up: the monitor
	// lets the event time of a caught-up partition advance with the wall
	// clock while it is quiet, so that its windows close. A partition
	// with a backlog, or not fetched recently as during an outage, is not:
	// its events for the quiet time are still to come. Nil means every
	// partition is always caught up.
	Lag func() []kafkasource.PartitionLag
	// StaleFetch is how old a partition's last fetch may be for it to
	// count as caught up (default DefaultStaleFetch).
	StaleFetch time.Duration
	Logger     *slog.Logger
	Metrics    *Metrics
	// Now is the wall clock, for the commit interval and the rejection
	// log. It defaults to time.Now.
	Now func() time.Time
	// SyncInterval is how often the monitor is synced, and safe offsets
	// committed, while no messages arrive (default DefaultSyncInterval).
	SyncInterval time.Duration
	// CommitInterval is the shortest time between two commits made after
	// batches (default DefaultCommitInterval). Commits at the end of a
	// generation do not wait for it.
	CommitInterval time.Duration
	// LogEvery is how often the rejections of one reason are logged at
	// most (default DefaultLogEvery).
	LogEvery time.Duration
}

func (o KafkaOptions) withDefaults() KafkaOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.CommitInterval == 0 {
		o.CommitInterval = DefaultCommitInterval
	}
	if o.LogEvery == 0 {
		o.LogEvery = DefaultLogEvery
	}
	if o.StaleFetch == 0 {
		o.StaleFetch = DefaultStaleFetch
	}
	return o
}

func (o KafkaOptions) validate() error {
	var errs []error
	for _, req := range []struct {
		name    string
		missing bool
	}{
		{"Monitor", o.Monitor == nil}, {"Consumer", o.Consumer == nil},
		{"Logger", o.Logger == nil}, {"Metrics", o.Metrics == nil},
	} {
		if req.missing {
			errs = append(errs, fmt.Errorf("source: KafkaOptions.%s is required", req.name))
		}
	}
	if o.Model.Source.Type != collectors.SourceKafka {
		errs = append(errs, fmt.Errorf("source: model %q has no kafka source", o.Model.Name))
	}
	if o.SyncInterval <= 0 || o.StaleFetch <= 0 || o.CommitInterval < 0 || o.LogEvery < 0 {
		errs = append(errs, errors.New("source: KafkaOptions.SyncInterval and StaleFetch must be positive, CommitInterval and LogEvery not negative"))
	}
	return errors.Join(errs...)
}

// Kafka feeds a model's monitor from its consumer group and commits the
// offsets the monitor says are safe. The consumer calls its Handler
// methods; a ticker syncs the monitor between batches. A mutex keeps the
// two apart, since the monitor is not safe for concurrent use.
type Kafka struct {
	opts    KafkaOptions
	log     *slog.Logger
	model   string
	maxSize int
	ready   atomic.Bool

	mu      sync.Mutex
	dec     *event.Decoder
	ev      event.Event
	rejects *rejectLog
	dead    map[kafkasource.Reason][]kafkasource.Message
	// The current generation, nil between generations, and what is known
	// about its partitions, by position key ("topic/partition").
	gen        committer
	parts      map[string]kafkasource.TopicPartition
	committed  map[string]int64
	hold       map[string]int64 // offsets of dead letters that failed
	lastCommit time.Time
	// The key of the last message's partition, to avoid building it for
	// every message.
	lastTP  kafkasource.TopicPartition
	lastKey string
}

// NewKafka checks the options and compiles the model's event decoder.
func NewKafka(opts KafkaOptions) (*Kafka, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	dec, err := event.NewDecoder(opts.Model)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	k := &Kafka{
		opts:    opts,
		log:     opts.Logger.With("model", opts.Model.Name, "source", "kafka"),
		model:   opts.Model.Name,
		maxSize: opts.Model.Source.Kafka.MaxMessageBytes,
		dec:     dec,
		dead:    map[kafkasource.Reason][]kafkasource.Message{},
	}
	k.rejects = newRejectLog(k.log, opts.LogEvery, opts.Now)
	opts.Metrics.initKafka(k.model)
	return k, nil
}

// Ready returns nil once the consumer has joined its group and received
// its first assignment.
func (k *Kafka) Ready() error {
	if !k.ready.Load() {
		return errors.New("consumer has not joined its group yet")
	}
	return nil
}

// Run consumes until ctx ends, then returns nil after the last generation
// has been synced, committed and revoked. It returns an error when the
// consumer does (see kafkasource.Consumer.Run). Run may be called once.
func (k *Kafka) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { k.tick(ctx) })
	err := k.opts.Consumer.Run(ctx, k)
	cancel()
	wg.Wait()
	k.mu.Lock()
	k.rejects.flush()
	k.mu.Unlock()
	return err
}

// tick syncs the monitor and commits every SyncInterval, so that the
// windows of quiet partitions close and their offsets are committed.
func (k *Kafka) tick(ctx context.Context) {
	t := time.NewTicker(k.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.tickOnce(ctx)
		}
	}
}

func (k *Kafka) tickOnce(ctx context.Context) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.syncAndCommit(ctx, true)
}

// caughtUp returns the partitions of the generation that were fetched
// recently and have nothing left to read, as position keys.
func (k *Kafka) caughtUp() []string {
	if k.opts.Lag == nil {
		return slices.Collect(maps.Keys(k.parts))
	}
	now := k.opts.Now()
	var out []string
	for _, l := range k.opts.Lag() {
		key := l.TopicPartition.String()
		if _, ok := k.parts[key]; ok && l.Lag == 0 && now.Sub(l.FetchedAt) <= k.opts.StaleFetch {
			out = append(out, key)
		}
	}
	return out
}

// Switch makes the monitor judge the next events against a new model
// version and its reference profile (see monitor.Monitor.Switch), and
// syncs and commits, which publishes the windows that the switch closed.
func (k *Kafka) Switch(ctx context.Context, version string, p *drift.Profile) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.opts.Monitor.Switch(version, p); err != nil {
		return err
	}
	if k.gen == nil {
		_, err := k.opts.Monitor.Sync(ctx)
		return err
	}
	k.syncAndCommit(ctx, true)
	return nil
}

// Assigned starts a generation.
func (k *Kafka) Assigned(_ context.Context, gen *kafkasource.Generation) error {
	k.assign(gen, gen.Partitions)
	return nil
}

func (k *Kafka) assign(gen committer, parts []kafkasource.TopicPartition) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen = gen
	k.parts = make(map[string]kafkasource.TopicPartition, len(parts))
	for _, tp := range parts {
		k.parts[tp.String()] = tp
	}
	k.committed, k.hold = map[string]int64{}, map[string]int64{}
	k.lastTP, k.lastKey = kafkasource.TopicPartition{}, ""
	// The monitor holds its time windows open until every assigned
	// partition has delivered, or is known to be empty: the first batches
	// of a generation come from the partitions in any order.
	topics := k.opts.Model.Source.Kafka.Topics
	byStream := map[monitor.Stream][]string{}
	for _, tp := range parts {
		st := monitor.StreamPredictions
		switch tp.Topic {
		case topics.Labels:
			st = monitor.StreamLabels
		case topics.Features:
			if topics.Features != "" {
				st = monitor.StreamFeatures
			}
		}
		byStream[st] = append(byStream[st], tp.String())
	}
	for st, keys := range byStream {
		k.opts.Monitor.Assign(st, keys...)
	}
	if !k.ready.Swap(true) {
		k.opts.Metrics.ready.WithLabelValues(k.model).Set(1)
	}
}

// Revoked commits what is safe and makes the monitor forget the
// generation's partitions: their uncommitted messages will be delivered
// again.
func (k *Kafka) Revoked(ctx context.Context, gen *kafkasource.Generation) {
	k.revoke(ctx)
}

func (k *Kafka) revoke(ctx context.Context) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.syncAndCommit(ctx, true)
	keys := slices.Sorted(maps.Keys(k.parts))
	if extra := k.opts.Monitor.Revoke(keys...); len(extra) > 0 {
		k.log.Warn("the monitor revoked partitions of an earlier generation", "partitions", extra)
	}
	k.gen, k.parts, k.committed, k.hold = nil, nil, nil, nil
	// Publish the discarded windows' count; no offsets are left to commit.
	if _, err := k.opts.Monitor.Sync(ctx); err != nil {
		k.log.Error("monitor sync failed", "err", err)
	}
}

// syncAndCommit syncs the monitor and commits the safe offsets that moved
// since the last commit: always when force is set, otherwise once the
// commit interval has passed.
func (k *Kafka) syncAndCommit(ctx context.Context, force bool) {
	if k.gen == nil {
		return
	}
	offsets, err := k.opts.Monitor.Sync(ctx, k.caughtUp()...)
	if err != nil {
		k.log.Error("monitor sync failed; no offsets committed", "err", err)
		return
	}
	req := map[kafkasource.TopicPartition]int64{}
	for key, off := range offsets {
		tp, ok := k.parts[key]
		if !ok {
			continue
		}
		if h, held := k.hold[key]; held && h < off {
			off = h
		}
		if c, done := k.committed[key]; done && off <= c {
			continue
		}
		req[tp] = off
	}
	now := k.opts.Now()
	if len(req) == 0 || !force && now.Sub(k.lastCommit) < k.opts.CommitInterval {
		return
	}
	k.lastCommit = now
	if err := k.gen.Commit(ctx, req); err != nil {
		k.opts.Metrics.commitErrors.WithLabelValues(k.model).Inc()
		level := slog.LevelWarn
		if errors.Is(err, kafkasource.ErrGenerationEnded) {
			level = slog.LevelDebug
		}
		k.log.Log(ctx, level, "offset commit failed; the messages after the last commit will be read again",
			"class", string(kafkasource.ClassifyError(err)), "err", err)
		return
	}
	k.opts.Metrics.commits.WithLabelValues(k.model).Inc()
	for tp, off := range req {
		k.committed[tp.String()] = off
	}
}
