package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// example returns the path of testdata/config/example.yaml, which runs
// as it is, and moves the working directory, where storage.dir lives, to a
// temporary one.
func example(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs("../../testdata/config/example.yaml")
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	return path
}

// exampleWith writes a copy of the example configuration, with its
// relative paths made absolute and the replacements applied, into a
// temporary directory, and returns its path.
func exampleWith(t *testing.T, oldnew ...string) string {
	t.Helper()
	path := example(t)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	dir := filepath.Dir(path)
	oldnew = append(oldnew,
		"../replay/", filepath.Join(dir, "../replay")+"/",
		"../reference/", filepath.Join(dir, "../reference")+"/",
		"{file: secrets/", "{file: "+filepath.Join(dir, "secrets")+"/")
	copyPath := filepath.Join(t.TempDir(), "example.yaml")
	require.NoError(t, os.WriteFile(copyPath, []byte(strings.NewReplacer(oldnew...).Replace(string(data))), 0o644))
	return copyPath
}

// syncBuffer collects a command's stderr while the test reads it.
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

// scrape fetches and parses /metrics.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return mfs
}

// series returns the values of a metric's series by their labels other
// than model, for one model, as "k=v,k=v" keys in label name order.
func series(mfs map[string]*dto.MetricFamily, name, modelName string) map[string]float64 {
	out := map[string]float64{}
	mf, ok := mfs[name]
	if !ok {
		return out
	}
	for _, m := range mf.GetMetric() {
		var key []string
		match := false
		for _, l := range m.GetLabel() {
			if l.GetName() == "model" {
				match = l.GetValue() == modelName
				continue
			}
			key = append(key, l.GetName()+"="+l.GetValue())
		}
		if !match {
			continue
		}
		v := m.GetGauge().GetValue()
		if c := m.GetCounter(); c != nil {
			v = c.GetValue()
		}
		out[strings.Join(key, ",")] = v
	}
	return out
}

var listening = regexp.MustCompile(`msg="http server listening" addr=(\S+)`)

// TestRunReplayServesMetrics runs `driftwatch run -c
// testdata/config/example.yaml`, unchanged. Its credit-risk model replays the committed fixture,
// whose last windows drift on income alone; its demand-forecast model
// reads from a Kafka broker that does not exist, so it is reported as not
// ready while credit-risk is monitored. After the replay driftwatch keeps
// serving /metrics until it is interrupted, and then exits 0.
func TestRunReplayServesMetrics(t *testing.T) {
	cfg := example(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	codes := make(chan int, 1)
	go func() { codes <- Main(ctx, []string{"run", "-c", cfg, "--listen", "127.0.0.1:0"}, io.Discard, stderr) }()

	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(stderr.String())
		if m != nil {
			base = "http://" + m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "stderr:\n%s", stderr)
	var mfs map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		mfs = scrape(t, base)
		return series(mfs, "driftwatch_source_replay_finished", "credit-risk")[""] == 1
	}, 20*time.Second, 20*time.Millisecond, "stderr:\n%s", stderr)

	const m = "credit-risk"
	require.Equal(t, map[string]float64{
		"feature=age,method=wasserstein":          0,
		"feature=credit_lines,method=wasserstein": 0,
		"feature=debt_ratio,method=psi":           0,
		"feature=employment,method=jensenshannon": 0,
		"feature=income,method=wasserstein":       1,
		"feature=region,method=jensenshannon":     0,
	}, series(mfs, "driftwatch_drift_feature_drifted", m), "income drifts, and nothing else; account_id_hash is not tested")
	require.Equal(t, map[string]float64{"": 0}, series(mfs, "driftwatch_drift_dataset_drifted", m))
	require.InDelta(t, 1.0/6, series(mfs, "driftwatch_drift_dataset_drifted_features_ratio", m)[""], 1e-12)
	require.Equal(t, map[string]float64{"method=jensenshannon": 0}, series(mfs, "driftwatch_drift_prediction_drifted", m))
	require.Greater(t, series(mfs, "driftwatch_drift_feature_statistic", m)["feature=income,method=wasserstein"], 0.3)

	require.Equal(t, map[string]float64{
		"outcome=accepted,stream=predictions": 2000, "outcome=rejected,stream=predictions": 3, "outcome=late,stream=predictions": 0,
		"outcome=accepted,stream=labels": 1572, "outcome=rejected,stream=labels": 0, "outcome=late,stream=labels": 0,
	}, series(mfs, "driftwatch_events_consumed_total", m))
	rejected := series(mfs, "driftwatch_events_rejected_total", m)
	for reason, n := range rejected {
		want := map[string]float64{"reason=malformed_json": 1, "reason=unknown_model": 1, "reason=score_out_of_range": 1}[reason]
		require.Equal(t, want, n, reason)
	}
	joins := series(mfs, "driftwatch_labels_join_total", m)
	require.Equal(t, 1570.0, joins["outcome=joined"])
	require.Equal(t, 1.0, joins["outcome=duplicate"])
	require.Equal(t, 1.0, joins["outcome=unmatched"])

	windows := series(mfs, "driftwatch_window_closed_total", m)
	require.Equal(t, 4.0, windows["outcome=evaluated,window=drift"])
	require.Zero(t, windows["outcome=skipped,window=drift"])
	require.Equal(t, 500.0, series(mfs, "driftwatch_window_events", m)["window=drift"])
	end := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	require.Equal(t, float64(end.Unix()), series(mfs, "driftwatch_window_end_timestamp_seconds", m)["window=drift"])
	quality := series(mfs, "driftwatch_quality_value", m)
	require.InDelta(t, 0.8, quality["metric=roc_auc"], 0.1)
	require.InDelta(t, 0.15, quality["metric=brier"], 0.1)

	resp, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "not ready: model demand-forecast: consumer has not joined its group yet\n", string(body))

	time.Sleep(100 * time.Millisecond)
	require.Equal(t, 2000.0, series(scrape(t, base), "driftwatch_events_consumed_total", m)["outcome=accepted,stream=predictions"], "still serving after the replay")
	cancel()
	select {
	case code := <-codes:
		require.Equal(t, ExitOK, code, "stderr:\n%s", stderr)
	case <-time.After(20 * time.Second):
		t.Fatal("driftwatch run did not stop after its context ended")
	}
}

// TestRunExitAfterReplay checks that --exit-after-replay ends the command
// by itself, with status 0, once the replay is over.
func TestRunExitAfterReplay(t *testing.T) {
	cfg := example(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	code := Main(ctx, []string{"run", "-c", cfg, "--listen", "127.0.0.1:0", "--exit-after-replay"}, io.Discard, &stderr)
	require.Equal(t, ExitOK, code, "stderr:\n%s", stderr.String())
	require.NoError(t, ctx.Err(), "the command exited by itself")
	require.Contains(t, stderr.String(), `msg="replay finished" model=credit-risk`)
}

func TestRunErrors(t *testing.T) {
	const cfgDir = "../../testdata/config/"
	tests := []struct {
		name     string
		args     func(t *testing.T) []string
		wantCode int
		want     string
	}{
		{
			name:     "invalid configuration",
			args:     func(*testing.T) []string { return []string{"run", "-c", cfgDir + "feature-type.bad.yaml"} },
			wantCode: ExitError, want: `models[0].features[2].type: unknown type "floatt"`,
		},
		{
			name:     "bad --listen",
			args:     func(t *testing.T) []string { return []string{"run", "-c", example(t), "--listen", "nowhere"} },
			wantCode: ExitUsage, want: `driftwatch: --listen: listen: "nowhere" is not host:port`,
		},
		{
			name: "exit after replay without a file model",
			args: func(t *testing.T) []string {
				return []string{"run", "-c", "../../testdata/config/kafka.good.yaml", "--exit-after-replay"}
			},
			wantCode: ExitUsage, want: "driftwatch: --exit-after-replay: no model of the configuration reads from files",
		},
		{
			name: "missing secret",
			args: func(t *testing.T) []string {
				cfg := exampleWith(t, "{file: secrets/webhook-token}", "{env: DRIFTWATCH_TEST_UNSET_TOKEN}")
				t.Setenv("DRIFTWATCH_TEST_UNSET_TOKEN", "")
				os.Unsetenv("DRIFTWATCH_TEST_UNSET_TOKEN")
				return []string{"run", "-c", cfg}
			},
			wantCode: ExitError, want: "driftwatch: app: server.auth.bearer_token: secret from environment variable DRIFTWATCH_TEST_UNSET_TOKEN: variable is not set",
		},
		{
			name: "address in use",
			args: func(t *testing.T) []string {
				cfg := example(t)
				ln := listen(t)
				return []string{"run", "-c", cfg, "--listen", ln}
			},
			wantCode: ExitError, want: "address already in use",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args(t)...)
			require.Equal(t, tc.wantCode, code, "stderr:\n%s", stderr)
			require.Contains(t, stderr, tc.want)
		})
	}
}

// listen holds a port for the test and returns its address.
func listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}
