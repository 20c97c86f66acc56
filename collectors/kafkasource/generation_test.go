package kafkasource

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	kafka "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
)

// recordingCommitter records commit requests and answers with err.
type recordingCommitter struct {
	calls []map[string]map[int]int64
	err   error
}

func (r *recordingCommitter) CommitOffsets(o map[string]map[int]int64) error {
	r.calls = append(r.calls, o)
	return r.err
}

// newTestGeneration owns p/0 with 10 messages delivered and p/1 with none
// delivered yet (start offset unresolved).
func newTestGeneration(c committer) *Generation {
	g := &Generation{ID: 7, committer: c, parts: map[TopicPartition]*partitionState{}, stats: &counters{}}
	p0 := newPartitionState(TopicPartition{"p", 0}, StreamPredictions, 4)
	p0.delivered.Store(10)
	p1 := newPartitionState(TopicPartition{"p", 1}, StreamPredictions, kafka.FirstOffset)
	for _, p := range []*partitionState{p0, p1} {
		g.parts[p.tp] = p
		g.Partitions = append(g.Partitions, p.tp)
	}
	return g
}

func TestGenerationCommit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		offsets   map[TopicPartition]int64
		end       bool
		brokerErr error
		wantErr   error
		wantCall  map[string]map[int]int64
	}{
		{name: "behind the delivered offset", offsets: map[TopicPartition]int64{{"p", 0}: 6},
			wantCall: map[string]map[int]int64{"p": {0: 6}}},
		{name: "at the delivered offset", offsets: map[TopicPartition]int64{{"p", 0}: 10},
			wantCall: map[string]map[int]int64{"p": {0: 10}}},
		{name: "nothing to commit", offsets: nil},
		{name: "beyond the delivered offset", offsets: map[TopicPartition]int64{{"p", 0}: 11}, wantErr: ErrInvalidOffset},
		{name: "negative", offsets: map[TopicPartition]int64{{"p", 0}: -1}, wantErr: ErrInvalidOffset},
		{name: "start not resolved", offsets: map[TopicPartition]int64{{"p", 1}: 0}, wantErr: ErrInvalidOffset},
		{name: "not assigned", offsets: map[TopicPartition]int64{{"p", 0}: 5, {"p", 2}: 1}, wantErr: ErrNotAssigned},
		{name: "other topic", offsets: map[TopicPartition]int64{{"labels", 0}: 1}, wantErr: ErrNotAssigned},
		{name: "ended", offsets: map[TopicPartition]int64{{"p", 0}: 5}, end: true, wantErr: ErrGenerationEnded},
		{name: "broker moved on", offsets: map[TopicPartition]int64{{"p", 0}: 5}, brokerErr: kafka.IllegalGeneration,
			wantErr: ErrGenerationEnded, wantCall: map[string]map[int]int64{"p": {0: 5}}},
		{name: "broker unavailable", offsets: map[TopicPartition]int64{{"p", 0}: 5}, brokerErr: kafka.NotCoordinatorForGroup,
			wantErr: kafka.NotCoordinatorForGroup, wantCall: map[string]map[int]int64{"p": {0: 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := &recordingCommitter{err: tc.brokerErr}
			g := newTestGeneration(rc)
			if tc.end {
				g.end()
			}
			err := g.Commit(context.Background(), tc.offsets)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			var want []map[string]map[int]int64
			if tc.wantCall != nil {
				want = append(want, tc.wantCall)
			}
			if diff := cmp.Diff(want, rc.calls); diff != "" {
				t.Errorf("commit requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGenerationCommitRecordsOffsets(t *testing.T) {
	g := newTestGeneration(&recordingCommitter{})
	g.parts[TopicPartition{"p", 1}].resolved(3)
	require.NoError(t, g.Commit(context.Background(), map[TopicPartition]int64{{"p", 0}: 8, {"p", 1}: 3}))
	require.Equal(t, int64(8), g.parts[TopicPartition{"p", 0}].committed.Load())
	require.Equal(t, int64(3), g.parts[TopicPartition{"p", 1}].committed.Load())
	require.Equal(t, uint64(1), g.stats.commits.Load())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.Commit(ctx, map[TopicPartition]int64{{"p", 0}: 9})
	require.True(t, errors.Is(err, context.Canceled), err)
	require.True(t, g.Owns(TopicPartition{"p", 1}))
	require.False(t, g.Owns(TopicPartition{"p", 2}))
}

func TestNewRejectsBadSettings(t *testing.T) {
	good := testConfig("127.0.0.1:9092", "predictions", "group")
	for _, tc := range []struct {
		name    string
		cfg     func(*Config)
		opts    Options
		wantErr string
	}{
		{name: "invalid config", cfg: func(c *Config) { c.Group = "" }, opts: Options{Logger: discardLogger()},
			wantErr: "kafkasource: invalid config: group: is required"},
		{name: "no logger", opts: Options{}, wantErr: "kafkasource: Options.Logger is required"},
		{name: "heartbeat too slow", opts: Options{Logger: discardLogger(), HeartbeatInterval: good.SessionTimeout},
			wantErr: "Options.HeartbeatInterval 6s must be positive and shorter than session_timeout 6s"},
		{name: "negative fetch", opts: Options{Logger: discardLogger(), Fetch: FetchOptions{MaxBatchMessages: -1}},
			wantErr: "Options.Fetch: MaxBatchMessages -1 and QueueCapacity 16 must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			_, err := New(cfg, tc.opts)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	cfg := testConfig("127.0.0.1:9092", "predictions", "group")
	cfg.MaxMessageBytes = 8 << 20
	o := Options{Logger: discardLogger()}.withDefaults(cfg)
	require.Equal(t, 600*1e6, float64(o.HeartbeatInterval))
	require.Equal(t, 8<<20, o.Fetch.MaxBytes, "a fetch must hold a message of max_message_bytes")
	require.Equal(t, "driftwatch", o.ClientID)
	require.NoError(t, o.validate(cfg))

	cfg.SessionTimeout = 45e9
	require.Equal(t, 3e9, float64(Options{}.withDefaults(cfg).HeartbeatInterval))
}

func TestNewDeadLetterNeedsTopic(t *testing.T) {
	_, err := NewDeadLetter(testConfig("127.0.0.1:9092", "predictions", "group"), Options{Logger: discardLogger()})
	require.EqualError(t, err, "kafkasource: dead_letter_topic is not set")
}
