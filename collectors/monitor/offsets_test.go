package monitor

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
)

func TestSafeOffsets(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	cfg := md.config()
	cfg.Window.AllowedLateness = 30 * time.Second
	h := setup(t, cfg, md.profile(t, 500, 1), Options{})
	g := newGen(md, 2, nil)
	// Two partitions whose events are out of order in time, within the
	// allowed lateness. The windows are [0, 1m), [1m, 2m) and [2m, 3m).
	for _, tc := range []struct {
		key    string
		offset int64
		at     time.Duration
		want   map[string]int64 // after a Sync
	}{
		{"A", 0, 10 * time.Second, map[string]int64{"A": 0}},
		{"B", 0, 70 * time.Second, map[string]int64{"A": 0, "B": 0}},
		{"A", 1, 20 * time.Second, map[string]int64{"A": 0, "B": 0}},
		{"A", 2, 75 * time.Second, map[string]int64{"A": 0, "B": 0}},
		{"B", 1, 30 * time.Second, map[string]int64{"A": 0, "B": 0}},
		// A runs ahead, but the low watermark is B's 70s.
		{"A", 3, 95 * time.Second, map[string]int64{"A": 0, "B": 0}},
		// B catches up and the low watermark passes 1m30s: [0, 1m) is
		// published, and A's first event still held is A:2.
		{"B", 2, 95 * time.Second, map[string]int64{"A": 2, "B": 0}},
		{"A", 4, 85 * time.Second, map[string]int64{"A": 2, "B": 0}},
		{"B", 3, 155 * time.Second, map[string]int64{"A": 2, "B": 0}},
		// [1m, 2m) is published once A passes 2m30s too; only A:5 and B:3
		// are held.
		{"A", 5, 160 * time.Second, map[string]int64{"A": 5, "B": 3}},
	} {
		require.Equal(t, Accepted, h.Observe(g.prediction("x", at(tc.at)), pos(tc.key, tc.offset)))
		if diff := cmp.Diff(tc.want, h.sync(t)); diff != "" {
			t.Fatalf("after %s:%d (-want +got):\n%s", tc.key, tc.offset, diff)
		}
	}
}

// logEvent is one event of a partition's log.
type logEvent struct {
	ev     *event.Event
	offset int64
}

// streamLog returns n prediction events spread over the partitions, in
// offset order per partition. Event times advance 100ms per event on
// average with up to 4s of disorder. Delivered in batches of a few
// seconds per partition, they stay within the test's 30s of allowed
// lateness, so no event is late.
func streamLog(md model, n int, keys []string, seed uint64) map[string][]logEvent {
	g := newGen(md, seed, nil)
	rng := rand.New(rand.NewPCG(seed, 3))
	out := map[string][]logEvent{}
	for i := range n {
		key := keys[rng.IntN(len(keys))]
		ts := at(time.Duration(i)*100*time.Millisecond + time.Duration(rng.IntN(8000)-4000)*time.Millisecond)
		out[key] = append(out[key], logEvent{ev: g.prediction(id(i), ts), offset: int64(len(out[key]))})
	}
	return out
}

// source replays a log in batches, round robin over the partitions, from
// committed offsets, like a consumer group member.
type source struct {
	log       map[string][]logEvent
	keys      []string
	committed map[string]int64
	read      map[string]int64
}

func newSource(log map[string][]logEvent) *source {
	s := &source{log: log, committed: map[string]int64{}, read: map[string]int64{}}
	for k := range log {
		s.keys = append(s.keys, k)
	}
	slices.Sort(s.keys)
	return s
}

// rewind makes the source read again from the committed offsets, as after
// a restart.
func (s *source) rewind() { s.read = maps.Clone(s.committed) }

// deliver hands the monitor the next batch of up to n events of every
// partition and reports whether any were left.
func (s *source) deliver(h *harness, n int) bool {
	any := false
	for _, k := range s.keys {
		from := s.read[k]
		evs := s.log[k][from:min(int(from)+n, len(s.log[k]))]
		for _, e := range evs {
			h.Observe(e.ev, pos(k, e.offset))
			any = true
		}
		s.read[k] = from + int64(len(evs))
	}
	return any
}

func TestRestartNeitherLosesNorDoubleCounts(t *testing.T) {
	md := model{numeric: 2, categorical: 1}
	p := md.profile(t, 500, 1)
	log := streamLog(md, 3000, []string{"A", "B"}, 4)
	total := uint64(0)
	for _, evs := range log {
		total += uint64(len(evs))
	}
	timeWindows := func() collectors.WindowConfig {
		return collectors.WindowConfig{Size: time.Minute, AllowedLateness: 30 * time.Second, MinEvents: 1}
	}
	countWindows := func() collectors.WindowConfig { return collectors.WindowConfig{Count: 170, MinEvents: 100} }
	fileCheckpointer := func(t *testing.T) Checkpointer {
		c, err := NewFileCheckpointer(t.TempDir())
		require.NoError(t, err)
		return c
	}
	memoryCheckpointer := func(*testing.T) Checkpointer { return NewMemoryCheckpointer() }
	for _, tc := range []struct {
		name   string
		window collectors.WindowConfig
		cp     func(*testing.T) Checkpointer
		// crashAfter is the batch after whose Sync the process dies, one
		// in which a window closes; commitLost drops that Sync's commit,
		// as when the process dies between Sync and the commit.
		crashAfter int
		commitLost bool
	}{
		{name: "time windows", window: timeWindows(), cp: memoryCheckpointer, crashAfter: 7},
		{name: "time windows, last commit lost", window: timeWindows(), cp: memoryCheckpointer, crashAfter: 7, commitLost: true},
		{name: "time windows, file checkpoint, last commit lost", window: timeWindows(), cp: fileCheckpointer, crashAfter: 11, commitLost: true},
		{name: "count windows", window: countWindows(), cp: memoryCheckpointer, crashAfter: 7},
		{name: "count windows, last commit lost", window: countWindows(), cp: memoryCheckpointer, crashAfter: 7, commitLost: true},
		{name: "count windows, file checkpoint, last commit lost", window: countWindows(), cp: fileCheckpointer, crashAfter: 12, commitLost: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := md.config()
			cfg.Window = tc.window

			// The reference: one uninterrupted run.
			ref := setup(t, cfg, p, Options{DisableIdleClose: true})
			for src := newSource(log); src.deliver(ref, 37); {
				ref.sync(t)
			}
			ref.flush(t)
			want := ref.snap(t)
			require.Equal(t, total, want.WindowEvents(DriftWindow))

			h := setup(t, cfg, p, Options{DisableIdleClose: true, Checkpointer: tc.cp(t)})
			src := newSource(log)
			for batch := 1; src.deliver(h, 37); batch++ {
				offsets := h.sync(t)
				if batch == tc.crashAfter {
					if !tc.commitLost {
						src.committed = offsets
					}
					break
				}
				src.committed = offsets
			}
			before := h.snap(t)
			require.NotZero(t, before.WindowEvents(DriftWindow), "the crash should come after a published window")

			h.restart(t)
			src.rewind()
			for src.deliver(h, 37) {
				src.committed = h.sync(t)
			}
			h.flush(t)
			after := h.snap(t)

			require.Equal(t, total, before.WindowEvents(DriftWindow)+after.WindowEvents(DriftWindow), "events in published windows")
			if tc.commitLost {
				require.NotZero(t, after.Events(StreamPredictions, Late), "events of published windows read again are late")
			}
			for _, o := range []WindowOutcome{WindowEvaluated, WindowSkipped} {
				require.Equal(t, want.Windows(DriftWindow, o), before.Windows(DriftWindow, o)+after.Windows(DriftWindow, o), "%s windows", o)
			}
		})
	}
}

func TestCheckpointFailureHoldsBack(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	cp := NewMemoryCheckpointer()
	h := setup(t, md.config(), md.profile(t, 500, 1), Options{Checkpointer: cp})
	g := newGen(md, 2, nil)
	require.Equal(t, Accepted, h.Observe(g.prediction("a", at(0)), pos("A", 0)))
	require.Equal(t, map[string]int64{"A": 0}, h.sync(t))

	cp.SetErr(errors.New("disk full"))
	require.Equal(t, Accepted, h.Observe(g.prediction("b", at(2*time.Minute)), pos("A", 1)))
	_, err := h.Sync(context.Background())
	require.ErrorContains(t, err, "disk full")
	require.Zero(t, h.snap(t).WindowEvents(DriftWindow), "a window is published only once its close is saved")

	cp.SetErr(nil)
	require.Equal(t, map[string]int64{"A": 1}, h.sync(t))
	require.Equal(t, uint64(1), h.snap(t).WindowEvents(DriftWindow))
	saved, ok, err := cp.Load(context.Background(), "churn")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, at(time.Minute), saved.Drift.ClosedUntil)
}

func TestRevoke(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	p := md.profile(t, 500, 1)
	type ev struct {
		key    string
		offset int64
		at     time.Duration
	}
	for _, tc := range []struct {
		name   string
		events []ev
		revoke []string
		// wantExtra are the partitions revoked beyond those asked for;
		// wantOffsets the safe offsets right after Revoke.
		wantExtra   []string
		wantOffsets map[string]int64
		discarded   uint64
		// redeliver are the events read again after Revoke, from the
		// revoked partitions' committed offsets.
		redeliver []ev
	}{
		{
			name:        "every partition",
			events:      []ev{{"A", 0, 10 * time.Second}, {"B", 0, 20 * time.Second}, {"A", 1, 70 * time.Second}},
			revoke:      []string{"A", "B"},
			wantOffsets: map[string]int64{},
			discarded:   2,
			redeliver:   []ev{{"A", 0, 10 * time.Second}, {"B", 0, 20 * time.Second}, {"A", 1, 70 * time.Second}},
		},
		{
			name:        "a partition with windows of its own",
			events:      []ev{{"A", 0, 10 * time.Second}, {"B", 0, 70 * time.Second}},
			revoke:      []string{"A"},
			wantOffsets: map[string]int64{"B": 0},
			discarded:   1,
			redeliver:   []ev{{"A", 0, 10 * time.Second}},
		},
		{
			name:        "a partition that shares a window",
			events:      []ev{{"A", 0, 10 * time.Second}, {"B", 0, 20 * time.Second}, {"B", 1, 70 * time.Second}, {"C", 0, 130 * time.Second}},
			revoke:      []string{"A"},
			wantExtra:   []string{"B"},
			wantOffsets: map[string]int64{"C": 0},
			discarded:   2,
			redeliver:   []ev{{"A", 0, 10 * time.Second}, {"B", 0, 20 * time.Second}, {"B", 1, 70 * time.Second}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := md.config()
			cfg.Window.AllowedLateness = 5 * time.Minute
			h := setup(t, cfg, p, Options{})
			g := newGen(md, 2, nil)
			for _, e := range tc.events {
				require.Equal(t, Accepted, h.Observe(g.prediction("x", at(e.at)), pos(e.key, e.offset)))
			}
			h.sync(t)
			require.Equal(t, tc.wantExtra, h.Revoke(tc.revoke...))
			if diff := cmp.Diff(tc.wantOffsets, h.sync(t)); diff != "" {
				t.Errorf("offsets after Revoke (-want +got):\n%s", diff)
			}
			require.Equal(t, tc.discarded, h.snap(t).Windows(DriftWindow, WindowDiscarded))
			for _, e := range tc.redeliver {
				require.Equal(t, Accepted, h.Observe(g.prediction("x", at(e.at)), pos(e.key, e.offset)))
			}
			h.flush(t)
			require.Equal(t, uint64(len(tc.events)), h.snap(t).WindowEvents(DriftWindow), "each event counted once")
		})
	}
}
