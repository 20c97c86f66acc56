package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafka "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// These tests run the app against the real broker of scripts/services.sh.
// Another package's test restarts that broker while tests run in
// parallel, so every wait here is long enough to ride out a restart, the
// producer retries, and the exact-count assertions allow for the one
// effect a restart may have across replicas (see requireCounted).

// kafkaWait bounds every wait on the broker, restarts included.
const kafkaWait = 90 * time.Second

var seq atomic.Int64

func uniqueName(t *testing.T, what string) string {
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(t.Name()))
	return fmt.Sprintf("%s-%s-%x-%d", base, what, time.Now().UnixNano(), seq.Add(1))
}

// kafkaTest is one test's topics, group and reference data.
type kafkaTest struct {
	broker     string
	topic      string
	deadLetter string
	group      string
	partitions int
	reference  string
	// base is the event time of the first window: a minute boundary ten
	// minutes ago, so that no event is in the future.
	base time.Time
}

func newKafkaTest(t *testing.T, partitions int, deadLetter bool) *kafkaTest {
	t.Helper()
	kt := &kafkaTest{
		broker:     testenv.Require(t, testenv.Kafka),
		topic:      uniqueName(t, "predictions"),
		group:      uniqueName(t, "group"),
		partitions: partitions,
		base:       time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute),
	}
	topics := []string{kt.topic}
	if deadLetter {
		kt.deadLetter = uniqueName(t, "rejected")
		topics = append(topics, kt.deadLetter)
	}
	kt.createTopics(t, topics...)
	kt.reference = writeTraining(t)
	return kt
}

// writeTraining writes the payments model's training data: amounts around
// 100 and four merchants.
func writeTraining(t *testing.T) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"amount", "merchant"})
	for range 2000 {
		_ = w.Write([]string{strconv.FormatFloat(100+20*rng.NormFloat64(), 'f', 2, 64), merchant(rng)})
	}
	w.Flush()
	path := filepath.Join(t.TempDir(), "payments.csv")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

func merchant(rng *rand.Rand) string {
	return []string{"grocer", "airline", "cinema", "fuel"}[rng.IntN(4)]
}

// config returns the configuration of one app instance: the payments
// model on the test's topics, with state in storage.
func (kt *kafkaTest) config(t *testing.T, storage string, window time.Duration) *config.Config {
	t.Helper()
	dl := ""
	if kt.deadLetter != "" {
		dl = "dead_letter_topic: " + kt.deadLetter
	}
	yaml := fmt.Sprintf(`
server: {listen: "127.0.0.1:0"}
storage: {dir: %q}
models:
  - name: payments
    features:
      - {name: amount, type: numeric}
      - {name: merchant, type: categorical}
    prediction: {kind: binary, positive_class: "1", classes: ["0", "1"]}
    source:
      type: kafka
      kafka:
        brokers: [%q]
        topics: {predictions: %s}
        group: %s
        max_message_bytes: 2048
        session_timeout: 6s
        rebalance_timeout: 20s
        %s
    reference: {data: %q}
    window: {size: %s, allowed_lateness: 1s, min_events: 20}
`, storage, kt.broker, kt.topic, kt.group, dl, kt.reference, window)
	cfg, err := config.Parse("payments.yaml", []byte(yaml))
	require.NoError(t, err)
	return cfg
}

// start builds and starts an app instance and stops it when the test ends.
func (kt *kafkaTest) start(t *testing.T, cfg *config.Config) (*App, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	opts := Options{
		Config: cfg, Logger: testLogger(t), Registry: reg, SyncInterval: 200 * time.Millisecond,
		Kafka: kafkasource.Options{
			HeartbeatInterval: 300 * time.Millisecond,
			JoinBackoff:       300 * time.Millisecond,
			// Fetch what is there at once: small batches keep the
			// partitions close in event time (see stream).
			Fetch: kafkasource.FetchOptions{MinBytes: 1, MaxWait: 100 * time.Millisecond},
		},
	}
	a, err := New(opts)
	require.NoError(t, err)
	require.NoError(t, a.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), kafkaWait)
		defer cancel()
		require.NoError(t, a.Stop(ctx))
	})
	require.Eventually(t, func() bool { return a.Ready() == nil }, kafkaWait, 50*time.Millisecond, "the consumer joins its group")
	return a, reg
}

// testLogger logs to the test at info level, until it ends.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	t    *testing.T
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() { w.done.Store(true) }

// payment is the JSON of prediction event i, at base + at; shift moves
// the amount.
func payment(i int, at time.Time, shift float64, rng *rand.Rand) []byte {
	amount := 100 + shift + 20*rng.NormFloat64()
	class, score := "0", 0.1+rng.Float64()*0.3
	if i%4 == 0 {
		class, score = "1", 0.6+rng.Float64()*0.3
	}
	return fmt.Appendf(nil, `{"id":"pay-%d","model":"payments","timestamp":%q,"features":{"amount":%.2f,"merchant":%q},"prediction":%q,"score":%.3f}`,
		i, at.Format(time.RFC3339Nano), amount, merchant(rng), class, score)
}

// payments returns events first to first+n-1, spread evenly over the
// event time from base+from to base+to and round-robin over the
// partitions, so that each partition is in event-time order.
func (kt *kafkaTest) payments(first, n int, from, to time.Duration, shift float64) []kafka.Message {
	rng := rand.New(rand.NewPCG(uint64(first), 11))
	out := make([]kafka.Message, n)
	step := (to - from) / time.Duration(n)
	for j := range n {
		i := first + j
		out[j] = kafka.Message{Partition: i % kt.partitions, Value: payment(i, kt.base.Add(from+time.Duration(j)*step), shift, rng)}
	}
	return out
}

// createTopics creates the topics, retrying through a broker restart.
func (kt *kafkaTest) createTopics(t *testing.T, topics ...string) {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(kt.broker), Timeout: 10 * time.Second}
	req := &kafka.CreateTopicsRequest{}
	for _, tp := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: tp, NumPartitions: kt.partitions, ReplicationFactor: 1})
	}
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := cl.CreateTopics(ctx, req)
		if err != nil {
			return false
		}
		for _, err := range res.Errors {
			if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
				return false
			}
		}
		return true
	}, kafkaWait, 200*time.Millisecond, "creating %v", topics)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	})
}

// produce writes msgs to the topic, each to its Partition, retrying only
// the messages that failed, so that a broker restart neither loses nor
// (short of an acknowledgement lost in flight) duplicates any.
func (kt *kafkaTest) produce(t *testing.T, topic string, msgs []kafka.Message) {
	t.Helper()
	w := &kafka.Writer{
		Addr:         kafka.TCP(kt.broker),
		Topic:        topic,
		Balancer:     kafka.BalancerFunc(func(m kafka.Message, _ ...int) int { return m.Partition }),
		BatchSize:    10000,
		BatchBytes:   16 << 20,
		BatchTimeout: time.Millisecond,
		RequiredAcks: kafka.RequireAll,
		MaxAttempts:  1,
	}
	defer w.Close()
	deadline := time.Now().Add(kafkaWait)
	pending := msgs
	for len(pending) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := w.WriteMessages(ctx, pending...)
		cancel()
		if err == nil {
			return
		}
		var werrs kafka.WriteErrors
		if errors.As(err, &werrs) && len(werrs) == len(pending) {
			var failed []kafka.Message
			for i, e := range werrs {
				if e != nil {
					failed = append(failed, pending[i])
				}
			}
			pending = failed
		}
		require.True(t, time.Now().Before(deadline), "producing: %v", err)
		time.Sleep(500 * time.Millisecond)
	}
}

// stream produces msgs a few at a time, as a live stream arrives, so that
// the consumer reads every partition at about the same event time. The
// monitor's watermark is the latest event time of all partitions, so a
// backlog read one partition after another would make the others' events
// late.
func (kt *kafkaTest) stream(t *testing.T, msgs []kafka.Message) {
	t.Helper()
	chunk := 2 * kt.partitions
	for len(msgs) > 0 {
		n := min(chunk, len(msgs))
		kt.produce(t, kt.topic, msgs[:n])
		msgs = msgs[n:]
		time.Sleep(5 * time.Millisecond)
	}
}

// endOffsets returns the end offset of every partition of the topic.
func (kt *kafkaTest) endOffsets(t *testing.T) map[int]int64 {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(kt.broker), Timeout: 10 * time.Second}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for p := range kt.partitions {
		req.Topics[kt.topic] = append(req.Topics[kt.topic], kafka.LastOffsetOf(p))
	}
	res, err := cl.ListOffsets(context.Background(), req)
	require.NoError(t, err)
	out := map[int]int64{}
	for _, po := range res.Topics[kt.topic] {
		out[po.Partition] = po.LastOffset
	}
	return out
}

// published returns the events in the app's published drift windows.
func published(a *App) uint64 {
	s, ok := a.store.Snapshot("payments")
	if !ok {
		return 0
	}
	return s.WindowEvents(monitor.DriftWindow)
}

// describe summarises what each instance counted, for failure messages.
func describe(apps ...*App) fmt.Stringer {
	return stringer(func() string {
		var b strings.Builder
		for i, a := range apps {
			s, ok := a.store.Snapshot("payments")
			if !ok {
				fmt.Fprintf(&b, "[%d: no snapshot] ", i)
				continue
			}
			fmt.Fprintf(&b, "[%d: accepted %d, late %d, in windows %d, windows %d evaluated %d discarded] ", i,
				s.Events(monitor.StreamPredictions, monitor.Accepted), s.Events(monitor.StreamPredictions, monitor.Late),
				s.WindowEvents(monitor.DriftWindow), s.Windows(monitor.DriftWindow, monitor.WindowEvaluated),
				s.Windows(monitor.DriftWindow, monitor.WindowDiscarded))
		}
		return b.String()
	})
}

type stringer func() string

func (f stringer) String() string { return f() }

func snapshot(t *testing.T, a *App) *monitor.Snapshot {
	t.Helper()
	s, ok := a.store.Snapshot("payments")
	require.True(t, ok)
	return s
}

// requireCounted waits until the instances' published windows hold want
// events together, then checks that none is counted twice.
//
// With several instances, a broker restart (another package's test
// restarts the shared broker) can defeat the exact count: partitions may
// change owner after the restart, and the monitor of the new owner counts
// the taken-over events behind its own closed windows as late, or counts
// again events the old owner published but could not commit. The monitor
// does not keep one replica's checkpoint for another. When the consumers
// saw the broker go away, this checks the delivery guarantee instead: every
// event reached a monitor at least once.
func requireCounted(t *testing.T, want uint64, apps ...*App) {
	t.Helper()
	sum := func() (published, delivered uint64) {
		for _, a := range apps {
			if s, ok := a.store.Snapshot("payments"); ok {
				published += s.WindowEvents(monitor.DriftWindow)
				delivered += s.Events(monitor.StreamPredictions, monitor.Accepted) + s.Events(monitor.StreamPredictions, monitor.Late)
			}
		}
		return published, delivered
	}
	deadline := time.Now().Add(kafkaWait)
	var stable time.Time
	last := uint64(0)
	for {
		published, delivered := sum()
		if published >= want {
			break
		}
		if published != last {
			last, stable = published, time.Now()
		}
		if len(apps) > 1 && brokerLost(apps...) && delivered >= want && time.Since(stable) > 5*time.Second {
			t.Logf("the broker went away during the test: every event was delivered (%d deliveries for %d events), %d are in published windows: %s",
				delivered, want, published, describe(apps...))
			return
		}
		require.True(t, time.Now().Before(deadline), "every event in a published window: %s", describe(apps...))
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // time for a window to be counted twice
	published, _ := sum()
	if published != want && len(apps) > 1 && brokerLost(apps...) {
		t.Logf("the broker went away during the test: %d events counted for %d produced: %s", published, want, describe(apps...))
		return
	}
	require.Equal(t, want, published, "no event counted twice: %s", describe(apps...))
}

// brokerLost reports whether any instance's consumer failed to fetch, as
// it does while the broker restarts.
func brokerLost(apps ...*App) bool {
	for _, a := range apps {
		for _, m := range a.models {
			if m.consumer != nil && m.consumer.Stats().FetchErrors > 0 {
				return true
			}
		}
	}
	return false
}

// values returns every series of a metric, by its label values.
func values(t *testing.T, g prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var key []string
			for _, l := range m.GetLabel() {
				key = append(key, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue()
			if c := m.GetCounter(); c != nil {
				v = c.GetValue()
			}
			out[strings.Join(key, ",")] = v
		}
	}
	return out
}
