package demo

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors/event"
)

var t0 = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// collector is a Sink that keeps every line, safe for concurrent use.
type collector struct {
	mu     sync.Mutex
	lines  map[event.Kind][][]byte
	onLine func(kind event.Kind, line []byte)
}

func (c *collector) Emit(kind event.Kind, line []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lines == nil {
		c.lines = map[event.Kind][][]byte{}
	}
	c.lines[kind] = append(c.lines[kind], line)
	if c.onLine != nil {
		c.onLine(kind, line)
	}
	return nil
}

func (c *collector) count(kind event.Kind) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.lines[kind])
}

// newTraffic returns traffic served by a model trained on baseline
// examples, with a recorder of every label.
func newTraffic(t *testing.T, opts TrafficOptions) (*Traffic, *collector, *Recorder) {
	t.Helper()
	if opts.Server == nil {
		s, err := NewServer(fit(t, draw(1000, Baseline, 1), "v1"))
		require.NoError(t, err)
		opts.Server = s
	}
	sink := &collector{}
	rec, err := NewRecorder(100_000, DefaultHoldoutEvery)
	require.NoError(t, err)
	opts.World, opts.Sink, opts.Recorder = World{Shift: DefaultShift()}, sink, rec
	tr, err := NewTraffic(opts)
	require.NoError(t, err)
	return tr, sink, rec
}

// TestTrafficEventsDecode decodes every event with the demo model's
// decoder, as driftwatch's sources do, and checks it against the example
// and the model that served it.
func TestTrafficEventsDecode(t *testing.T) {
	tr, sink, rec := newTraffic(t, TrafficOptions{Rate: 50, LabelDelay: time.Minute})
	m := tr.opts.Server.Model()
	require.NoError(t, tr.Tick(t0))
	require.NoError(t, tr.Flush(t0.Add(time.Second)))
	train, holdout := rec.Split()
	byID := map[string]Example{}
	for _, e := range append(train, holdout...) {
		byID[e.ID] = e
	}
	require.Len(t, byID, 50)

	dec, err := event.NewDecoder(ModelConfig(t.TempDir()))
	require.NoError(t, err)
	var ev event.Event
	for _, line := range sink.lines[event.KindPrediction] {
		require.NoError(t, dec.DecodeJSON(&ev, event.KindPrediction, line, time.Time{}), string(line))
		e, ok := byID[string(ev.ID)]
		require.True(t, ok, "prediction %s has no label", ev.ID)
		require.Equal(t, ModelName, string(ev.Model))
		require.Equal(t, "v1", string(ev.ModelVersion))
		require.Equal(t, t0, ev.Time)
		for i, x := range e.Row.Num {
			require.Equal(t, x, ev.Features[i].Num, numericNames[i])
		}
		for i, v := range e.Row.Cat {
			require.Equal(t, v, string(ev.Features[NumNumeric+i].Text), categoricalNames[i])
		}
		require.Equal(t, m.Predict(e.Row), ev.Score)
		require.Equal(t, m.Class(ev.Score), string(ev.Prediction.Text))
		require.False(t, ev.PredictionFromScore)
	}
	for _, line := range sink.lines[event.KindLabel] {
		require.NoError(t, dec.DecodeJSON(&ev, event.KindLabel, line, time.Time{}), string(line))
		require.Equal(t, byID[string(ev.ID)].Label(), string(ev.Label.Text))
		require.Equal(t, t0.Add(time.Second), ev.Time)
	}
}

func TestTrafficLabelDelay(t *testing.T) {
	tr, sink, rec := newTraffic(t, TrafficOptions{Rate: 10, LabelDelay: 2 * time.Second})
	steps := []struct {
		at         time.Duration
		wantLabels int
	}{
		{0, 0},
		{time.Second, 0},
		{2 * time.Second, 10},
		{3 * time.Second, 20},
		{3500 * time.Millisecond, 20},
	}
	for _, s := range steps {
		require.NoError(t, tr.Tick(t0.Add(s.at)))
		require.Equal(t, s.wantLabels, sink.count(event.KindLabel), "after the tick at %s", s.at)
		require.Equal(t, s.wantLabels, rec.Len())
	}
	require.NoError(t, tr.Flush(t0.Add(4*time.Second)))
	require.Equal(t, 50, sink.count(event.KindLabel))
	require.Equal(t, 50, tr.Served())
}

func TestTrafficShiftsAndReplays(t *testing.T) {
	run := func() (*Traffic, *collector) {
		tr, sink, _ := newTraffic(t, TrafficOptions{Seed: 3, Rate: 20, ShiftAt: t0.Add(time.Minute)})
		for i := range 4 {
			require.NoError(t, tr.Tick(t0.Add(time.Duration(i)*30*time.Second)))
		}
		return tr, sink
	}
	tr, a := run()
	require.Equal(t, Baseline, tr.Phase(t0.Add(59*time.Second)))
	require.Equal(t, Shifted, tr.Phase(t0.Add(time.Minute)))
	_, b := run()
	require.Empty(t, cmp.Diff(a.lines, b.lines), "the same options must replay the same events")
}

func TestWriterSink(t *testing.T) {
	var preds, labels bytes.Buffer
	tr, err := NewTraffic(TrafficOptions{Server: mustServer(t), Sink: WriterSink(&preds, &labels), Rate: 3})
	require.NoError(t, err)
	require.NoError(t, tr.Tick(t0))
	require.Equal(t, 3, bytes.Count(preds.Bytes(), []byte("\n")))
	require.Equal(t, 3, bytes.Count(labels.Bytes(), []byte("\n")))
	require.Equal(t, 3, bytes.Count(preds.Bytes(), []byte(`"score":`)))
	require.Equal(t, 0, bytes.Count(labels.Bytes(), []byte(`"score":`)))
}

func TestNewTrafficErrors(t *testing.T) {
	_, err := NewTraffic(TrafficOptions{World: World{Shift: Shift{Magnitude: 2}}, Rate: -1})
	require.Error(t, err)
	for _, want := range []string{"Server is required", "Sink is required", "outside [0, 1]", "must not be negative"} {
		require.ErrorContains(t, err, want)
	}
}

func mustServer(t *testing.T) *Server {
	t.Helper()
	s, err := NewServer(fit(t, draw(1000, Baseline, 1), "v1"))
	require.NoError(t, err)
	return s
}

// TestSwapWhileServing swaps the served model from another goroutine
// while traffic flows; run it with -race. Every prediction names the model
// that scored it, and once the new model served one, the old one serves
// no more.
func TestSwapWhileServing(t *testing.T) {
	dir := t.TempDir()
	v2 := fit(t, draw(1000, Shifted, 2), "v2-test")
	path := filepath.Join(dir, "model.json")
	require.NoError(t, v2.WriteFile(path))

	server := mustServer(t)
	served := make(chan struct{})
	swapped := make(chan struct{})
	var versions []string
	sink := &collector{onLine: func(kind event.Kind, line []byte) {
		if kind != event.KindPrediction {
			return
		}
		v := "v1"
		if bytes.Contains(line, []byte(`"model_version":"v2-test"`)) {
			v = "v2-test"
		}
		if len(versions) == 0 {
			close(served)
		}
		if v == "v2-test" && (len(versions) == 0 || versions[len(versions)-1] == "v1") {
			close(swapped)
		}
		versions = append(versions, v)
	}}
	tr, err := NewTraffic(TrafficOptions{World: World{Shift: DefaultShift()}, Server: server, Sink: sink, Rate: 5})
	require.NoError(t, err)

	stop := make(chan struct{})
	done := make(chan error)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := tr.Tick(t0.Add(time.Duration(i) * time.Second)); err != nil {
				done <- err
				return
			}
		}
	}()
	<-served
	_, err = server.Swap(filepath.Join(dir, "missing.json"))
	require.Error(t, err)
	got, err := server.Swap(path)
	require.NoError(t, err)
	require.Equal(t, "v2-test", got.Version)
	<-swapped
	close(stop)
	require.NoError(t, <-done)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	first := 0
	for first < len(versions) && versions[first] == "v1" {
		first++
	}
	require.Positive(t, first)
	for i, v := range versions[first:] {
		require.Equal(t, "v2-test", v, "prediction %d after the swap", first+i)
	}
}

func TestSwapRejectsAnotherModel(t *testing.T) {
	server := mustServer(t)
	other, err := Fit("fraud", draw(500, Baseline, 1), FitOptions{})
	require.NoError(t, err)
	other.Version = "v9"
	path := filepath.Join(t.TempDir(), "model.json")
	require.NoError(t, other.WriteFile(path))
	_, err = server.Swap(path)
	require.ErrorContains(t, err, fmt.Sprintf(`holds model "fraud", the server serves %q`, ModelName))
	require.Equal(t, "v1", server.Model().Version)
}
