package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/testenv"
)

// waitTimeout bounds every wait on the broker in these tests.
const waitTimeout = 30 * time.Second

var nameSeq atomic.Int64

// uniqueName returns a topic or group name that no other test, and no
// earlier run against the same broker, uses.
func uniqueName(t testing.TB, what string) string {
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	return fmt.Sprintf("%s-%s-%x-%d", base, what, time.Now().UnixNano(), nameSeq.Add(1))
}

// createTopics creates topics with the given partition count, waits until
// every partition has a leader, and deletes them when the test ends.
func createTopics(t testing.TB, broker string, partitions int, topics ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cl := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}
	req := &kafka.CreateTopicsRequest{}
	for _, tp := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: tp, NumPartitions: partitions, ReplicationFactor: 1})
	}
	res, err := cl.CreateTopics(ctx, req)
	require.NoError(t, err)
	for tp, err := range res.Errors {
		require.NoError(t, err, "creating %s", tp)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	})
	for _, tp := range topics {
		for p := range partitions {
			require.Eventually(t, func() bool {
				conn, err := kafka.DialLeader(ctx, "tcp", broker, tp, p)
				if err != nil {
					return false
				}
				_ = conn.Close()
				return true
			}, waitTimeout, 50*time.Millisecond, "leader of %s/%d", tp, p)
		}
	}
}

// produce writes msgs, each to the partition its Partition field names.
func produce(t testing.TB, broker, topic string, msgs []kafka.Message) {
	t.Helper()
	w := &kafka.Writer{
		Addr:         kafka.TCP(broker),
		Topic:        topic,
		Balancer:     kafka.BalancerFunc(func(m kafka.Message, _ ...int) int { return m.Partition }),
		BatchSize:    10000,
		BatchBytes:   16 << 20,
		BatchTimeout: time.Millisecond,
		RequiredAcks: kafka.RequireAll,
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
	defer cancel()
	// Right after a broker restart, partitions can be briefly without a
	// leader; resend only the messages that failed until the deadline.
	for {
		err := w.WriteMessages(ctx, msgs...)
		if err == nil {
			return
		}
		var werrs kafka.WriteErrors
		if !errors.As(err, &werrs) || ctx.Err() != nil {
			require.NoError(t, err)
		}
		var failed []kafka.Message
		for i, e := range werrs {
			if e != nil {
				failed = append(failed, msgs[i])
			}
		}
		t.Logf("produce: %d of %d messages failed (%v); retrying", len(failed), len(msgs), err)
		msgs = failed
		time.Sleep(200 * time.Millisecond)
	}
}

// events returns n JSON events for each of the partitions, numbered from
// first within each partition.
func events(partitions, first, n int) []kafka.Message {
	var out []kafka.Message
	for i := first; i < first+n; i++ {
		for p := range partitions {
			out = append(out, kafka.Message{
				Partition: p,
				Key:       fmt.Appendf(nil, "id-%d-%d", p, i),
				Value:     fmt.Appendf(nil, `{"id":"%d-%d","model":"churn","score":0.%03d}`, p, i, i%1000),
			})
		}
	}
	return out
}

// testLogger logs to the test at info level, and drops lines that arrive
// after the test has finished.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// testOptions are quick to notice rebalances and quick to retry.
func testOptions(t testing.TB) Options {
	return Options{
		Logger:            testLogger(t),
		HeartbeatInterval: 300 * time.Millisecond,
		JoinBackoff:       300 * time.Millisecond,
		Fetch:             FetchOptions{MaxWait: 100 * time.Millisecond},
	}
}

// kafkaConfig returns a configuration for the broker under test.
func kafkaConfig(t testing.TB, topics Topics) Config {
	cfg := testConfig(testenv.Require(t, testenv.Kafka), topics.Predictions, uniqueName(t, "group"))
	cfg.Topics = topics
	return cfg
}

// start runs c with h until the returned stop is called or the test ends.
// stop checks that Run returned nil.
func start(t testing.TB, c *Consumer, h Handler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(waitTimeout):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// delivery is one message as a recorder saw it.
type delivery struct {
	gen    int32
	tp     TopicPartition
	offset int64
	value  string
}

// recorder is a Handler that records everything and commits after each
// batch, commitLag messages behind the last one (never if commitLag < 0).
type recorder struct {
	commitLag int64
	// slow, when set, is slept after each batch.
	slow time.Duration
	// commitOnRevoke commits everything delivered when the generation ends.
	commitOnRevoke bool

	mu        sync.Mutex
	gen       *Generation
	gens      []*Generation
	events    []string
	got       []delivery
	committed map[TopicPartition]int64
	commitErr []error
}

var _ Handler = (*recorder)(nil)

func newRecorder(commitLag int64) *recorder {
	return &recorder{commitLag: commitLag, committed: map[TopicPartition]int64{}}
}

func (r *recorder) Assigned(_ context.Context, gen *Generation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen = gen
	r.gens = append(r.gens, gen)
	r.events = append(r.events, fmt.Sprintf("assigned %d", len(gen.Partitions)))
	return nil
}

func (r *recorder) Handle(ctx context.Context, msgs []Message) error {
	r.mu.Lock()
	gen := r.gen
	for _, m := range msgs {
		r.got = append(r.got, delivery{gen.ID, m.TopicPartition(), m.Offset, string(m.Value)})
	}
	r.mu.Unlock()
	if r.commitLag >= 0 {
		last := msgs[len(msgs)-1]
		if off := last.Offset + 1 - r.commitLag; off >= 0 {
			err := gen.Commit(ctx, map[TopicPartition]int64{last.TopicPartition(): off})
			r.mu.Lock()
			if err == nil {
				r.committed[last.TopicPartition()] = off
			} else {
				r.commitErr = append(r.commitErr, err)
			}
			r.mu.Unlock()
		}
	}
	if r.slow > 0 {
		time.Sleep(r.slow)
	}
	return nil
}

func (r *recorder) Revoked(ctx context.Context, gen *Generation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "revoked")
	if !r.commitOnRevoke {
		return
	}
	next := map[TopicPartition]int64{}
	for _, d := range r.got {
		if d.gen == gen.ID {
			next[d.tp] = d.offset + 1
		}
	}
	if err := gen.Commit(ctx, next); err != nil {
		r.commitErr = append(r.commitErr, err)
		return
	}
	for tp, off := range next {
		r.committed[tp] = off
	}
}

func (r *recorder) snapshot() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func (r *recorder) eventLog() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *recorder) generations() []*Generation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Generation(nil), r.gens...)
}

func (r *recorder) committedAt(tp TopicPartition) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if off, ok := r.committed[tp]; ok {
		return off
	}
	return -1
}

// offsets returns the offsets delivered for tp in generation gen (all
// generations when gen is 0), in delivery order.
func offsets(ds []delivery, gen int32, tp TopicPartition) []int64 {
	var out []int64
	for _, d := range ds {
		if d.tp == tp && (gen == 0 || d.gen == gen) {
			out = append(out, d.offset)
		}
	}
	return out
}

// span returns the offsets from first up to but not including end.
func span(first, end int64) []int64 {
	var out []int64
	for o := first; o < end; o++ {
		out = append(out, o)
	}
	return out
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, waitTimeout, 20*time.Millisecond, what)
}
