package dashboards_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/internal/app"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/server"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// configDir holds the example configuration, whose relative paths point
// at the committed replay and reference fixtures.
const configDir = "../testdata/config"

// runnable loads the example configuration for a driftwatch started in
// the test: the server on a free port unless listen is given, no
// authentication, and its state in a temporary directory. Two features
// and the prediction are tested with hypothesis tests (ks and chisquare)
// instead of the distances the example picks, so that the p-value metrics
// are exported beside the distances' statistics. Kafka models point at a
// port where nothing listens, so that a broker someone runs on the
// example's 127.0.0.1:9092 is left alone. The local pipeline runs shell
// commands (see runnablePipeline).
func runnable(t *testing.T, listen string) *config.Config {
	t.Helper()
	cfg, err := config.Load(exampleConfig)
	require.NoError(t, err)
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	cfg.Server.Listen = listen
	cfg.Server.Auth = server.AuthConfig{}
	cfg.Storage.Dir = t.TempDir()
	m := &cfg.Models[0]
	require.Equal(t, "credit-risk", m.Name)
	for i, f := range m.Features {
		switch f.Name {
		case "age":
			m.Features[i].Drift.Method = drift.MethodKS
		case "employment":
			m.Features[i].Drift.Method = drift.MethodChiSquare
		}
	}
	m.Prediction.Drift.Method = drift.MethodChiSquare
	for i := range cfg.Models {
		if cfg.Models[i].Source.Type == collectors.SourceKafka {
			cfg.Models[i].Source.Kafka.Brokers = []string{testenv.FreeAddr(t)}
		}
	}
	runnablePipeline(t, cfg)
	return cfg
}

// startDriftwatch runs driftwatch in the test until the test ends, and
// returns once every file model has replayed its files. opts may change
// the options before the app is built.
func startDriftwatch(t *testing.T, cfg *config.Config, opts ...func(*app.Options)) (*app.App, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	o := app.Options{
		Config:    cfg,
		ConfigDir: configDir,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry:  reg,
	}
	for _, f := range opts {
		f(&o)
	}
	a, err := app.New(o)
	require.NoError(t, err)
	require.NoError(t, a.Start(context.Background()))
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			require.NoError(t, a.Stop(ctx))
		}
	}
	t.Cleanup(stop)
	require.Eventually(t, func() bool { return replayed(t, reg, cfg) }, time.Minute, 20*time.Millisecond,
		"driftwatch did not finish its replays")
	return a, reg
}

// replayed reports whether every file model's source has replayed its
// files, by its driftwatch_source_replay_finished metric.
func replayed(t *testing.T, g prometheus.Gatherer, cfg *config.Config) bool {
	t.Helper()
	fams := gather(t, g)
	for _, m := range cfg.Models {
		if m.Source.Type != collectors.SourceFile {
			continue
		}
		if !fams.has("driftwatch_source_replay_finished", map[string]string{"model": m.Name}, 1) {
			return false
		}
	}
	return true
}

// lagRegistry exports the consumer lag the way driftwatch does for a
// Kafka model: a monitor in a store whose lag reporter names one
// partition of each of the model's topics. No Kafka broker runs in the
// unit tests, so driftwatch run never fetches and never reports a lag.
func lagRegistry(t *testing.T, m collectors.ModelConfig) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	store, err := monitor.NewStore(monitor.StoreOptions{Registerer: reg})
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(configDir, m.Reference.Profile))
	require.NoError(t, err)
	profile, err := drift.DecodeProfile(data)
	require.NoError(t, err)
	topics := m.Source.Kafka.Topics
	mon, err := monitor.New(context.Background(), monitor.Options{
		Config: m, Profile: profile, Store: store, Checkpointer: monitor.NewMemoryCheckpointer(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Lag: func() []monitor.Lag {
			return []monitor.Lag{{Topic: topics.Predictions, Partition: 0, Messages: 42}, {Topic: topics.Labels, Partition: 3, Messages: 0}}
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = mon.Close() })
	return reg
}
