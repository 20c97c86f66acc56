package source

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/collectors/monitor"
)

// These tests drive the Kafka source's handler by hand, with a generation
// that records commits and a dead letter writer that records sends; the
// internal/app tests run it against a real broker.

var (
	tpA = kafkasource.TopicPartition{Topic: "churn.predictions", Partition: 0}
	tpB = kafkasource.TopicPartition{Topic: "churn.predictions", Partition: 1}
)

type recordingGen struct {
	commits []map[kafkasource.TopicPartition]int64
	err     error
}

func (g *recordingGen) Commit(_ context.Context, offsets map[kafkasource.TopicPartition]int64) error {
	if g.err != nil {
		return g.err
	}
	g.commits = append(g.commits, maps.Clone(offsets))
	return nil
}

// last returns the latest committed offset of every partition.
func (g *recordingGen) last() map[kafkasource.TopicPartition]int64 {
	out := map[kafkasource.TopicPartition]int64{}
	for _, c := range g.commits {
		maps.Copy(out, c)
	}
	return out
}

type recordingDeadLetter struct {
	sent map[kafkasource.Reason][]kafkasource.Message
	err  error
}

func (d *recordingDeadLetter) Send(_ context.Context, reason kafkasource.Reason, msgs ...kafkasource.Message) error {
	if d.err != nil {
		return d.err
	}
	if d.sent == nil {
		d.sent = map[kafkasource.Reason][]kafkasource.Message{}
	}
	d.sent[reason] = append(d.sent[reason], msgs...)
	return nil
}

type noConsumer struct{}

func (noConsumer) Run(context.Context, kafkasource.Handler) error { return nil }

// newKafka returns a Kafka source over a monitor with count windows of 3
// events, and a clock the test moves.
func newKafka(t *testing.T, dl DeadLetterSender) (*Kafka, *env, *time.Time) {
	t.Helper()
	cfg := testModel(collectors.SourceKafka, 3)
	cfg.Source.Kafka.MaxMessageBytes = 400
	e := newEnv(t, cfg, nil)
	now := t0
	k, err := NewKafka(KafkaOptions{
		Model: cfg, Monitor: e.mon, Consumer: noConsumer{}, DeadLetter: dl, Logger: discard(),
		Metrics: e.metrics, Now: func() time.Time { return now },
	})
	require.NoError(t, err)
	return k, e, &now
}

func msg(tp kafkasource.TopicPartition, offset int64, value string) kafkasource.Message {
	return kafkasource.Message{
		Stream: kafkasource.StreamPredictions, Topic: tp.Topic, Partition: tp.Partition, Offset: offset,
		Value: []byte(value), Time: t0, Headers: []kafkasource.Header{{Key: "trace", Value: []byte("abc")}},
	}
}

func good(tp kafkasource.TopicPartition, offset int64) kafkasource.Message {
	return msg(tp, offset, prediction(int(offset)+1000*int(tp.Partition), t0.Add(time.Duration(offset)*time.Second)))
}

// TestKafkaCommitsAfterWindowClose checks that offsets are committed as
// windows close, never past an event an open window holds, and not more
// often than the commit interval.
func TestKafkaCommitsAfterWindowClose(t *testing.T) {
	k, e, now := newKafka(t, nil)
	gen := &recordingGen{}
	k.assign(gen, []kafkasource.TopicPartition{tpA, tpB})
	require.NoError(t, k.Ready())
	ctx := context.Background()

	// Two events: the window of 3 stays open, holding offset 0.
	require.NoError(t, k.Handle(ctx, []kafkasource.Message{good(tpA, 0), good(tpA, 1)}))
	require.Equal(t, map[kafkasource.TopicPartition]int64{tpA: 0}, gen.last(), "the open window holds offset 0")

	// The third event closes the window, but the interval has not passed.
	*now = now.Add(100 * time.Millisecond)
	require.NoError(t, k.Handle(ctx, []kafkasource.Message{good(tpA, 2), good(tpA, 3)}))
	require.Equal(t, int64(0), gen.last()[tpA])
	require.Equal(t, uint64(3), e.snap(t).WindowEvents(monitor.DriftWindow), "the window is published at once")

	// The next batch after the interval commits up to the open window.
	*now = now.Add(time.Second)
	require.NoError(t, k.Handle(ctx, []kafkasource.Message{good(tpB, 0)}))
	require.Equal(t, map[kafkasource.TopicPartition]int64{tpA: 3, tpB: 0}, gen.last())

	// Revoking commits what is safe at once, then forgets the open window.
	k.revoke(ctx)
	require.Len(t, gen.commits, 2, "nothing new to commit")
	s := e.snap(t)
	require.Equal(t, uint64(1), s.Windows(monitor.DriftWindow, monitor.WindowDiscarded))
	require.Equal(t, 2.0, metric(t, e.reg, "driftwatch_kafka_commits_total", "model", "churn"))
	require.NoError(t, k.Handle(ctx, nil), "a batch between generations commits nothing")
}

// TestKafkaDeadLetters checks that rejected messages go to the dead letter
// topic with both reasons, and that valid messages of the same batch are
// counted.
func TestKafkaDeadLetters(t *testing.T) {
	dl := &recordingDeadLetter{}
	k, e, _ := newKafka(t, dl)
	gen := &recordingGen{}
	k.assign(gen, []kafkasource.TopicPartition{tpA})
	oversized := msg(tpA, 2, `{"id":"p9","padding":"`+strings.Repeat("x", 500)+`"}`)
	oversized.Oversized = true
	future := good(tpA, 5)
	future.Value = []byte(prediction(5, t0.Add(48*time.Hour)))
	batch := []kafkasource.Message{
		good(tpA, 0),
		msg(tpA, 1, `{"id":"p1",`),
		oversized,
		msg(tpA, 3, `{"id":"p3","timestamp":"2026-03-02T10:00:00Z","features":{"tenure":"long"},"prediction":"no"}`),
		good(tpA, 4),
		future,
		good(tpA, 6),
	}
	batch[1].Headers = append(batch[1].Headers, kafkasource.Header{Key: HeaderEventReason, Value: []byte("stale")})
	require.NoError(t, k.Handle(context.Background(), batch))

	s := e.snap(t)
	require.Equal(t, uint64(3), s.Events(monitor.StreamPredictions, monitor.Accepted))
	require.Equal(t, uint64(4), s.Events(monitor.StreamPredictions, monitor.Rejected))
	for _, r := range []event.Reason{event.ReasonMalformedJSON, event.ReasonOversized, event.ReasonWrongType, monitor.ReasonFutureTimestamp} {
		require.Equal(t, uint64(1), s.Rejections(r), r)
	}
	type letter struct {
		offset      int64
		eventReason string
	}
	got := map[kafkasource.Reason][]letter{}
	for reason, msgs := range dl.sent {
		for _, m := range msgs {
			v, _ := m.Header(HeaderEventReason)
			trace, _ := m.Header("trace")
			require.Equal(t, "abc", string(trace), "the message's own headers are kept")
			n := 0
			for _, h := range m.Headers {
				if h.Key == HeaderEventReason {
					n++
				}
			}
			require.Equal(t, 1, n, "one event reason header")
			got[reason] = append(got[reason], letter{m.Offset, string(v)})
		}
	}
	require.Equal(t, map[kafkasource.Reason][]letter{
		kafkasource.ReasonMalformed: {{1, "malformed_json"}},
		kafkasource.ReasonOversized: {{2, "oversized"}},
		kafkasource.ReasonInvalid:   {{3, "wrong_type"}, {5, "future_timestamp"}},
	}, got)
	require.Equal(t, 1.0, metric(t, e.reg, "driftwatch_kafka_dead_letters_total", "model", "churn", "reason", "malformed"))
	require.Equal(t, 2.0, metric(t, e.reg, "driftwatch_kafka_dead_letters_total", "model", "churn", "reason", "invalid"))
	require.Equal(t, map[kafkasource.TopicPartition]int64{tpA: 7}, gen.last(), "the window of 0, 4 and 6 closed; nothing is held")
}

// TestKafkaDeadLetterFailureHoldsCommits checks that a dead letter that
// could not be written keeps the commits of its partition at its offset,
// so that it is read again.
func TestKafkaDeadLetterFailureHoldsCommits(t *testing.T) {
	dl := &recordingDeadLetter{err: errors.New("broker unavailable")}
	k, e, now := newKafka(t, dl)
	gen := &recordingGen{}
	k.assign(gen, []kafkasource.TopicPartition{tpA, tpB})
	ctx := context.Background()
	require.NoError(t, k.Handle(ctx, []kafkasource.Message{good(tpA, 0), msg(tpA, 1, "nope"), good(tpA, 2), good(tpA, 3)}))
	require.NoError(t, k.Handle(ctx, []kafkasource.Message{good(tpB, 0), good(tpB, 1), good(tpB, 2)}))
	*now = now.Add(time.Minute)
	k.revoke(ctx)
	require.Equal(t, map[kafkasource.TopicPartition]int64{tpA: 1, tpB: 3}, gen.last())
	require.Equal(t, 1.0, metric(t, e.reg, "driftwatch_kafka_dead_letter_errors_total", "model", "churn"))
}

// TestKafkaCommitFailure checks that a failed commit is counted, and
// retried by the next sync.
func TestKafkaCommitFailure(t *testing.T) {
	k, e, now := newKafka(t, nil)
	gen := &recordingGen{err: kafkasource.ErrGenerationEnded}
	k.assign(gen, []kafkasource.TopicPartition{tpA})
	ctx := context.Background()
	require.NoError(t, k.Handle(ctx, []kafkasource.Message{good(tpA, 0), good(tpA, 1), good(tpA, 2)}))
	require.Equal(t, 1.0, metric(t, e.reg, "driftwatch_kafka_commit_errors_total", "model", "churn"))
	gen.err = nil
	*now = now.Add(time.Minute)
	k.mu.Lock()
	k.syncAndCommit(ctx, true)
	k.mu.Unlock()
	require.Equal(t, map[kafkasource.TopicPartition]int64{tpA: 3}, gen.last())
}

func TestNewKafkaOptions(t *testing.T) {
	_, err := NewKafka(KafkaOptions{Model: testModel(collectors.SourceFile, 0), SyncInterval: -1})
	require.EqualError(t, err, `source: KafkaOptions.Monitor is required
source: KafkaOptions.Consumer is required
source: KafkaOptions.Logger is required
source: KafkaOptions.Metrics is required
source: model "churn" has no kafka source
source: KafkaOptions.SyncInterval and StaleFetch must be positive, CommitInterval and LogEvery not negative`)
}

// TestKafkaIdleSyncWaitsForCaughtUp checks that the windows of a quiet
// stream close by the wall clock only once every assigned partition has
// been fetched recently and has nothing left to read.
func TestKafkaIdleSyncWaitsForCaughtUp(t *testing.T) {
	cfg := testModel(collectors.SourceKafka, 0) // one-minute windows, 10 s lateness
	e := newEnv(t, cfg, nil)
	var lag []kafkasource.PartitionLag
	k, err := NewKafka(KafkaOptions{
		Model: cfg, Monitor: e.mon, Consumer: noConsumer{}, Logger: discard(), Metrics: e.metrics,
		Now: func() time.Time { return *e.now }, Lag: func() []kafkasource.PartitionLag { return lag },
	})
	require.NoError(t, err)
	k.assign(&recordingGen{}, []kafkasource.TopicPartition{tpA, tpB})
	ctx := context.Background()
	var batch []kafkasource.Message
	for i := range 50 {
		batch = append(batch, good(tpA, int64(i)))
	}
	require.NoError(t, k.Handle(ctx, batch))
	*e.now = e.now.Add(10 * time.Minute) // long enough for an idle close

	fresh := func(p kafkasource.TopicPartition, n int64) kafkasource.PartitionLag {
		return kafkasource.PartitionLag{TopicPartition: p, Lag: n, FetchedAt: *e.now}
	}
	tests := []struct {
		name   string
		lag    []kafkasource.PartitionLag
		closed bool
	}{
		{name: "a backlog waits", lag: []kafkasource.PartitionLag{fresh(tpA, 0), fresh(tpB, 7)}},
		{name: "a partition not fetched yet", lag: []kafkasource.PartitionLag{fresh(tpA, 0)}},
		{name: "a stale fetch", lag: []kafkasource.PartitionLag{fresh(tpA, 0), {TopicPartition: tpB, FetchedAt: e.now.Add(-time.Minute)}}},
		{name: "caught up", lag: []kafkasource.PartitionLag{fresh(tpA, 0), fresh(tpB, 0)}, closed: true},
	}
	for _, tc := range tests {
		lag = tc.lag
		k.tickOnce(ctx)
		got := e.snap(t).WindowEvents(monitor.DriftWindow)
		if tc.closed {
			require.Equal(t, uint64(50), got, tc.name)
		} else {
			require.Zero(t, got, tc.name)
		}
	}
}

// TestKafkaRevokeAfterOutage checks that a generation that ends while the
// consumer is behind (its fetches stale, as when the broker went away)
// closes no window by the clock, and so commits nothing new.
func TestKafkaRevokeAfterOutage(t *testing.T) {
	cfg := testModel(collectors.SourceKafka, 0)
	e := newEnv(t, cfg, nil)
	lag := []kafkasource.PartitionLag{{TopicPartition: tpA, FetchedAt: *e.now}}
	k, err := NewKafka(KafkaOptions{
		Model: cfg, Monitor: e.mon, Consumer: noConsumer{}, Logger: discard(), Metrics: e.metrics,
		Now: func() time.Time { return *e.now }, Lag: func() []kafkasource.PartitionLag { return lag },
	})
	require.NoError(t, err)
	gen := &recordingGen{}
	k.assign(gen, []kafkasource.TopicPartition{tpA})
	ctx := context.Background()
	require.NoError(t, k.Handle(ctx, []kafkasource.Message{good(tpA, 0), good(tpA, 1)}))
	require.Len(t, gen.commits, 1)
	*e.now = e.now.Add(10 * time.Minute) // the fetches are stale now
	k.revoke(ctx)
	require.Len(t, gen.commits, 1, "nothing committed after the outage")
	require.Zero(t, e.snap(t).WindowEvents(monitor.DriftWindow), "no window closed by the clock")
}

type lagFunc func() []kafkasource.PartitionLag

func (f lagFunc) Lag() []kafkasource.PartitionLag { return f() }

func TestLag(t *testing.T) {
	l := Lag(lagFunc(func() []kafkasource.PartitionLag {
		return []kafkasource.PartitionLag{{TopicPartition: tpB, HighWatermark: 50, Delivered: 8, Lag: 42}}
	}))
	require.Equal(t, []monitor.Lag{{Topic: tpB.Topic, Partition: 1, Messages: 42}}, l())
}
