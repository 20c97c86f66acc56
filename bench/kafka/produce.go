package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

// produceOptions say what to write to the benchmark's topic.
type produceOptions struct {
	broker      string
	partitions  int
	compression string
	// step is the event time between consecutive events.
	step time.Duration
	seed uint64
	// writers is how many goroutines generate and write events.
	writers int
	log     *slog.Logger
}

// chunkEvents is how many events one producer goroutine generates and
// writes at a time.
const chunkEvents = 10_000

// topicName names the topic of n events; the format version in the name
// keeps a topic written by an older generator from being reused.
func topicName(n int64, o produceOptions) string {
	return fmt.Sprintf("dwbench.churn.v1.n%d.p%d.%s", n, o.partitions, o.compression)
}

func codec(name string) (kafka.Compression, error) {
	switch name {
	case "none":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("unknown compression %q (none, gzip, snappy, lz4, zstd)", name)
}

// ensureTopic makes sure the topic holds exactly n events, producing them
// into a fresh topic unless an earlier run left a complete one.
func ensureTopic(ctx context.Context, topic string, n int64, o produceOptions) error {
	cl := &kafka.Client{Addr: kafka.TCP(o.broker), Timeout: 30 * time.Second}
	have, exists, err := topicMessages(ctx, cl, topic)
	if err != nil {
		return err
	}
	if exists && have == n {
		o.log.Info("reusing topic", "topic", topic, "events", n)
		return nil
	}
	if exists {
		o.log.Info("deleting incomplete topic", "topic", topic, "events", have, "want", n)
		if err := deleteTopics(ctx, o.broker, topic); err != nil {
			return err
		}
	}
	if err := createTopic(ctx, cl, topic, o.partitions); err != nil {
		return err
	}
	return produce(ctx, topic, n, o)
}

// topicMessages returns how many messages the topic holds, and whether it
// exists.
func topicMessages(ctx context.Context, cl *kafka.Client, topic string) (int64, bool, error) {
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, false, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		return 0, false, nil
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range md.Topics[0].Partitions {
		req.Topics[topic] = append(req.Topics[topic],
			kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
	}
	res, err := cl.ListOffsets(ctx, req)
	if err != nil {
		return 0, true, fmt.Errorf("offsets of %s: %w", topic, err)
	}
	var n int64
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			return 0, true, fmt.Errorf("offsets of %s/%d: %w", topic, p.Partition, p.Error)
		}
		n += p.LastOffset - p.FirstOffset
	}
	return n, true, nil
}

func createTopic(ctx context.Context, cl *kafka.Client, topic string, partitions int) error {
	res, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: 1,
	}}})
	if err == nil {
		err = res.Errors[topic]
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", topic, err)
	}
	// Wait until every partition has a leader.
	for p := range partitions {
		for {
			conn, err := kafka.DialLeader(ctx, "tcp", cl.Addr.String(), topic, p)
			if err == nil {
				_ = conn.Close()
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

func deleteTopics(ctx context.Context, broker string, topics ...string) error {
	cl := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 30 * time.Second}
	res, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("deleting %v: %w", topics, err)
	}
	var errs []error
	for t, err := range res.Errors {
		if err != nil {
			errs = append(errs, fmt.Errorf("deleting %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// produce writes n events with event times step apart, ending some minutes
// before now so that none is in driftwatch's future. Goroutines take
// chunks of consecutive events, so a partition's event times are in order
// within a chunk and out of order by at most writers*chunkEvents*step
// between chunks, as with several producing replicas.
func produce(ctx context.Context, topic string, n int64, o produceOptions) error {
	comp, err := codec(o.compression)
	if err != nil {
		return err
	}
	w := &kafka.Writer{
		Addr:         kafka.TCP(o.broker),
		Topic:        topic,
		Balancer:     &kafka.RoundRobin{},
		Compression:  comp,
		BatchSize:    chunkEvents,
		BatchBytes:   1 << 20, // the broker's default message.max.bytes
		BatchTimeout: 10 * time.Millisecond,
		RequiredAcks: kafka.RequireOne,
	}
	base := time.Now().Add(-10*time.Minute - time.Duration(n)*o.step)
	chunks := (n + chunkEvents - 1) / chunkEvents
	var next, size atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, o.writers)
	start := time.Now()
	for range o.writers {
		wg.Go(func() {
			var buf []byte
			msgs := make([]kafka.Message, 0, chunkEvents)
			for c := next.Add(1) - 1; c < chunks && ctx.Err() == nil; c = next.Add(1) - 1 {
				r := rand.New(rand.NewPCG(o.seed, uint64(c)))
				buf, msgs = buf[:0], msgs[:0]
				first := c * chunkEvents
				last := min(first+chunkEvents, n)
				ends := make([]int, 0, last-first)
				for i := first; i < last; i++ {
					buf = appendEvent(buf, r, base.Add(time.Duration(i)*o.step))
					ends = append(ends, len(buf))
				}
				size.Add(int64(len(buf)))
				prev := 0
				for _, e := range ends {
					msgs = append(msgs, kafka.Message{Value: buf[prev:e:e]})
					prev = e
				}
				if err := w.WriteMessages(ctx, msgs...); err != nil {
					errc <- fmt.Errorf("writing to %s: %w", topic, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	err = errors.Join(<-errc, w.Close())
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	o.log.Info("produced", "topic", topic, "events", n, "seconds", round(elapsed.Seconds(), 1),
		"events_per_s", int(float64(n)/elapsed.Seconds()), "mean_event_bytes", size.Load()/n)
	return nil
}
