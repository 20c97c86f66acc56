package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

const (
	// readTimeout bounds reading one fetch response once the broker has
	// started to answer, and each request for partition offsets.
	readTimeout = 10 * time.Second
	// minBackoff and maxBackoff bound the pause before a fetcher reconnects.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// batch is a run of consecutive messages from one partition.
type batch struct {
	part  *partitionState
	msgs  []Message
	bytes int
}

// fetcher reads one partition for one generation and queues its messages in
// batches for the handler. It talks to the partition leader over its own
// connection and reconnects with backoff on errors, so a broker restart or a
// leader change costs a pause, not the generation.
type fetcher struct {
	part            *partitionState
	dialer          *kafka.Dialer
	brokers         []string
	opts            FetchOptions
	maxMessageBytes int
	reset           StartOffset
	queue           chan<- *batch
	batches         *sync.Pool
	log             *slog.Logger
	stats           *counters
	now             func() time.Time
}

// run fetches until ctx ends. It returns an error only for failures that
// retrying cannot fix, such as rejected credentials.
func (f *fetcher) run(ctx context.Context) error {
	offset := f.part.start
	for attempt := 0; ; attempt++ {
		if attempt > 0 && !sleep(ctx, backoff(attempt)) {
			return nil
		}
		conn, err := f.connect(ctx)
		if err == nil {
			attempt = 0
			offset, err = f.consume(ctx, conn, offset)
			_ = conn.Close()
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := f.failed(err); err != nil {
			return err
		}
	}
}

// failed counts and logs a fetch error, and returns it when it is fatal.
func (f *fetcher) failed(err error) error {
	class := ClassifyError(err)
	f.stats.fetchErrors.Add(1)
	if fatal(class) {
		return fmt.Errorf("fetching %s: %w", f.part.tp, err)
	}
	f.log.Warn("fetching failed, retrying", "partition", f.part.tp.String(),
		"class", string(class), "err", err)
	return nil
}

func (f *fetcher) connect(ctx context.Context) (*kafka.Conn, error) {
	var err error
	for _, b := range f.brokers {
		var conn *kafka.Conn
		conn, err = f.dialer.DialLeader(ctx, "tcp", b, f.part.tp.Topic, int(f.part.tp.Partition))
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("connecting to the leader: %w", err)
}

// consume fetches over one connection until an error that needs a new one.
// It returns the next offset to fetch.
func (f *fetcher) consume(ctx context.Context, conn *kafka.Conn, offset int64) (int64, error) {
	// The broker holds a fetch for up to MaxWait, and kafka-go's Conn takes
	// no context; closing the connection is what ends a fetch at once when
	// the generation ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	offset, err := f.seek(conn, offset)
	for err == nil {
		offset, err = f.fetch(ctx, conn, offset)
		if errors.Is(err, kafka.OffsetOutOfRange) {
			offset, err = f.seek(conn, offset)
		}
	}
	return offset, err
}

// seek turns offset into an absolute offset within the partition and
// positions the connection there. Offsets outside the partition follow
// Kafka's rules: behind the log start (deleted by retention) moves to the
// log start; beyond the end (a recreated topic, a truncated log) starts
// again as Config.StartOffset says.
func (f *fetcher) seek(conn *kafka.Conn, offset int64) (int64, error) {
	if err := conn.SetDeadline(time.Now().Add(readTimeout)); err != nil {
		return offset, err
	}
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return offset, fmt.Errorf("reading the partition's offsets: %w", err)
	}
	next := offset
	switch {
	case offset == kafka.FirstOffset:
		next = first
	case offset == kafka.LastOffset:
		next = last
	case offset < first:
		next = first
		f.stats.skipped.Add(uint64(first - offset))
		f.log.Warn("messages were deleted before they were consumed; skipping them",
			"partition", f.part.tp.String(), "from", offset, "to", first)
	case offset > last:
		next = first
		if f.reset == StartLatest {
			next = last
		}
		f.log.Warn("offset is beyond the end of the partition; starting over",
			"partition", f.part.tp.String(), "offset", offset, "end", last,
			"start_offset", string(f.reset), "next", next)
		// The committed offset no longer bounds what may be committed.
		f.part.delivered.Store(next)
	}
	f.part.resolved(next)
	if _, err := conn.Seek(next, kafka.SeekAbsolute|kafka.SeekDontCheck); err != nil {
		return offset, err
	}
	return next, conn.SetDeadline(time.Time{})
}

// fetch reads one fetch response and queues its messages. It returns the
// next offset, which has moved past every queued message even when the
// response broke off with an error.
func (f *fetcher) fetch(ctx context.Context, conn *kafka.Conn, offset int64) (int64, error) {
	if err := conn.SetReadDeadline(time.Now().Add(f.opts.MaxWait + readTimeout)); err != nil {
		return offset, err
	}
	kb := conn.ReadBatchWith(kafka.ReadBatchConfig{
		MinBytes: f.opts.MinBytes,
		MaxBytes: f.opts.MaxBytes,
		MaxWait:  f.opts.MaxWait,
	})
	if err := kb.Err(); err != nil {
		_ = kb.Close()
		return offset, err
	}
	f.stats.fetches.Add(1)
	f.part.highWatermark.Store(kb.HighWaterMark())
	f.part.fetchedAt.Store(f.now().UnixNano())

	b := f.newBatch()
	for {
		m, err := kb.ReadMessage()
		if err != nil {
			break
		}
		b.msgs = append(b.msgs, f.message(&m))
		b.bytes += len(m.Key) + len(m.Value)
		if len(b.msgs) < f.opts.MaxBatchMessages {
			continue
		}
		if !f.send(ctx, b) {
			_ = kb.Close()
			return kb.Offset(), ctx.Err()
		}
		b = f.newBatch()
		// Waiting for room in the queue may have used up the deadline.
		if err := conn.SetReadDeadline(time.Now().Add(readTimeout)); err != nil {
			_ = kb.Close()
			return kb.Offset(), err
		}
	}
	err := kb.Close()
	if errors.Is(err, kafka.RequestTimedOut) {
		// kafka-go reports a fetch that found no new message within
		// MaxWait as RequestTimedOut.
		err = nil
	}
	if len(b.msgs) > 0 {
		if !f.send(ctx, b) {
			return kb.Offset(), ctx.Err()
		}
	} else {
		f.batches.Put(b)
	}
	return kb.Offset(), err
}

// message converts a kafka-go message; key and value are not copied.
func (f *fetcher) message(m *kafka.Message) Message {
	msg := Message{
		Stream:    f.part.stream,
		Topic:     f.part.tp.Topic,
		Partition: f.part.tp.Partition,
		Offset:    m.Offset,
		Key:       m.Key,
		Value:     m.Value,
		Time:      m.Time,
		Oversized: len(m.Key)+len(m.Value) > f.maxMessageBytes,
	}
	if msg.Oversized {
		f.stats.oversized.Add(1)
	}
	if len(m.Headers) > 0 {
		msg.Headers = make([]Header, len(m.Headers))
		for i, h := range m.Headers {
			msg.Headers[i] = Header(h)
		}
	}
	return msg
}

func (f *fetcher) newBatch() *batch {
	b := f.batches.Get().(*batch)
	b.part = f.part
	return b
}

func (f *fetcher) send(ctx context.Context, b *batch) bool {
	select {
	case f.queue <- b:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff doubles from minBackoff up to maxBackoff.
func backoff(attempt int) time.Duration {
	d := minBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// sleep waits for d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
