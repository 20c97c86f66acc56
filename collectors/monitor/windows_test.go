package monitor

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
)

// published summarises what a model has published about its drift
// windows.
type published struct {
	Evaluated, Skipped, Events, Late uint64
	// LastStart and LastEnd bound the latest published window, as offsets
	// from t0; -1 before the first.
	LastStart, LastEnd time.Duration
}

func publishedOf(s *Snapshot) published {
	p := published{
		Evaluated: s.Windows(DriftWindow, WindowEvaluated),
		Skipped:   s.Windows(DriftWindow, WindowSkipped),
		Events:    s.WindowEvents(DriftWindow),
		Late:      s.Events(StreamPredictions, Late),
		LastStart: -1, LastEnd: -1,
	}
	if s.Drift != nil {
		p.LastStart, p.LastEnd = s.Drift.Start.Sub(t0), s.Drift.End.Sub(t0)
	}
	return p
}

// step is one event of a test stream: its event time as an offset from t0
// and the outcome the test expects.
type step struct {
	at   time.Duration
	want Outcome
}

func run(t *testing.T, h *harness, g *gen, steps []step) {
	t.Helper()
	for i, s := range steps {
		got := h.Observe(g.prediction(id(i), at(s.at)), pos("p0", int64(i)))
		require.Equal(t, s.want, got, "event %d at %s", i, s.at)
	}
}

func TestTimeWindows(t *testing.T) {
	md := model{numeric: 2, categorical: 1}
	p := md.profile(t, 500, 1)
	for _, tc := range []struct {
		name      string
		lateness  time.Duration
		minEvents int
		steps     []step
		want      published
	}{
		{
			name:     "watermark past end plus lateness closes the window",
			lateness: 10 * time.Second,
			steps:    []step{{0, Accepted}, {30 * time.Second, Accepted}, {59 * time.Second, Accepted}, {70 * time.Second, Accepted}},
			want:     published{Evaluated: 1, Events: 3, LastStart: 0, LastEnd: time.Minute},
		},
		{
			name:     "a window stays open for its allowed lateness",
			lateness: 10 * time.Second,
			steps:    []step{{0, Accepted}, {30 * time.Second, Accepted}, {69 * time.Second, Accepted}, {50 * time.Second, Accepted}},
			want:     published{LastStart: -1, LastEnd: -1},
		},
		{
			name:     "an event for a closed window is late and changes nothing",
			lateness: 10 * time.Second,
			steps:    []step{{0, Accepted}, {70 * time.Second, Accepted}, {20 * time.Second, Late}, {59 * time.Second, Late}},
			want:     published{Evaluated: 1, Events: 1, Late: 2, LastStart: 0, LastEnd: time.Minute},
		},
		{
			name:      "a window with fewer than min_events is skipped",
			lateness:  10 * time.Second,
			minEvents: 3,
			steps:     []step{{0, Accepted}, {10 * time.Second, Accepted}, {2 * time.Minute, Accepted}},
			want:      published{Skipped: 1, Events: 2, LastStart: 0, LastEnd: time.Minute},
		},
		{
			name:     "several windows are open within a long lateness",
			lateness: 2 * time.Minute,
			steps: []step{
				{0, Accepted}, {65 * time.Second, Accepted}, {125 * time.Second, Accepted},
				{30 * time.Second, Accepted}, {90 * time.Second, Accepted}, {3 * time.Minute, Accepted},
			},
			want: published{Evaluated: 1, Events: 2, LastStart: 0, LastEnd: time.Minute},
		},
		{
			name:     "a jump in event time closes every window before it",
			lateness: 10 * time.Second,
			steps:    []step{{0, Accepted}, {65 * time.Second, Accepted}, {10 * time.Minute, Accepted}, {9 * time.Minute, Accepted}, {8*time.Minute + 59*time.Second, Late}},
			want:     published{Evaluated: 2, Events: 2, Late: 1, LastStart: time.Minute, LastEnd: 2 * time.Minute},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := md.config()
			cfg.Window.AllowedLateness = tc.lateness
			cfg.Window.MinEvents = max(tc.minEvents, 1)
			h := setup(t, cfg, p, Options{})
			run(t, h, newGen(md, 2, nil), tc.steps)
			h.sync(t)
			if diff := cmp.Diff(tc.want, publishedOf(h.snap(t))); diff != "" {
				t.Errorf("published (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCountWindows(t *testing.T) {
	md := model{numeric: 2, categorical: 1}
	cfg := md.config()
	cfg.Window = collectors.WindowConfig{Count: 4, MinEvents: 3}
	h := setup(t, cfg, md.profile(t, 500, 1), Options{})
	g := newGen(md, 2, nil)
	// Event times are out of order and far apart: count windows ignore
	// them, except to report a window's bounds.
	times := []time.Duration{5, 1, 3, 2, 40, 30, 20, 10, -10, 0}
	for i, s := range times {
		require.Equal(t, Accepted, h.Observe(g.prediction(id(i), at(s*time.Second)), pos("p0", int64(i))))
	}
	h.sync(t)
	want := published{Evaluated: 2, Events: 8, LastStart: 10 * time.Second, LastEnd: 40 * time.Second}
	if diff := cmp.Diff(want, publishedOf(h.snap(t))); diff != "" {
		t.Errorf("after 10 events (-want +got):\n%s", diff)
	}

	// The end of the input publishes the partial window, which has fewer
	// than min_events events.
	h.flush(t)
	want = published{Evaluated: 2, Skipped: 1, Events: 10, LastStart: -10 * time.Second, LastEnd: 0}
	if diff := cmp.Diff(want, publishedOf(h.snap(t))); diff != "" {
		t.Errorf("after Flush (-want +got):\n%s", diff)
	}
}

func TestIdleClose(t *testing.T) {
	md := model{numeric: 2, categorical: 1}
	p := md.profile(t, 500, 1)
	// Events at 0s to 50s arrive as they happen; the window [0, 1m) with
	// 10s of lateness closes by the wall clock once 1m + 10s - 50s = 20s
	// have passed without an event.
	for _, tc := range []struct {
		name    string
		disable bool
		quiet   time.Duration
		want    published
	}{
		{name: "not yet", quiet: 20*time.Second - time.Nanosecond, want: published{LastStart: -1, LastEnd: -1}},
		{name: "quiet for long enough", quiet: 20 * time.Second, want: published{Evaluated: 1, Events: 6, LastStart: 0, LastEnd: time.Minute}},
		{name: "disabled for replays", disable: true, quiet: time.Hour, want: published{LastStart: -1, LastEnd: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := setup(t, md.config(), p, Options{DisableIdleClose: tc.disable})
			g := newGen(md, 2, nil)
			for i := range 6 {
				ts := at(time.Duration(i) * 10 * time.Second)
				h.clock.Set(ts)
				require.Equal(t, Accepted, h.Observe(g.prediction(id(i), ts), pos("p0", int64(i))))
			}
			h.clock.Advance(tc.quiet)
			h.syncCaughtUp(t, "p0")
			if diff := cmp.Diff(tc.want, publishedOf(h.snap(t))); diff != "" {
				t.Errorf("published (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIdleCloseMakesLaterEventsLate(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	h := setup(t, md.config(), md.profile(t, 500, 1), Options{})
	g := newGen(md, 2, nil)
	h.clock.Set(at(30 * time.Second))
	require.Equal(t, Accepted, h.Observe(g.prediction("a", at(30*time.Second)), pos("p0", 0)))
	h.clock.Advance(time.Minute)
	h.syncCaughtUp(t, "p0")
	require.Equal(t, Late, h.Observe(g.prediction("b", at(40*time.Second)), pos("p0", 1)))
	require.Equal(t, Accepted, h.Observe(g.prediction("c", at(61*time.Second)), pos("p0", 2)))
}

func TestMaxOpenWindows(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	cfg := md.config()
	cfg.Window.AllowedLateness = time.Hour
	h := setup(t, cfg, md.profile(t, 500, 1), Options{MaxOpenWindows: 2})
	run(t, h, newGen(md, 2, nil), []step{
		{0, Accepted},
		{5 * time.Minute, Accepted},
		{6 * time.Minute, Accepted},             // a third window: [0, 1m) closes early
		{30 * time.Second, Late},                // its window is closed
		{3 * time.Minute, Late},                 // would be older than every open window
		{5*time.Minute + time.Second, Accepted}, // [5m, 6m) is still open
	})
	h.sync(t)
	want := published{Evaluated: 1, Events: 1, Late: 2, LastStart: 0, LastEnd: time.Minute}
	if diff := cmp.Diff(want, publishedOf(h.snap(t))); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
}

func TestFutureSkew(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	p := md.profile(t, 500, 1)
	for _, tc := range []struct {
		name string
		skew time.Duration
		want Outcome
	}{
		{name: "default skew rejects two hours ahead", want: Rejected},
		{name: "a wider skew accepts", skew: 3 * time.Hour, want: Accepted},
		{name: "a negative skew turns the check off", skew: -1, want: Accepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := setup(t, md.config(), p, Options{MaxFutureSkew: tc.skew})
			got := h.Observe(newGen(md, 2, nil).prediction("a", at(2*time.Hour)), pos("p0", 0))
			require.Equal(t, tc.want, got)
			h.sync(t)
			var want uint64
			if tc.want == Rejected {
				want = 1
			}
			require.Equal(t, want, h.snap(t).Rejections(ReasonFutureTimestamp))
			require.Equal(t, want, h.snap(t).Events(StreamPredictions, Rejected))
		})
	}
}

func TestPartitionWatermarks(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	p := md.profile(t, 500, 1)
	// Windows are one minute with 10s of allowed lateness. Partition A
	// delivers an event every 10s up to 5m, each as it happens; B is
	// slower. Every case ends with a Sync at 5m.
	type ev struct {
		key string
		at  time.Duration
	}
	var fast []ev
	for s := time.Duration(0); s <= 5*time.Minute; s += 10 * time.Second {
		fast = append(fast, ev{"A", s})
	}
	for _, tc := range []struct {
		name     string
		assign   []string
		before   []ev // delivered before A's events
		after    []ev // delivered after A's events
		caughtUp []string
		want     []Outcome // of the after events
		// published windows, and the end of the latest one
		windows uint64
		lastEnd time.Duration
	}{
		{
			name:    "a partition far behind the others is not late",
			before:  []ev{{"B", 5 * time.Second}},
			after:   []ev{{"B", 30 * time.Second}, {"B", 50 * time.Second}, {"B", 75 * time.Second}},
			want:    []Outcome{Accepted, Accepted, Accepted},
			windows: 1, lastEnd: time.Minute,
		},
		{
			name:    "windows close as the slowest partition passes them",
			before:  []ev{{"B", 5 * time.Second}},
			after:   []ev{{"B", 2*time.Minute + 15*time.Second}},
			want:    []Outcome{Accepted},
			windows: 2, lastEnd: 2 * time.Minute,
		},
		{
			name:    "an assigned partition without events holds windows open",
			assign:  []string{"A", "B"},
			windows: 0, lastEnd: -1,
		},
		{
			name:     "an assigned partition read to its end does not",
			assign:   []string{"A", "B"},
			caughtUp: []string{"B"},
			windows:  4, lastEnd: 4 * time.Minute,
		},
		{
			name:    "a quiet partition holds windows open while the source has not read it to its end",
			before:  []ev{{"B", 5 * time.Second}},
			windows: 0, lastEnd: -1,
		},
		{
			name:     "a quiet partition read to its end follows the wall clock",
			before:   []ev{{"B", 5 * time.Second}},
			caughtUp: []string{"B"},
			windows:  4, lastEnd: 4 * time.Minute,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := md.config()
			cfg.Window.AllowedLateness = 10 * time.Second
			h := setup(t, cfg, p, Options{})
			g := newGen(md, 2, nil)
			h.Assign(StreamPredictions, tc.assign...)
			offsets := map[string]int64{}
			observe := func(e ev) Outcome {
				ts := at(e.at)
				if ts.After(h.clock.Now()) {
					h.clock.Set(ts)
				}
				o := h.Observe(g.prediction(id(int(offsets[e.key])), ts), pos(e.key, offsets[e.key]))
				offsets[e.key]++
				return o
			}
			for _, e := range tc.before {
				require.Equal(t, Accepted, observe(e))
			}
			for _, e := range fast {
				require.Equal(t, Accepted, observe(e))
			}
			var got []Outcome
			for _, e := range tc.after {
				got = append(got, observe(e))
			}
			require.Equal(t, tc.want, got)
			h.syncCaughtUp(t, tc.caughtUp...)
			pub := publishedOf(h.snap(t))
			require.Equal(t, tc.windows, pub.Evaluated+pub.Skipped, "published windows")
			require.Equal(t, tc.lastEnd, pub.LastEnd)
		})
	}
}
