package kafkasource

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	kafka "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
)

// TestConsumeCommitResume consumes three partitions, committing after each
// batch, and checks that a new member of the group resumes exactly after
// the committed offsets.
func TestConsumeCommitResume(t *testing.T) {
	topic := uniqueName(t, "predictions")
	cfg := kafkaConfig(t, Topics{Predictions: topic})
	createTopics(t, cfg.Brokers[0], 3, topic)
	produce(t, cfg.Brokers[0], topic, events(3, 0, 100))

	first := newRecorder(0)
	c, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	stop := start(t, c, first)
	eventually(t, "300 messages", func() bool { return first.count() == 300 })
	eventually(t, "lag and commits reported", func() bool {
		lag := c.Lag()
		if len(lag) != 3 {
			return false
		}
		for _, l := range lag {
			if l.Lag != 0 || l.HighWatermark != 100 || l.Delivered != 100 || l.Committed != 100 {
				return false
			}
		}
		return true
	})
	stop()
	require.Empty(t, c.Lag(), "no generation after Run returned")
	got := first.snapshot()
	for p := range int32(3) {
		tp := TopicPartition{topic, p}
		require.Equal(t, span(0, 100), offsets(got, 0, tp), tp.String())
	}
	require.Equal(t, StreamPredictions, Stream("predictions"))
	st := c.Stats()
	require.Equal(t, uint64(300), st.Messages)
	require.Equal(t, uint64(1), st.Generations)
	require.NotZero(t, st.Commits)
	require.Zero(t, st.CommitErrors)

	produce(t, cfg.Brokers[0], topic, events(3, 100, 20))
	second := newRecorder(0)
	c2, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	start(t, c2, second)
	eventually(t, "60 new messages", func() bool { return second.count() == 60 })
	time.Sleep(300 * time.Millisecond) // nothing else may arrive
	got = second.snapshot()
	require.Len(t, got, 60)
	for p := range int32(3) {
		tp := TopicPartition{topic, p}
		require.Equal(t, span(100, 120), offsets(got, 0, tp), tp.String())
	}
}

// TestCommitBehindRedeliversTail commits offsets behind the last delivered
// message, as a collector does for a window that is still open, and checks
// that the next member receives exactly the uncommitted tail.
func TestCommitBehindRedeliversTail(t *testing.T) {
	topic := uniqueName(t, "predictions")
	cfg := kafkaConfig(t, Topics{Predictions: topic})
	createTopics(t, cfg.Brokers[0], 3, topic)
	produce(t, cfg.Brokers[0], topic, events(3, 0, 50))

	r := newRecorder(-1)
	c, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	stop := start(t, c, r)
	eventually(t, "150 messages", func() bool { return r.count() == 150 })

	gen := r.generations()[0]
	ctx := context.Background()
	behind := map[TopicPartition]int64{}
	for p := range int32(3) {
		behind[TopicPartition{topic, p}] = 30
	}
	require.ErrorIs(t, gen.Commit(ctx, map[TopicPartition]int64{{topic, 0}: 51}), ErrInvalidOffset)
	require.ErrorIs(t, gen.Commit(ctx, map[TopicPartition]int64{{topic, 0}: 30, {topic, 3}: 1}), ErrNotAssigned)
	require.NoError(t, gen.Commit(ctx, behind))
	stop()
	require.ErrorIs(t, gen.Commit(ctx, behind), ErrGenerationEnded)

	r2 := newRecorder(-1)
	c2, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	start(t, c2, r2)
	eventually(t, "the 60 uncommitted messages", func() bool { return r2.count() == 60 })
	time.Sleep(300 * time.Millisecond)
	got := r2.snapshot()
	require.Len(t, got, 60)
	for p := range int32(3) {
		tp := TopicPartition{topic, p}
		require.Equal(t, span(30, 50), offsets(got, 0, tp), tp.String())
	}
}

// TestRebalance runs two members over three topics. The second member
// takes half of the partitions from the committed offsets; when it leaves,
// the first takes them back from the second's commits.
func TestRebalance(t *testing.T) {
	topics := Topics{
		Predictions: uniqueName(t, "predictions"),
		Features:    uniqueName(t, "features"),
		Labels:      uniqueName(t, "labels"),
	}
	cfg := kafkaConfig(t, topics)
	broker := cfg.Brokers[0]
	createTopics(t, broker, 2, topics.Predictions, topics.Features, topics.Labels)
	all := []TopicPartition{}
	for _, topic := range []string{topics.Predictions, topics.Features, topics.Labels} {
		produce(t, broker, topic, events(2, 0, 20))
		all = append(all, TopicPartition{topic, 0}, TopicPartition{topic, 1})
	}
	all = sortedCopy(all)
	committedAll := func(r *recorder, parts []TopicPartition, off int64) func() bool {
		return func() bool {
			for _, tp := range parts {
				if r.committedAt(tp) != off {
					return false
				}
			}
			return true
		}
	}

	// A alone owns all six partitions and commits 5 behind the end.
	a := newRecorder(5)
	ca, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	start(t, ca, a)
	eventually(t, "A commits at 15", committedAll(a, all, 15))
	gen1 := a.generations()[0]
	require.Equal(t, all, sortedCopy(gen1.Partitions))
	require.Equal(t, StreamLabels, streamOf(t, a, topics.Labels))

	// B joins: A is revoked, and the partitions are split between them.
	b := newRecorder(5)
	cb, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	joined := time.Now()
	stopB := start(t, cb, b)
	eventually(t, "B assigned", func() bool { return len(b.generations()) == 1 })
	eventually(t, "A reassigned", func() bool { return len(a.generations()) == 2 })
	t.Logf("rebalance after a join took %s", time.Since(joined).Round(time.Millisecond))
	gen2a, gen2b := a.generations()[1], b.generations()[0]
	require.Equal(t, gen2a.ID, gen2b.ID)
	require.Len(t, gen2a.Partitions, 3)
	require.Len(t, gen2b.Partitions, 3)
	require.Equal(t, all, sortedCopy(append(append([]TopicPartition{}, gen2a.Partitions...), gen2b.Partitions...)))
	require.Equal(t, []string{"assigned 6", "revoked", "assigned 3"}, a.eventLog())
	require.ErrorIs(t, gen1.Commit(context.Background(), map[TopicPartition]int64{all[0]: 15}), ErrGenerationEnded)
	require.ErrorIs(t, gen2a.Commit(context.Background(), map[TopicPartition]int64{gen2b.Partitions[0]: 15}), ErrNotAssigned)

	// Each member starts its partitions at A's commit: the uncommitted
	// tail 15..19 is delivered again, nothing before it.
	eventually(t, "tails redelivered", func() bool { return a.count()+b.count() == 120+30 })
	for _, r := range []*recorder{a, b} {
		gen := r.generations()[len(r.generations())-1]
		for _, tp := range gen.Partitions {
			require.Equal(t, span(15, 20), offsets(r.snapshot(), gen.ID, tp), tp.String())
		}
	}

	// New messages reach the owners; B commits at 25 and leaves.
	for _, topic := range []string{topics.Predictions, topics.Features, topics.Labels} {
		produce(t, broker, topic, events(2, 20, 10))
	}
	eventually(t, "B commits at 25", committedAll(b, gen2b.Partitions, 25))
	eventually(t, "A commits at 25", committedAll(a, gen2a.Partitions, 25))
	left := time.Now()
	stopB()
	require.Equal(t, []string{"assigned 3", "revoked"}, b.eventLog())

	// A takes B's partitions back from B's commits.
	eventually(t, "A owns all again", func() bool { return len(a.generations()) == 3 })
	t.Logf("rebalance after a leave took %s", time.Since(left).Round(time.Millisecond))
	gen3 := a.generations()[2]
	require.Equal(t, all, sortedCopy(gen3.Partitions))
	require.Equal(t, []string{"assigned 6", "revoked", "assigned 3", "revoked", "assigned 6"}, a.eventLog())
	eventually(t, "every tail reaches A", func() bool {
		for _, tp := range all {
			if len(offsets(a.snapshot(), gen3.ID, tp)) < 5 {
				return false
			}
		}
		return true
	})
	got := a.snapshot()
	for _, tp := range all {
		require.Equal(t, span(25, 30), offsets(got, gen3.ID, tp), tp.String())
	}
}

// TestStartLatest checks that a group without commits skips the existing
// messages when start_offset is latest.
func TestStartLatest(t *testing.T) {
	topic := uniqueName(t, "predictions")
	cfg := kafkaConfig(t, Topics{Predictions: topic})
	cfg.StartOffset = StartLatest
	createTopics(t, cfg.Brokers[0], 1, topic)
	produce(t, cfg.Brokers[0], topic, events(1, 0, 10))

	r := newRecorder(0)
	c, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	start(t, c, r)
	eventually(t, "start resolved", func() bool {
		lag := c.Lag()
		return len(lag) == 1 && lag[0].Delivered == 10
	})
	produce(t, cfg.Brokers[0], topic, events(1, 10, 5))
	eventually(t, "5 new messages", func() bool { return r.count() == 5 })
	require.Equal(t, span(10, 15), offsets(r.snapshot(), 0, TopicPartition{topic, 0}))
}

func sortedCopy(tps []TopicPartition) []TopicPartition {
	out := append([]TopicPartition(nil), tps...)
	slicesSortTP(out)
	return out
}

func streamOf(t *testing.T, r *recorder, topic string) Stream {
	t.Helper()
	for _, l := range r.generations()[0].parts {
		if l.tp.Topic == topic {
			return l.stream
		}
	}
	t.Fatalf("no partition of %s", topic)
	return ""
}

var _ = cmp.Diff

// TestWaitsForMissingTopic starts a consumer whose labels topic does not
// exist yet. It must not join the group (kafka-go would then assign no
// partition at all) until the topic is created.
func TestWaitsForMissingTopic(t *testing.T) {
	topics := Topics{Predictions: uniqueName(t, "predictions"), Labels: uniqueName(t, "labels")}
	cfg := kafkaConfig(t, topics)
	createTopics(t, cfg.Brokers[0], 1, topics.Predictions)
	produce(t, cfg.Brokers[0], topics.Predictions, events(1, 0, 5))

	r := newRecorder(0)
	c, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	start(t, c, r)
	time.Sleep(time.Second)
	require.Zero(t, c.Stats().Generations, "joined before the labels topic existed")

	createTopics(t, cfg.Brokers[0], 1, topics.Labels)
	eventually(t, "5 predictions", func() bool { return r.count() == 5 })
	require.Len(t, r.generations()[0].Partitions, 2)
}

// TestCommitInRevoked commits everything delivered from Revoked, during a
// rebalance and at shutdown: the next owners start after it, so nothing is
// delivered twice.
func TestCommitInRevoked(t *testing.T) {
	topic := uniqueName(t, "predictions")
	cfg := kafkaConfig(t, Topics{Predictions: topic})
	createTopics(t, cfg.Brokers[0], 2, topic)
	produce(t, cfg.Brokers[0], topic, events(2, 0, 20))

	a := newRecorder(-1)
	a.commitOnRevoke = true
	ca, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	stopA := start(t, ca, a)
	eventually(t, "A has 40", func() bool { return a.count() == 40 })

	b := newRecorder(-1)
	b.commitOnRevoke = true
	cb, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	start(t, cb, b)
	eventually(t, "B assigned", func() bool { return len(b.generations()) == 1 })
	require.Equal(t, int64(20), a.committedAt(TopicPartition{topic, 0}), "commit from Revoked during the rebalance")
	produce(t, cfg.Brokers[0], topic, events(2, 20, 5))
	eventually(t, "the new messages", func() bool { return a.count()+b.count() == 50 })

	stopA()
	eventually(t, "B owns both", func() bool { return len(b.generations()) == 2 })
	produce(t, cfg.Brokers[0], topic, events(2, 25, 5))
	eventually(t, "the last messages", func() bool { return a.count()+b.count() == 60 })
	time.Sleep(300 * time.Millisecond)

	seen := map[delivery]int{}
	for _, d := range append(a.snapshot(), b.snapshot()...) {
		seen[delivery{tp: d.tp, offset: d.offset}]++
	}
	require.Len(t, seen, 60, "every message exactly once")
	a.mu.Lock()
	defer a.mu.Unlock()
	require.Empty(t, a.commitErr)
}

// TestCommittedOffsetBeyondEnd starts from a committed offset past the end
// of the partition (as after a topic was recreated): the consumer starts
// over as start_offset says instead of waiting for the offset to appear.
func TestCommittedOffsetBeyondEnd(t *testing.T) {
	topic := uniqueName(t, "predictions")
	cfg := kafkaConfig(t, Topics{Predictions: topic})
	createTopics(t, cfg.Brokers[0], 1, topic)
	produce(t, cfg.Brokers[0], topic, events(1, 0, 3))
	commitRaw(t, cfg, map[string]map[int]int64{topic: {0: 100}})

	r := newRecorder(0)
	c, err := New(cfg, testOptions(t))
	require.NoError(t, err)
	start(t, c, r)
	eventually(t, "3 messages", func() bool { return r.count() == 3 })
	require.Equal(t, span(0, 3), offsets(r.snapshot(), 0, TopicPartition{topic, 0}))
	eventually(t, "committed at the end", func() bool {
		lag := c.Lag()
		return len(lag) == 1 && lag[0].Committed == 3 && lag[0].Delivered == 3
	})
}

// commitRaw commits offsets for cfg's group with kafka-go directly,
// bypassing the checks of Generation.Commit.
func commitRaw(t *testing.T, cfg Config, offsets map[string]map[int]int64) {
	t.Helper()
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: cfg.Group, Brokers: cfg.Brokers, Topics: []string{cfg.Topics.Predictions},
		SessionTimeout: cfg.SessionTimeout, HeartbeatInterval: time.Second,
	})
	require.NoError(t, err)
	defer cg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	gen, err := cg.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, gen.CommitOffsets(offsets))
}
