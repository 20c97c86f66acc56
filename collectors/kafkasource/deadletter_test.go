package kafkasource

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	kafka "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
)

func TestDeadLetterRecord(t *testing.T) {
	d := &DeadLetter{cut: 8, maxBytes: 16}
	for _, tc := range []struct {
		name      string
		msg       Message
		wantKey   string
		wantValue string
		want      []kafka.Header
	}{
		{
			name: "headers kept and replaced",
			msg: Message{Topic: "preds", Partition: 2, Offset: 41, Key: []byte("k"), Value: []byte("{}"),
				Headers: []Header{{"trace", []byte("t1")}, {HeaderReason, []byte("late")}}},
			wantKey: "k", wantValue: "{}",
			want: []kafka.Header{
				{Key: "trace", Value: []byte("t1")},
				{Key: HeaderReason, Value: []byte("malformed")},
				{Key: HeaderSourceTopic, Value: []byte("preds")},
				{Key: HeaderSourcePartition, Value: []byte("2")},
				{Key: HeaderSourceOffset, Value: []byte("41")},
			},
		},
		{
			name:    "oversized is cut",
			msg:     Message{Topic: "preds", Offset: 7, Key: []byte("key"), Value: bytes.Repeat([]byte("v"), 20)},
			wantKey: "key", wantValue: "vvvvv",
			want: []kafka.Header{
				{Key: HeaderReason, Value: []byte("malformed")},
				{Key: HeaderSourceTopic, Value: []byte("preds")},
				{Key: HeaderSourcePartition, Value: []byte("0")},
				{Key: HeaderSourceOffset, Value: []byte("7")},
				{Key: HeaderTruncated, Value: []byte("23")},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := d.record(ReasonMalformed, &tc.msg)
			require.Equal(t, tc.wantKey, string(got.Key))
			require.Equal(t, tc.wantValue, string(got.Value))
			if diff := cmp.Diff(tc.want, got.Headers); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeadLetterRejectsUnknownReason(t *testing.T) {
	d := &DeadLetter{}
	err := d.Send(context.Background(), "json: cannot unmarshal string", Message{})
	require.ErrorContains(t, err, `unknown dead letter reason "json: cannot unmarshal string"`)
	require.Equal(t, ClassInvalid, ClassifyError(err))
}

// readAll reads n messages of partition 0 of topic from the start.
func readAll(t *testing.T, broker, topic string, n int) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var out []kafka.Message
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

// TestDeadLetterSend writes dead letters to the broker and reads them back.
func TestDeadLetterSend(t *testing.T) {
	cfg := kafkaConfig(t, Topics{Predictions: uniqueName(t, "predictions")})
	cfg.DeadLetterTopic = uniqueName(t, "dead")
	createTopics(t, cfg.Brokers[0], 1, cfg.DeadLetterTopic)
	d, err := NewDeadLetter(cfg, testOptions(t))
	require.NoError(t, err)
	defer d.Close()

	msgs := []Message{
		{Topic: cfg.Topics.Predictions, Partition: 1, Offset: 12, Key: []byte("id-1"), Value: []byte(`{"score":`),
			Headers: []Header{{"traceparent", []byte("00-abc")}}},
		{Topic: cfg.Topics.Predictions, Partition: 2, Offset: 99, Value: []byte(`{"score":"high"}`)},
	}
	start := time.Now()
	require.NoError(t, d.Send(context.Background(), ReasonMalformed, msgs...))
	require.Less(t, time.Since(start), 500*time.Millisecond, "a synchronous send must not wait for kafka-go's batch timeout")
	require.Equal(t, DeadLetterStats{Sent: 2}, d.Stats())

	got := readAll(t, cfg.Brokers[0], cfg.DeadLetterTopic, 2)
	byOffset := map[string]kafka.Message{}
	for _, m := range got {
		byOffset[header(m, HeaderSourceOffset)] = m
	}
	first := byOffset["12"]
	require.Equal(t, "id-1", string(first.Key))
	require.Equal(t, `{"score":`, string(first.Value))
	require.Equal(t, "00-abc", header(first, "traceparent"))
	require.Equal(t, "malformed", header(first, HeaderReason))
	require.Equal(t, cfg.Topics.Predictions, header(first, HeaderSourceTopic))
	require.Equal(t, "1", header(first, HeaderSourcePartition))
	second := byOffset["99"]
	require.Equal(t, `{"score":"high"}`, string(second.Value))
	require.Equal(t, "2", header(second, HeaderSourcePartition))
}

// TestDeadLetterMissingTopic gives up after the bounded retries.
func TestDeadLetterMissingTopic(t *testing.T) {
	cfg := kafkaConfig(t, Topics{Predictions: uniqueName(t, "predictions")})
	cfg.DeadLetterTopic = uniqueName(t, "missing")
	opts := testOptions(t)
	opts.DeadLetterAttempts = 2
	d, err := NewDeadLetter(cfg, opts)
	require.NoError(t, err)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	err = d.Send(ctx, ReasonInvalid, Message{Topic: "p", Value: []byte("{}")})
	require.Error(t, err)
	t.Log(err)
	require.Equal(t, ClassUnknownTopic, ClassifyError(err))
	require.Equal(t, DeadLetterStats{Failed: 1}, d.Stats())
}

// TestOversizedMessage sends a message far larger than both
// max_message_bytes and the fetch size: it reaches the handler flagged,
// the partition goes on, and its dead letter is cut.
func TestOversizedMessage(t *testing.T) {
	cfg := kafkaConfig(t, Topics{Predictions: uniqueName(t, "predictions")})
	cfg.MaxMessageBytes = 4096
	cfg.DeadLetterTopic = uniqueName(t, "dead")
	createTopics(t, cfg.Brokers[0], 1, cfg.Topics.Predictions, cfg.DeadLetterTopic)
	big := bytes.Repeat([]byte("x"), 200<<10)
	produce(t, cfg.Brokers[0], cfg.Topics.Predictions, []kafka.Message{
		{Value: []byte(`{"n":0}`)}, {Value: big}, {Value: []byte(`{"n":2}`)},
	})

	opts := testOptions(t)
	opts.Fetch.MaxBytes = 16 << 10
	c, err := New(cfg, opts)
	require.NoError(t, err)
	d, err := NewDeadLetter(cfg, opts)
	require.NoError(t, err)
	defer d.Close()
	h := &oversizeHandler{recorder: newRecorder(0), dead: d}
	start(t, c, h)
	eventually(t, "3 messages", func() bool { return h.count() == 3 })
	require.Equal(t, []bool{false, true, false}, h.flags())
	require.Equal(t, uint64(1), c.Stats().Oversized)

	got := readAll(t, cfg.Brokers[0], cfg.DeadLetterTopic, 1)[0]
	require.Len(t, got.Value, 4096)
	require.Equal(t, strconv.Itoa(len(big)), header(got, HeaderTruncated))
	require.Equal(t, "oversized", header(got, HeaderReason))
	require.Equal(t, "1", header(got, HeaderSourceOffset))
}

// oversizeHandler dead-letters oversized messages before recording.
type oversizeHandler struct {
	*recorder
	dead      *DeadLetter
	oversized []bool
}

func (h *oversizeHandler) Handle(ctx context.Context, msgs []Message) error {
	for _, m := range msgs {
		if m.Oversized {
			if err := h.dead.Send(ctx, ReasonOversized, m); err != nil {
				return err
			}
		}
		h.mu.Lock()
		h.oversized = append(h.oversized, m.Oversized)
		h.mu.Unlock()
	}
	return h.recorder.Handle(ctx, msgs)
}

func (h *oversizeHandler) flags() []bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bool(nil), h.oversized...)
}

func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
