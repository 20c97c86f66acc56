package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/collectors/source"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// TestKafkaDriftOnMetrics produces events whose amount has drifted and
// checks the result on /metrics, and that the group's committed offsets
// reach the end of the topic once the last window has closed.
func TestKafkaDriftOnMetrics(t *testing.T) {
	kt := newKafkaTest(t, 2, false)
	a, reg := kt.start(t, kt.config(t, t.TempDir(), 10*time.Second))
	const n = 600
	kt.stream(t, kt.payments(0, n, 0, 30*time.Second, 40))
	requireCounted(t, n, a)

	lag := `driftwatch_kafka_consumer_lag_messages{model="payments",partition="0",topic="` + kt.topic + `"} 0`
	var body string
	require.Eventually(t, func() bool {
		// The lag is reported while the consumer holds a generation, so a
		// broker restart hides it for a while.
		_, body = get(t, "http://"+a.Addr()+"/metrics")
		return strings.Contains(body, lag+"\n")
	}, kafkaWait, 100*time.Millisecond, "the consumer lag")
	for _, line := range []string{
		`driftwatch_drift_feature_drifted{feature="amount",method="wasserstein",model="payments"} 1`,
		`driftwatch_drift_feature_drifted{feature="merchant",method="jensenshannon",model="payments"} 0`,
		`driftwatch_events_consumed_total{model="payments",outcome="accepted",stream="predictions"} 600`,
		`driftwatch_window_closed_total{model="payments",outcome="evaluated",window="drift"} 3`,
		`driftwatch_source_ready{model="payments"} 1`,
	} {
		require.Contains(t, body, line+"\n")
	}
	require.Positive(t, values(t, reg, "driftwatch_kafka_commits_total")["model=payments"])

	cl := &kafka.Client{Addr: kafka.TCP(kt.broker), Timeout: 10 * time.Second}
	require.Eventually(t, func() bool {
		res, err := cl.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: kt.group, Topics: map[string][]int{kt.topic: {0, 1}}})
		if err != nil {
			return false
		}
		var total int64
		for _, p := range res.Topics[kt.topic] {
			total += p.CommittedOffset
		}
		return total == n
	}, kafkaWait, 100*time.Millisecond, "the group commits up to the end once every window is published")
}

// TestKafkaRebalance runs two instances in one group: the second joins
// after the first has read half the events, and the partitions are split
// between them. Together they publish every event exactly once.
func TestKafkaRebalance(t *testing.T) {
	kt := newKafkaTest(t, 4, false)
	first, _ := kt.start(t, kt.config(t, t.TempDir(), 10*time.Second))
	const half = 800
	kt.stream(t, kt.payments(0, half, 0, 40*time.Second, 0))
	require.Eventually(t, func() bool {
		return snapshot(t, first).Events(monitor.StreamPredictions, monitor.Accepted) == half && published(first) >= 400
	}, kafkaWait, 50*time.Millisecond, "%s", describe(first))

	second, _ := kt.start(t, kt.config(t, t.TempDir(), 10*time.Second))
	kt.stream(t, kt.payments(half, half, 40*time.Second, 80*time.Second, 0))
	requireCounted(t, 2*half, first, second)
	require.Positive(t, published(second), "the second instance took over partitions")
	t.Logf("first instance: %d events, %d windows discarded at the rebalance; second: %d events",
		published(first), snapshot(t, first).Windows(monitor.DriftWindow, monitor.WindowDiscarded), published(second))
}

// TestKafkaRestartMidWindow stops an instance while a one-minute window is
// half full and starts another on the same storage and group: the open
// window's events are read again, and none is lost or counted twice.
func TestKafkaRestartMidWindow(t *testing.T) {
	kt := newKafkaTest(t, 2, false)
	storage := t.TempDir()
	cfg := kt.config(t, storage, time.Minute)
	before, _ := kt.start(t, cfg)
	// The first minute fills a window; the next 30 seconds half fill the
	// second, which stays open: its end is 30 s of event time away.
	kt.stream(t, kt.payments(0, 900, 0, 90*time.Second, 0))
	require.Eventually(t, func() bool {
		s := snapshot(t, before)
		return s.Events(monitor.StreamPredictions, monitor.Accepted) == 900 && published(before) == 600
	}, kafkaWait, 50*time.Millisecond, "%s", describe(before))
	ctx, cancel := context.WithTimeout(context.Background(), kafkaWait)
	defer cancel()
	require.NoError(t, before.Stop(ctx))
	_, err := os.Stat(filepath.Join(storage, "checkpoints", "payments.checkpoint.json"))
	require.NoError(t, err, "the closed window is checkpointed")

	after, _ := kt.start(t, kt.config(t, storage, time.Minute))
	kt.stream(t, kt.payments(900, 300, 90*time.Second, 120*time.Second, 0))
	// The first instance published the first window's 600 events; the
	// second publishes the other 600, half of which it read again.
	requireCounted(t, 600, after)
	s := snapshot(t, after)
	require.Zero(t, s.Events(monitor.StreamPredictions, monitor.Late), "the restart resumed at the open window")
}

// TestKafkaBrokerRestart restarts the broker while an instance is half way
// through the events; it resumes and every event is published.
func TestKafkaBrokerRestart(t *testing.T) {
	ctl := os.Getenv("DRIFTWATCH_KAFKA_CTL")
	if ctl == "" {
		testenv.Require(t, testenv.Service{Name: "kafka", Env: "DRIFTWATCH_KAFKA_CTL"})
	}
	// One partition: after the restart the consumer reads a backlog, which
	// from several partitions would arrive one partition after another.
	kt := newKafkaTest(t, 1, false)
	a, _ := kt.start(t, kt.config(t, t.TempDir(), 10*time.Second))
	kt.produce(t, kt.topic, kt.payments(0, 600, 0, 30*time.Second, 0))
	require.Eventually(t, func() bool { return published(a) >= 200 }, kafkaWait, 50*time.Millisecond)

	restart := exec.Command(ctl, "restart")
	restart.Stdout, restart.Stderr = os.Stderr, os.Stderr
	require.NoError(t, restart.Run(), "restarting the broker")
	kt.produce(t, kt.topic, kt.payments(600, 600, 30*time.Second, 60*time.Second, 0))
	require.Equal(t, map[int]int64{0: 1200}, kt.endOffsets(t), "the broker kept every event through the restart")
	requireCounted(t, 1200, a)
}

// TestKafkaDeadLetters produces malformed and invalid events among valid
// ones in the same batch: the bad ones reach the dead letter topic with
// their reason, and the valid ones are counted.
func TestKafkaDeadLetters(t *testing.T) {
	kt := newKafkaTest(t, 1, true)
	a, reg := kt.start(t, kt.config(t, t.TempDir(), 10*time.Second))
	msgs := kt.payments(0, 300, 0, 30*time.Second, 0)
	bad := map[string]string{
		`{"id":"pay-x1","timestamp":`: "malformed/malformed_json",
		`{"id":"pay-x2","model":"payments","timestamp":"2026-01-01T00:00:00Z","features":{"amount":"ten"},"prediction":"0"}`:  "invalid/wrong_type",
		`{"id":"pay-x3","model":"payments","timestamp":"2026-01-01T00:00:00Z","features":{"amount":10},"prediction":"maybe"}`: "invalid/unknown_class",
		`{"id":"pay-x4","padding":"` + strings.Repeat("x", 3000) + `"}`:                                                       "oversized/oversized",
	}
	i := 0
	for value := range bad {
		i += 50
		msgs = append(msgs[:i:i], append([]kafka.Message{{Value: []byte(value)}}, msgs[i:]...)...)
	}
	kt.produce(t, kt.topic, msgs)
	requireCounted(t, 300, a)

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{kt.broker}, Topic: kt.deadLetter, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	got := map[string]string{}
	ctx, cancel := context.WithTimeout(context.Background(), kafkaWait)
	defer cancel()
	for len(got) < len(bad) {
		m, err := r.ReadMessage(ctx)
		require.NoError(t, err)
		var reason, eventReason string
		for _, h := range m.Headers {
			switch h.Key {
			case kafkasource.HeaderReason:
				reason = string(h.Value)
			case source.HeaderEventReason:
				eventReason = string(h.Value)
			}
		}
		value := string(m.Value)
		if reason == string(kafkasource.ReasonOversized) {
			value = `{"id":"pay-x4","padding":"` + strings.Repeat("x", 3000) + `"}`
		}
		got[value] = reason + "/" + eventReason
	}
	require.Equal(t, bad, got)
	s := snapshot(t, a)
	require.Equal(t, uint64(300), s.Events(monitor.StreamPredictions, monitor.Accepted))
	require.Equal(t, uint64(4), s.Events(monitor.StreamPredictions, monitor.Rejected))
	require.Equal(t, map[string]float64{
		"model=payments,reason=malformed": 1, "model=payments,reason=invalid": 2,
		"model=payments,reason=oversized": 1,
	}, values(t, reg, "driftwatch_kafka_dead_letters_total"))
}
