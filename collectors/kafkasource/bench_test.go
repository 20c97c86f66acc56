package kafkasource

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
)

// benchMessages is the backlog each iteration of BenchmarkConsume reads.
const benchMessages = 500_000

// BenchmarkConsume measures raw consumption from the real broker: a fresh
// group reads a backlog of small JSON events from three partitions, with a
// handler that only counts. It reports messages per second.
//
//	go test -run '^$' -bench Consume -benchtime 3x ./collectors/kafkasource
func BenchmarkConsume(b *testing.B) {
	topic := uniqueName(b, "predictions")
	cfg := kafkaConfig(b, Topics{Predictions: topic})
	createTopics(b, cfg.Brokers[0], 3, topic)
	produceBacklog(b, cfg.Brokers[0], topic, benchMessages)

	var total int64
	b.ReportAllocs()
	for b.Loop() {
		cfg.Group = uniqueName(b, "group")
		c, err := New(cfg, Options{Logger: discardLogger()})
		require.NoError(b, err)
		h := &countingHandler{done: make(chan struct{}), want: benchMessages}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- c.Run(ctx, h) }()
		select {
		case <-h.done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("consumed %d of %d messages", h.n.Load(), benchMessages)
		}
		cancel()
		require.NoError(b, <-errc)
		total += h.n.Load()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op")
}

// produceBacklog writes n small JSON events round-robin over the topic's
// partitions.
func produceBacklog(b *testing.B, broker, topic string, n int) {
	b.Helper()
	w := &kafka.Writer{
		Addr:      kafka.TCP(broker),
		Topic:     topic,
		Balancer:  &kafka.RoundRobin{},
		BatchSize: 10_000,
		// The broker's message.max.bytes bounds a whole record batch.
		BatchBytes:   900 << 10,
		BatchTimeout: 5 * time.Millisecond,
		RequiredAcks: kafka.RequireOne,
	}
	defer w.Close()
	const chunk = 50_000
	msgs := make([]kafka.Message, chunk)
	for sent := 0; sent < n; sent += chunk {
		for i := range msgs {
			id := sent + i
			msgs[i] = kafka.Message{Value: fmt.Appendf(nil,
				`{"id":"%d","model":"churn","ts":1764000000,"score":0.%04d,"features":{"age":%d,"plan":"pro"}}`,
				id, id%10000, 18+id%60)}
		}
		require.NoError(b, w.WriteMessages(context.Background(), msgs...))
	}
}

// countingHandler counts messages and closes done once it has seen want.
type countingHandler struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (h *countingHandler) Assigned(context.Context, *Generation) error { return nil }
func (h *countingHandler) Revoked(context.Context, *Generation)        {}
func (h *countingHandler) Handle(_ context.Context, msgs []Message) error {
	var bytes int
	for i := range msgs {
		bytes += len(msgs[i].Value)
	}
	_ = bytes
	if h.n.Add(int64(len(msgs))) >= h.want && h.n.Load()-int64(len(msgs)) < h.want {
		close(h.done)
	}
	return nil
}
