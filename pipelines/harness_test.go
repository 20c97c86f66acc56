package pipelines_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/pipelines/local"
	"github.com/driftwatch/driftwatch/store"
)

// fakeClock is a clock whose timers fire at once, moving the clock on by
// their duration: backoffs and verify periods take no real time, and the
// durations asked for are recorded.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) pipelines.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return firedTimer{ch}
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

type firedTimer struct{ ch chan time.Time }

func (t firedTimer) C() <-chan time.Time { return t.ch }
func (t firedTimer) Stop() bool          { return false }

// fakeSource hands out the requests submitted to it and records reports.
type fakeSource struct {
	reqs chan pipelines.Request
	mu   sync.Mutex
	got  []finishCall
	// finishErr, when set, answers the next calls of Finish.
	finishErr []error
}

type finishCall struct {
	ID      string
	Outcome pipelines.Outcome
	Message string
}

func (s *fakeSource) Next(ctx context.Context) (pipelines.Request, error) {
	select {
	case r := <-s.reqs:
		return r, nil
	case <-ctx.Done():
		return pipelines.Request{}, ctx.Err()
	}
}

func (s *fakeSource) Finish(_ context.Context, id string, o pipelines.Outcome, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.finishErr) > 0 {
		err := s.finishErr[0]
		s.finishErr = s.finishErr[1:]
		return err
	}
	s.got = append(s.got, finishCall{ID: id, Outcome: o, Message: msg})
	return nil
}

func (s *fakeSource) calls() []finishCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]finishCall(nil), s.got...)
}

// recorder records the monitor switches, and observes with a function.
type recorder struct {
	mu       sync.Mutex
	switches []string
	observe  func(model, version string) pipelines.Observation
}

func (r *recorder) Switch(_ context.Context, model, version, profile string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := os.Stat(profile); err != nil {
		return err
	}
	r.switches = append(r.switches, model+"@"+version)
	return nil
}

func (r *recorder) Observe(_ context.Context, model, version string) (pipelines.Observation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.observe == nil {
		return pipelines.Observation{Windows: 2, DriftShare: 0.1}, nil
	}
	return r.observe(model, version), nil
}

func (r *recorder) Switches() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.switches...)
}

// harness is a Runner over a real store, with the local executor running
// this test binary as steps.
type harness struct {
	t        *testing.T
	dir      string // storage: the store and the runs
	state    string // the steps' files
	pipeline pipelines.Pipeline
	db       *store.DB
	runner   *pipelines.Runner
	src      *fakeSource
	rec      *recorder
	clock    *fakeClock
	reg      *prometheus.Registry
	stop     func()
}

// newHarness builds a Runner for testPipeline after mutate changes it, and
// with the Options that options change. dir and state may name the
// directories of an earlier process.
func newHarness(t *testing.T, dir, state string, mutate func(*pipelines.Pipeline), options ...func(*pipelines.Options)) *harness {
	t.Helper()
	if dir == "" {
		dir, state = t.TempDir(), t.TempDir()
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	h := &harness{t: t, dir: dir, state: state, pipeline: testPipeline(exe, state),
		src: &fakeSource{reqs: make(chan pipelines.Request, 10)}, rec: &recorder{}, clock: newFakeClock(), reg: prometheus.NewPedanticRegistry()}
	if mutate != nil {
		mutate(&h.pipeline)
	}
	h.db, err = store.Open(filepath.Join(dir, "driftwatch.db"), store.Options{OpenTimeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.db.Close() })
	opts := pipelines.Options{
		Pipelines: []pipelines.Pipeline{h.pipeline}, Store: h.db, Source: h.src, Switcher: h.rec, Observer: h.rec,
		Executors: map[pipelines.ExecutorType]pipelines.Executor{
			pipelines.ExecutorLocal: local.New(local.Options{KillGrace: 200 * time.Millisecond}),
		},
		Dir: dir, Registerer: h.reg, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		Now: h.clock.Now, NewTimer: h.clock.NewTimer,
	}
	for _, o := range options {
		o(&opts)
	}
	h.runner, err = pipelines.NewRunner(opts)
	require.NoError(t, err)
	return h
}

// start runs the Runner until the test ends.
func (h *harness) start() *harness {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.runner.Run(ctx) }()
	h.stop = func() {
		cancel()
		require.NoError(h.t, <-done)
	}
	h.t.Cleanup(func() {
		if h.stop != nil {
			h.stop()
		}
	})
	return h
}

// submit hands a run to the Runner.
func (h *harness) submit(id string, params map[string]string) {
	h.src.reqs <- pipelines.Request{
		ID: id, Model: "churn", Pipeline: h.pipeline.Name, Reason: "drift on 3 features", Params: params,
		Trigger:     pipelines.Trigger{Kind: pipelines.TriggerAlert, AlertName: "DriftwatchFeatureDrift", Fingerprint: "f1"},
		RequestedAt: h.clock.Now(),
	}
}

// seed makes v1 the champion.
func (h *harness) seed() {
	profile := filepath.Join(h.state, "v1-profile.json")
	require.NoError(h.t, os.WriteFile(profile, []byte("{}"), 0o644))
	require.NoError(h.t, h.runner.Registry().Seed(pipelines.Seed{
		Model: "churn", Version: "v1", ModelURI: "file:///models/churn/v1", ProfileURI: profile, By: "test", Reason: "bootstrap",
	}))
}

// wait polls the store until the run satisfies cond. The bound only
// keeps a broken test from hanging; nothing is timed.
func (h *harness) wait(id string, what string, cond func(pipelines.Run) bool) pipelines.Run {
	h.t.Helper()
	var run pipelines.Run
	require.Eventually(h.t, func() bool {
		var err error
		run, err = h.runner.Get(id)
		return err == nil && cond(run)
	}, time.Minute, 5*time.Millisecond, "run %s never became %s; last: state=%s error=%s", id, what, run.State, run.Error)
	return run
}

// waitEnd waits until the run ended and its end was reported.
func (h *harness) waitEnd(id string) pipelines.Run {
	h.t.Helper()
	return h.wait(id, "reported", func(r pipelines.Run) bool { return r.State.Terminal() && r.Reported != nil })
}

// waitFile waits until a step created the file.
func (h *harness) waitFile(name string) string {
	h.t.Helper()
	path := filepath.Join(h.state, name)
	require.Eventually(h.t, func() bool { return exists(path) }, time.Minute, 5*time.Millisecond, "no %s", name)
	return path
}

// lines returns the lines of one of the steps' files.
func (h *harness) lines(name string) []string {
	data, err := os.ReadFile(filepath.Join(h.state, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(h.t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// events returns the steps' events of one kind, such as "done".
func (h *harness) events(kind string) []string {
	var out []string
	for _, l := range h.lines("events") {
		if strings.HasSuffix(l, " event="+kind) {
			out = append(out, strings.TrimSuffix(l, " event="+kind))
		}
	}
	return out
}

func (h *harness) touch(name string) {
	require.NoError(h.t, os.WriteFile(filepath.Join(h.state, name), nil, 0o644))
}

// testWriter sends the Runner's log to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
