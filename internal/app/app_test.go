package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/config/secret"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/server"
)

// configDir holds the example configuration, whose relative paths point
// at the committed replay and reference fixtures.
const configDir = "../../testdata/config"

// exampleConfig loads the example configuration with the server on a free
// port, no authentication, and state in a temporary directory.
func exampleConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join(configDir, "example.yaml"))
	require.NoError(t, err)
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.Auth = server.AuthConfig{}
	cfg.Storage.Dir = t.TempDir()
	return cfg
}

// replayConfig is the example configuration with its file model only.
func replayConfig(t *testing.T) *config.Config {
	cfg := exampleConfig(t)
	cfg.Models = cfg.Models[:1]
	require.Equal(t, "credit-risk", cfg.Models[0].Name)
	return cfg
}

// syncBuffer is a log destination that tests read while the app writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testOptions(cfg *config.Config, logs io.Writer) Options {
	if logs == nil {
		logs = io.Discard
	}
	return Options{
		Config:    cfg,
		ConfigDir: configDir,
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry:  prometheus.NewPedanticRegistry(),
	}
}

// gauge returns the value of the series of name whose labels include
// labels, from a registry.
func gauge(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabels(m, labels) {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue(), true
				}
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// TestLifecycle starts the app on the replay fixture, waits until it is
// ready and has replayed, and checks that Stop undoes Start in reverse:
// the sources stop first and the HTTP server last, after which the
// model's metrics are gone and nothing listens.
func TestLifecycle(t *testing.T) {
	logs := &syncBuffer{}
	opts := testOptions(replayConfig(t), logs)
	a, err := New(opts)
	require.NoError(t, err)
	require.EqualError(t, a.Ready(), "not started")

	require.NoError(t, a.Start(t.Context()))
	require.EqualError(t, a.Start(t.Context()), "app: Start was already called")
	base := "http://" + a.Addr()
	require.Eventually(t, func() bool { return a.Ready() == nil }, 10*time.Second, 10*time.Millisecond)
	code, body := get(t, base+"/readyz")
	require.Equal(t, http.StatusOK, code, body)
	require.Eventually(t, func() bool {
		v, _ := gauge(t, opts.Registry, "driftwatch_source_replay_finished", map[string]string{"model": "credit-risk"})
		return v == 1
	}, 10*time.Second, 10*time.Millisecond)
	code, body = get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `driftwatch_window_closed_total{model="credit-risk",outcome="evaluated",window="drift"} 4`)
	require.NoError(t, a.Ready(), "a finished replay stays ready")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, a.Stop(ctx))
	require.NoError(t, a.Stop(ctx), "Stop may be called again")

	stopped := regexp.MustCompile(`msg=stopped component="?([a-z ]+?)"?\n`).FindAllStringSubmatch(logs.String(), -1)
	var order []string
	for _, m := range stopped {
		order = append(order, m[1])
	}
	want := []string{"sources", "pipelines", "triggers", "dead letter writers", "monitors", "http server", "store"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("stop order (-want +got):\n%s", diff)
	}
	require.Empty(t, a.store.Models(), "closed monitors leave no metrics behind")
	_, err = http.Get(base + "/healthz")
	require.Error(t, err, "the server no longer listens")
}

// TestModelsStartIndependently runs the whole example configuration, whose
// Kafka model points at a broker that does not exist: the file model is
// monitored and its replay finishes, while /readyz names the Kafka model
// as not ready.
func TestModelsStartIndependently(t *testing.T) {
	opts := testOptions(exampleConfig(t), nil)
	opts.Secrets = secret.Resolver{
		ReadFile:  func(string) ([]byte, error) { return []byte("kafka-password"), nil },
		LookupEnv: func(string) (string, bool) { return "", false },
	}
	opts.Kafka.JoinBackoff = 100 * time.Millisecond
	a, err := New(opts)
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	t.Cleanup(func() { require.NoError(t, a.Stop(context.Background())) })

	require.Eventually(t, func() bool {
		v, _ := gauge(t, opts.Registry, "driftwatch_source_replay_finished", map[string]string{"model": "credit-risk"})
		return v == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.EqualError(t, a.Ready(), "model demand-forecast: consumer has not joined its group yet")
	code, body := get(t, "http://"+a.Addr()+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "not ready: model demand-forecast: consumer has not joined its group yet\n", body)
	ready, ok := gauge(t, opts.Registry, "driftwatch_source_ready", map[string]string{"model": "demand-forecast"})
	require.True(t, ok)
	require.Zero(t, ready)
}

// TestRunExitAfterReplay checks that Run returns by itself once the
// replays are over, and returns nil.
func TestRunExitAfterReplay(t *testing.T) {
	opts := testOptions(replayConfig(t), nil)
	opts.ExitAfterReplay = true
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, Run(ctx, opts))
	require.NoError(t, ctx.Err(), "Run returned before its context ended")
}

// TestRunStopsOnModelFailure checks that a model that fails after Start (a
// profile that is not a profile) ends Run with its error.
func TestRunStopsOnModelFailure(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.profile.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"version": 1, "model": "credit-risk"`), 0o644))
	cfg := replayConfig(t)
	cfg.Models[0].Reference.Data, cfg.Models[0].Reference.Format = "", ""
	cfg.Models[0].Reference.Profile = bad
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := Run(ctx, testOptions(cfg, nil))
	require.ErrorContains(t, err, "model credit-risk: reference: read profile "+bad)
	require.NoError(t, ctx.Err())
}

func TestNewErrors(t *testing.T) {
	valid := func(t *testing.T) Options { return testOptions(replayConfig(t), nil) }
	tests := []struct {
		name   string
		modify func(t *testing.T, o *Options)
		want   []string
	}{
		{
			name:   "missing dependencies",
			modify: func(_ *testing.T, o *Options) { o.Logger, o.Registry, o.Config = nil, nil, nil },
			want:   []string{"app: Options.Config is required", "app: Options.Logger is required", "app: Options.Registry is required"},
		},
		{
			name: "exit after replay without a file model",
			modify: func(t *testing.T, o *Options) {
				o.Config = exampleConfig(t)
				o.Config.Models = o.Config.Models[1:]
				o.ExitAfterReplay = true
			},
			want: []string{"app: Options.ExitAfterReplay needs a model whose source is a file"},
		},
		{
			name: "missing data files",
			modify: func(_ *testing.T, o *Options) {
				m := &o.Config.Models[0]
				m.Source.File.LabelsPath = "../replay/nope-labels.jsonl"
				m.Reference.Data = "missing.csv"
			},
			want: []string{
				"app: model credit-risk: reference.data: open ../../testdata/config/missing.csv: no such file or directory",
				"app: model credit-risk: source.file.labels_path: open ../../testdata/replay/nope-labels.jsonl: no such file or directory",
			},
		},
		{
			name: "unresolvable server token",
			modify: func(t *testing.T, o *Options) {
				o.Config.Server.Auth = exampleConfig(t).Server.Auth
				o.Config.Server.Auth.BearerToken = secret.Ref{Env: "DRIFTWATCH_TEST_UNSET_TOKEN"}
			},
			want: []string{"app: server.auth.bearer_token: secret from environment variable DRIFTWATCH_TEST_UNSET_TOKEN: variable is not set"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := valid(t)
			tc.modify(t, &o)
			_, err := New(o)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestResolvePaths(t *testing.T) {
	cfg := replayConfig(t).Models[0]
	cfg.Reference.Profile = "/abs/profile.json"
	got := resolvePaths(cfg, "conf")
	want := map[string]string{
		"source.file.path":        "conf/../replay/credit-risk.jsonl",
		"source.file.labels_path": "conf/../replay/credit-risk-labels.jsonl",
		"reference.data":          "conf/../reference/credit-risk.csv",
		"reference.profile":       "/abs/profile.json",
	}
	gotPaths := map[string]string{
		"source.file.path":        got.Source.File.Path,
		"source.file.labels_path": got.Source.File.LabelsPath,
		"reference.data":          got.Reference.Data,
		"reference.profile":       got.Reference.Profile,
	}
	for k, v := range want {
		want[k] = filepath.Clean(v)
	}
	if diff := cmp.Diff(want, gotPaths); diff != "" {
		t.Errorf("resolved paths (-want +got):\n%s", diff)
	}
	require.Equal(t, "../replay/credit-risk.jsonl", cfg.Source.File.Path, "the caller's config is not changed")
	require.Equal(t, "rel/x", resolvePath("", "rel/x"), "no directory leaves paths as they are")
}

func TestCleanupStack(t *testing.T) {
	var s cleanupStack
	var ran []string
	step := func(name string, err error) {
		s.push(name, func(context.Context) error { ran = append(ran, name); return err })
	}
	step("server", nil)
	step("monitors", errors.New("disk full"))
	step("sources", nil)
	step("writers", errors.New("broker gone"))
	err := s.run(context.Background(), slog.New(slog.DiscardHandler))
	require.Equal(t, []string{"writers", "sources", "monitors", "server"}, ran, "last pushed runs first, and a failure stops nothing")
	require.EqualError(t, err, "stop writers: broker gone\nstop monitors: disk full")
	ran = nil
	require.NoError(t, s.run(context.Background(), slog.New(slog.DiscardHandler)))
	require.Empty(t, ran, "each step runs once")
	require.True(t, strings.HasPrefix(err.Error(), "stop "))
}
