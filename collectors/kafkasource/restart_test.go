package kafkasource

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/testenv"
)

// TestBrokerRestart restarts the broker while a consumer is half way
// through a backlog, then produces more. Every message must arrive; some
// may arrive twice (at-least-once).
func TestBrokerRestart(t *testing.T) {
	topic := uniqueName(t, "predictions")
	cfg := kafkaConfig(t, Topics{Predictions: topic})
	ctl := os.Getenv("DRIFTWATCH_KAFKA_CTL")
	if ctl == "" {
		testenv.Require(t, testenv.Service{Name: "kafka", Env: "DRIFTWATCH_KAFKA_CTL"})
	}
	broker := cfg.Brokers[0]
	createTopics(t, broker, 3, topic)
	const before, after = 1000, 500
	produce(t, broker, topic, events(3, 0, before))

	// A slow handler keeps the backlog from draining before the restart.
	r := newRecorder(0)
	r.slow = 20 * time.Millisecond
	opts := testOptions(t)
	opts.Fetch.MaxBatchMessages = 50
	opts.Fetch.QueueCapacity = 2
	c, err := New(cfg, opts)
	require.NoError(t, err)
	start(t, c, r)
	eventually(t, "part of the backlog", func() bool { return r.count() >= 300 })

	restart := exec.Command(ctl, "restart")
	restart.Stdout, restart.Stderr = os.Stderr, os.Stderr
	require.NoError(t, restart.Run(), "restarting the broker")
	require.Less(t, r.count(), 3*before, "the backlog drained before the restart")
	produce(t, broker, topic, events(3, before, after))

	want := map[string]bool{}
	for _, m := range events(3, 0, before+after) {
		want[string(m.Value)] = true
	}
	require.Eventually(t, func() bool {
		seen := map[string]bool{}
		for _, d := range r.snapshot() {
			seen[d.value] = true
		}
		return len(seen) == len(want)
	}, 2*waitTimeout, 50*time.Millisecond, "every message after the restart")

	got := r.snapshot()
	for _, d := range got {
		require.True(t, want[d.value], "unexpected message %q", d.value)
	}
	st := c.Stats()
	t.Logf("delivered %d for %d messages (%d again), %d generations, %d fetch errors, %d commit errors",
		len(got), len(want), len(got)-len(want), st.Generations, st.FetchErrors, st.CommitErrors)
	require.GreaterOrEqual(t, st.Generations, uint64(2), "the restart ends the generation")
	// The group still commits after the restart.
	eventually(t, "commits at the end", func() bool {
		for p := range int32(3) {
			if r.committedAt(TopicPartition{topic, p}) != before+after {
				return false
			}
		}
		return true
	})
}
