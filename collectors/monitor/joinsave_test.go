package monitor

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
)

// joinLog is the prediction and label streams of a labelled model, in the
// order a consumer reads them: predictions on partitions A and B, and on
// partition L the label of each prediction, read about 300 events after
// it with an event time 3 minutes and up to 10 seconds later.
type joinLog struct {
	entries []logEntry
	labels  int
}

type logEntry struct {
	key    string
	offset int64
	ev     *event.Event
}

func newJoinLog(md model, n int, seed uint64) *joinLog {
	g := newGen(md, seed, nil)
	rng := rand.New(rand.NewPCG(seed, 5))
	type pending struct {
		due int
		ev  *event.Event
	}
	var labels []pending
	l := &joinLog{}
	offsets := map[string]int64{}
	emit := func(key string, ev *event.Event) {
		l.entries = append(l.entries, logEntry{key: key, offset: offsets[key], ev: ev})
		offsets[key]++
	}
	for i := range n {
		ts := at(time.Duration(i) * 100 * time.Millisecond)
		key := []string{"A", "B"}[rng.IntN(2)]
		emit(key, g.prediction(id(i), ts))
		class := []string{"no", "yes"}[rng.IntN(2)]
		labels = append(labels, pending{due: i + 300, ev: labelEvent(id(i), ts.Add(3*time.Minute+time.Duration(rng.IntN(10))*time.Second), class)})
		for len(labels) > 0 && labels[0].due <= i {
			emit("L", labels[0].ev)
			labels = labels[1:]
			l.labels++
		}
	}
	// The labels of the last predictions never come, as in a live stream.
	return l
}

// replay delivers the log from the committed offsets in batches of n,
// syncing after each, and calls after with the batch number and the safe
// offsets; it stops when after returns false.
func (l *joinLog) replay(h *harness, committed map[string]int64, n int, after func(batch int, offsets map[string]int64) bool) {
	batch, inBatch := 1, 0
	for _, e := range l.entries {
		if e.offset < committed[e.key] {
			continue
		}
		h.Observe(e.ev, pos(e.key, e.offset))
		if inBatch++; inBatch == n {
			offsets, err := h.Sync(context.Background())
			if err != nil {
				panic(err)
			}
			if !after(batch, offsets) {
				return
			}
			batch, inBatch = batch+1, 0
		}
	}
}

// TestRestartKeepsLabelJoin crashes a labelled model's monitor mid-stream
// and restarts it from its committed offsets and saved state: every label
// still finds its prediction, and the published quality windows hold every
// pair once, as in an uninterrupted run.
func TestRestartKeepsLabelJoin(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	p := md.profile(t, 500, 1)
	log := newJoinLog(md, 4000, 9)
	for _, tc := range []struct {
		name       string
		saveEvery  time.Duration
		crashAfter int
		commitLost bool
	}{
		{name: "join saved at every sync", saveEvery: -1, crashAfter: 41},
		{name: "join saved every 10 batches", saveEvery: 10 * time.Second, crashAfter: 47},
		{name: "join saved every 10 batches, last commit lost", saveEvery: 10 * time.Second, crashAfter: 47, commitLost: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := withLabels(md.config(), 1)
			cfg.Window.AllowedLateness = 30 * time.Second
			opts := func() Options {
				return Options{DisableIdleClose: true, JoinSaveInterval: tc.saveEvery, Checkpointer: NewMemoryCheckpointer()}
			}

			ref := setup(t, cfg, p, opts())
			log.replay(ref, nil, 50, func(int, map[string]int64) bool { ref.clock.Advance(time.Second); return true })
			ref.flush(t)
			want := ref.snap(t)
			require.Equal(t, uint64(log.labels), want.Joins(JoinJoined), "every label joins in one run")

			h := setup(t, cfg, p, opts())
			committed := map[string]int64{}
			log.replay(h, nil, 50, func(batch int, offsets map[string]int64) bool {
				h.clock.Advance(time.Second)
				if batch == tc.crashAfter {
					if !tc.commitLost {
						committed = offsets
					}
					return false
				}
				committed = offsets
				return true
			})
			before := h.snap(t)
			require.NotZero(t, before.WindowEvents(QualityWindow), "the crash should come after a published quality window")
			require.NotZero(t, before.Buffered, "predictions wait for labels at the crash")

			h.restart(t)
			log.replay(h, committed, 50, func(int, map[string]int64) bool { h.clock.Advance(time.Second); return true })
			h.flush(t)
			after := h.snap(t)

			require.Zero(t, after.Joins(JoinUnmatched), "no label lost its prediction")
			require.Equal(t, want.WindowEvents(QualityWindow), before.WindowEvents(QualityWindow)+after.WindowEvents(QualityWindow),
				"pairs in published quality windows")
			for _, o := range []WindowOutcome{WindowEvaluated, WindowSkipped} {
				require.Equal(t, want.Windows(QualityWindow, o), before.Windows(QualityWindow, o)+after.Windows(QualityWindow, o), "%s quality windows", o)
			}
			require.Equal(t, want.WindowEvents(DriftWindow), before.WindowEvents(DriftWindow)+after.WindowEvents(DriftWindow), "events in published drift windows")
		})
	}
}

// TestJoinSaveHoldsCommits checks that the offsets of predictions that
// entered the label join are not committed before the join is saved.
func TestJoinSaveHoldsCommits(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	cfg := withLabels(md.config(), 1)
	cfg.Window = collectors.WindowConfig{Count: 2, MinEvents: 1}
	h := setup(t, cfg, md.profile(t, 500, 1), Options{JoinSaveInterval: 10 * time.Second})
	g := newGen(md, 2, nil)
	for i := range 4 {
		require.Equal(t, Accepted, h.Observe(g.prediction(id(i), at(0)), pos("A", int64(i))))
	}
	require.Equal(t, map[string]int64{"A": 0}, h.sync(t), "both windows are published, but the join is not saved yet")
	h.clock.Advance(10 * time.Second)
	require.Equal(t, map[string]int64{"A": 4}, h.sync(t), "the join is saved")
	data, ok, err := h.cp.LoadJoin(t.Context(), cfg.Name)
	require.NoError(t, err)
	require.True(t, ok)

	h.restart(t)
	require.Equal(t, 4, h.snap(t).Buffered, "the saved join is restored")
	require.Equal(t, Accepted, h.Observe(labelEvent(id(2), at(time.Minute), "yes"), pos("L", 0)))
	h.flush(t)
	require.Equal(t, uint64(1), h.snap(t).Joins(JoinJoined))

	// A damaged or foreign file stops the monitor with a clear error
	// instead of starting with an empty join.
	for _, tc := range []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{name: "flipped byte", data: flip(data, len(data)/2), wantErr: "checksum mismatch"},
		{name: "truncated", data: data[:len(data)-9], wantErr: "checksum mismatch"},
		{name: "not a join", data: []byte("{}"), wantErr: "not a saved label join"},
		{name: "another model", data: reencode(t, data, "fraud"), wantErr: `it belongs to model "fraud", not "churn"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := NewMemoryCheckpointer()
			require.NoError(t, cp.SaveJoin(t.Context(), cfg.Name, tc.data))
			opts := h.opts
			opts.Checkpointer = cp
			_, err := New(t.Context(), opts)
			require.ErrorContains(t, err, `monitor for model "churn": restore the saved label join: `+tc.wantErr)
		})
	}
}

func flip(data []byte, i int) []byte {
	out := slices.Clone(data)
	out[i] ^= 0x40
	return out
}

// reencode returns the saved join as another model would have saved it,
// with a valid checksum.
func reencode(t *testing.T, data []byte, model string) []byte {
	t.Helper()
	r := joinReader{b: data[len(joinMagic) : len(data)-4]}
	r.string()
	require.NoError(t, r.err)
	b := appendString([]byte(joinMagic), model)
	b = append(b, r.b...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}
