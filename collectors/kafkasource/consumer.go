package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	kafka "github.com/segmentio/kafka-go"
)

// Handler receives a consumer's partitions and messages. The consumer calls
// its methods from one goroutine, one at a time, so a handler needs no locks
// for state that only these methods touch.
//
// Handle and Revoked should return well within Config.RebalanceTimeout:
// while they run, the group cannot finish a rebalance.
type Handler interface {
	// Assigned is called when a generation starts, before any of its
	// messages. The handler keeps gen to commit offsets for its partitions.
	// An error stops the consumer.
	Assigned(ctx context.Context, gen *Generation) error
	// Handle is called with consecutive messages of one partition, in
	// offset order. ctx ends when the generation does. An error stops the
	// consumer; the messages after the last commit are then delivered
	// again, to this group.
	Handle(ctx context.Context, msgs []Message) error
	// Revoked is called when the generation ends, after its last Handle.
	// The handler must forget everything it derived from messages after
	// the last committed offsets of gen's partitions, because those
	// messages will be delivered again, possibly to another member. It may
	// still commit through gen during the call: the group waits for it.
	Revoked(ctx context.Context, gen *Generation)
}

// Consumer reads one model's topics as a member of the model's consumer
// group. Run drives it; Lag and Stats may be called at any time from any
// goroutine.
type Consumer struct {
	cfg     Config
	opts    Options
	log     *slog.Logger
	conn    *connector
	dialer  *kafka.Dialer
	group   kafka.ConsumerGroupConfig
	streams map[string]Stream
	stats   counters
	batches sync.Pool
	running atomic.Bool
	mu      sync.Mutex
	current *Generation
}

// New checks cfg and opts and prepares a consumer. It reads the TLS files
// and resolves the SASL password, but does not contact Kafka.
func New(cfg Config, opts Options) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafkasource: invalid config: %w", err)
	}
	opts = opts.withDefaults(cfg)
	if err := opts.validate(cfg); err != nil {
		return nil, fmt.Errorf("kafkasource: %w", err)
	}
	conn, err := newConnector(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("kafkasource: %w", err)
	}
	c := &Consumer{
		cfg:     cfg,
		opts:    opts,
		log:     opts.Logger.With("group", cfg.Group),
		conn:    conn,
		dialer:  conn.dialer(),
		streams: map[string]Stream{},
	}
	c.batches.New = func() any { return &batch{msgs: make([]Message, 0, 64)} }
	for _, t := range []struct {
		topic  string
		stream Stream
	}{
		{cfg.Topics.Predictions, StreamPredictions},
		{cfg.Topics.Features, StreamFeatures},
		{cfg.Topics.Labels, StreamLabels},
	} {
		if t.topic != "" {
			c.streams[t.topic] = t.stream
		}
	}
	c.group = c.groupConfig()
	// kafka-go validates again in NewConsumerGroup; checking here turns a
	// bad setting into an error from New rather than from Run.
	if err := c.group.Validate(); err != nil {
		return nil, fmt.Errorf("kafkasource: consumer group: %w", err)
	}
	return c, nil
}

func (c *Consumer) groupConfig() kafka.ConsumerGroupConfig {
	info, errLog := kafkaLoggers(c.log)
	start := kafka.FirstOffset
	if c.cfg.StartOffset == StartLatest {
		start = kafka.LastOffset
	}
	topics := make([]string, 0, len(c.streams))
	for _, t := range []string{c.cfg.Topics.Predictions, c.cfg.Topics.Features, c.cfg.Topics.Labels} {
		if t != "" {
			topics = append(topics, t)
		}
	}
	return kafka.ConsumerGroupConfig{
		ID:      c.cfg.Group,
		Brokers: c.cfg.Brokers,
		Dialer:  c.dialer,
		Topics:  topics,
		// The range balancer gives one member the same partition numbers
		// of every topic, so co-partitioned predictions and labels meet in
		// one member.
		GroupBalancers:        []kafka.GroupBalancer{kafka.RangeGroupBalancer{}, kafka.RoundRobinGroupBalancer{}},
		HeartbeatInterval:     c.opts.HeartbeatInterval,
		WatchPartitionChanges: c.opts.WatchPartitions,
		SessionTimeout:        c.cfg.SessionTimeout,
		RebalanceTimeout:      c.cfg.RebalanceTimeout,
		JoinGroupBackoff:      c.opts.JoinBackoff,
		StartOffset:           start,
		Logger:                info,
		ErrorLogger:           errLog,
	}
}

// Run joins the group and feeds h until ctx ends, then leaves the group and
// returns nil. It returns an error when h does, or when Kafka rejects the
// credentials or certificates; other Kafka and network errors are logged
// and retried. Run may be called once.
func (c *Consumer) Run(ctx context.Context, h Handler) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("kafkasource: Run was already called")
	}
	if err := c.waitForTopics(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	cg, err := kafka.NewConsumerGroup(c.group)
	if err != nil {
		return fmt.Errorf("kafkasource: consumer group: %w", err)
	}
	// Close leaves the group, so the other members take over the
	// partitions at once instead of after the session timeout.
	defer func() { _ = cg.Close() }()
	for ctx.Err() == nil {
		kg, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if err := c.joinFailed(err); err != nil {
				return err
			}
			continue
		}
		errc := make(chan error, 1)
		// Running the generation inside kg.Start makes kafka-go wait for it
		// before the member rejoins, so Revoked and its commits happen
		// while the old generation is still valid.
		kg.Start(func(genCtx context.Context) { errc <- c.generation(ctx, genCtx, kg, h) })
		if err := <-errc; err != nil {
			return fmt.Errorf("kafkasource: %w", err)
		}
	}
	return nil
}

func (c *Consumer) joinFailed(err error) error {
	c.stats.joinErrors.Add(1)
	class := ClassifyError(err)
	if fatal(class) {
		return fmt.Errorf("kafkasource: joining group %s: %w", c.cfg.Group, err)
	}
	level := slog.LevelWarn
	if class == ClassGenerationEnded {
		// RebalanceInProgress: a normal step of joining a busy group.
		level = slog.LevelDebug
	}
	c.log.Log(context.Background(), level, "joining the consumer group failed, retrying",
		"class", string(class), "err", err)
	return nil
}

// generation runs one generation: Assigned, the fetchers and Handle calls
// until the generation or ctx ends, then Revoked.
func (c *Consumer) generation(ctx, genCtx context.Context, kg *kafka.Generation, h Handler) error {
	gen := c.newGeneration(kg)
	c.stats.generations.Add(1)
	c.setCurrent(gen)
	defer c.setCurrent(nil)

	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(genCtx, cancel)
	defer stop()

	c.log.Info("partitions assigned", "generation", gen.ID, "member", gen.MemberID,
		"partitions", len(gen.Partitions))
	var err error
	if err = h.Assigned(gctx, gen); err != nil {
		err = fmt.Errorf("handler rejected generation %d: %w", gen.ID, err)
	} else {
		err = c.consume(gctx, gen, h)
	}
	cancel()
	c.revoke(ctx, gen, h)
	return err
}

func (c *Consumer) newGeneration(kg *kafka.Generation) *Generation {
	gen := &Generation{
		ID:        kg.ID,
		MemberID:  kg.MemberID,
		committer: kg,
		parts:     map[TopicPartition]*partitionState{},
		stats:     &c.stats,
	}
	for topic, as := range kg.Assignments {
		for _, a := range as {
			tp := TopicPartition{Topic: topic, Partition: int32(a.ID)}
			gen.parts[tp] = newPartitionState(tp, c.streams[topic], a.Offset)
			gen.Partitions = append(gen.Partitions, tp)
		}
	}
	slices.SortFunc(gen.Partitions, compareTopicPartitions)
	return gen
}

// consume starts a fetcher per partition and hands their batches to h until
// ctx ends, h fails or a fetcher meets a fatal error.
func (c *Consumer) consume(ctx context.Context, gen *Generation, h Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan *batch, c.opts.Fetch.QueueCapacity)
	fatalc := make(chan error, len(gen.parts))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait: stop the fetchers, then wait
	for _, tp := range gen.Partitions {
		f := c.newFetcher(gen.parts[tp], queue)
		wg.Go(func() {
			if err := f.run(ctx); err != nil {
				fatalc <- err
			}
		})
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-fatalc:
			return err
		case b := <-queue:
			if ctx.Err() != nil {
				return nil
			}
			if err := c.handle(ctx, h, b); err != nil {
				if ctx.Err() != nil {
					// The generation ended under the handler.
					return nil
				}
				return fmt.Errorf("handler failed in generation %d: %w", gen.ID, err)
			}
		}
	}
}

func (c *Consumer) handle(ctx context.Context, h Handler, b *batch) error {
	last := b.msgs[len(b.msgs)-1].Offset
	b.part.delivered.Store(last + 1)
	c.stats.messages.Add(uint64(len(b.msgs)))
	c.stats.bytes.Add(uint64(b.bytes))
	err := h.Handle(ctx, b.msgs)
	clear(b.msgs)
	b.msgs, b.bytes, b.part = b.msgs[:0], 0, nil
	c.batches.Put(b)
	return err
}

func (c *Consumer) newFetcher(p *partitionState, queue chan<- *batch) *fetcher {
	return &fetcher{
		part:            p,
		dialer:          c.dialer,
		brokers:         c.cfg.Brokers,
		opts:            c.opts.Fetch,
		maxMessageBytes: c.cfg.MaxMessageBytes,
		reset:           c.cfg.StartOffset,
		queue:           queue,
		batches:         &c.batches,
		log:             c.log,
		stats:           &c.stats,
		now:             c.opts.Now,
	}
}

// revoke calls h.Revoked with a context that outlives ctx, so the handler
// can still commit during shutdown, bounded by the rebalance timeout the
// group grants a member to rejoin.
func (c *Consumer) revoke(ctx context.Context, gen *Generation, h Handler) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RebalanceTimeout)
	defer cancel()
	h.Revoked(rctx, gen)
	gen.end()
	c.log.Info("partitions revoked", "generation", gen.ID, "partitions", len(gen.Partitions))
}

func (c *Consumer) setCurrent(gen *Generation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.current = gen
}
