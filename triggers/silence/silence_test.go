package silence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/testenv"
)

// newClient builds a client on a pedantic registry of its own. Options the
// caller leaves out get test defaults.
func newClient(t *testing.T, opts Options) *Client {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewPedanticRegistry()
	}
	c, err := New(opts)
	require.NoError(t, err)
	return c
}

// count is the request counter's value for one operation and result.
func count(c *Client, op operation, r result) float64 {
	return testutil.ToFloat64(c.metrics.requests.WithLabelValues(string(op), string(r)))
}

// total is the sum of the request counter over all its series.
func total(c *Client) float64 {
	var sum float64
	for _, op := range operations {
		for _, r := range results {
			sum += count(c, op, r)
		}
	}
	return sum
}

func TestNewRejectsBadOptions(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr []string
	}{
		{"no URL", Options{Logger: log, Registerer: reg}, []string{"Options.URL: is required"}},
		{"no scheme", Options{URL: "alertmanager:9093", Logger: log, Registerer: reg}, []string{"must start with http:// or https://"}},
		{"no host", Options{URL: "http:///api", Logger: log, Registerer: reg}, []string{"has no host"}},
		{"query", Options{URL: "http://am:9093/?x=1", Logger: log, Registerer: reg}, []string{"must not have a query or fragment"}},
		{"negative timeout", Options{URL: "http://am:9093", Timeout: -time.Second, Logger: log, Registerer: reg}, []string{"Options.Timeout must not be negative"}},
		{"everything missing", Options{}, []string{"Options.URL", "Options.Logger is required", "Options.Registerer is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			require.Error(t, err)
			for _, want := range tc.wantErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name, base, want string
	}{
		{"host only", "http://am:9093", "http://am:9093/api/v2/silence/abc"},
		{"slash", "http://am:9093/", "http://am:9093/api/v2/silence/abc"},
		{"route prefix", "https://example.com/alertmanager", "https://example.com/alertmanager/api/v2/silence/abc"},
		{"route prefix and slash", "https://example.com/alertmanager/", "https://example.com/alertmanager/api/v2/silence/abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, Options{URL: tc.base})
			require.Equal(t, tc.want, c.endpoint("silence", "abc").String())
		})
	}
}

func TestSilenceModelRejectsBadInput(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	// Nothing listens here; a request would show up as an error count.
	c := newClient(t, Options{URL: "http://127.0.0.1:1", Now: func() time.Time { return now }})
	for _, tc := range []struct {
		name       string
		model      string
		alertnames []string
		until      time.Time
		wantErr    string
	}{
		{"end is now", "m", []string{"A"}, now, "the end 2030-01-02T03:04:05Z is not after now (2030-01-02T03:04:05Z)"},
		{"end is past", "m", []string{"A"}, now.Add(-time.Minute), "is not after now"},
		{"no model", "", []string{"A"}, now.Add(time.Hour), "the model is required"},
		{"no alert names", "m", nil, now.Add(time.Hour), "at least one alert name is required"},
		{"empty alert name", "m", []string{"A", ""}, now.Add(time.Hour), "alert names must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SilenceModel(t.Context(), tc.model, tc.alertnames, tc.until, "")
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	require.Zero(t, total(c), "invalid input must not reach Alertmanager")
}

func TestAlternation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		want  string
	}{
		{"one", []string{"DriftwatchFeatureDrift"}, "DriftwatchFeatureDrift"},
		{"sorted", []string{"B", "A", "C"}, "A|B|C"},
		{"deduplicated", []string{"A", "B", "A"}, "A|B"},
		{"quoted", []string{"a.b", "c|d", "(e)*"}, `\(e\)\*|a\.b|c\|d`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, alternation(tc.names))
		})
	}
}

func TestIDIsRequired(t *testing.T) {
	c := newClient(t, Options{URL: "http://127.0.0.1:1"})
	require.ErrorContains(t, c.Expire(t.Context(), ""), "the silence ID is required")
	_, err := c.Get(t.Context(), "")
	require.ErrorContains(t, err, "the silence ID is required")
	require.Zero(t, total(c))
}

// TestUnreachable covers an Alertmanager that cannot answer: one that
// accepts connections and never answers (the Timeout ends the call), and one
// that hangs up at once.
func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		serve      func(net.Conn)
		wantResult result
		wantIs     error
		wantText   string
	}{
		{"never answers", func(net.Conn) {}, resultTimeout, context.DeadlineExceeded, `silence: model "m": no answer in time (timeout 100ms): Post "`},
		{"hangs up", func(c net.Conn) { c.Close() }, resultNetwork, nil, `silence: model "m": Post "`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := listen(t, tc.serve)
			c := newClient(t, Options{URL: url, Timeout: 100 * time.Millisecond})
			_, err := c.SilenceModel(t.Context(), "m", []string{"A"}, time.Now().Add(time.Hour), "")
			require.Error(t, err)
			require.ErrorContains(t, err, tc.wantText+url+`/api/v2/silences"`)
			if tc.wantIs != nil {
				require.ErrorIs(t, err, tc.wantIs)
			}
			require.Equal(t, 1.0, count(c, opCreate, tc.wantResult))
			require.Equal(t, 1.0, total(c))
		})
	}
}

// listen serves connections on a free 127.0.0.1 port with serve and
// returns the base URL. Connections left open are closed at cleanup.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			serve(c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

func TestCallerCancel(t *testing.T) {
	c := newClient(t, Options{URL: listen(t, func(net.Conn) {})})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Get(ctx, "6975bc94-e64d-4cd0-b741-3f31851754c6")
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 1.0, count(c, opGet, resultCanceled))
}

func TestMessage(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"handler string", `"Failed to create silence: start time must be before end time"`, "Failed to create silence: start time must be before end time"},
		{"validation object", `{"code":601,"message":"silenceID in path must be of type uuid: \"x\""}`, `silenceID in path must be of type uuid: "x"`},
		{"proxy text", "missing or wrong\nbearer token\n", "missing or wrong bearer token"},
		{"proxy json error", `{"error":"forbidden"}`, "forbidden"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, message([]byte(tc.body)))
		})
	}
}

func TestClassify(t *testing.T) {
	status := func(code int, msg string) error {
		return fmt.Errorf("wrapped: %w", &statusError{method: "DELETE", path: "/api/v2/silence/x", code: code, message: msg})
	}
	for _, tc := range []struct {
		name string
		err  error
		want result
	}{
		{"success", nil, resultSuccess},
		{"404", status(http.StatusNotFound, ""), resultNotFound},
		{"0.25's unknown silence", status(http.StatusInternalServerError, "silence not found"), resultNotFound},
		{"other 500", status(http.StatusInternalServerError, "boom"), resultServerError},
		{"503", status(http.StatusServiceUnavailable, ""), resultServerError},
		{"400", status(http.StatusBadRequest, "bad"), resultClientError},
		{"401", status(http.StatusUnauthorized, ""), resultClientError},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), resultTimeout},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), resultCanceled},
		{"bad answer", fmt.Errorf("x: %w", errBadAnswer), resultBadAnswer},
		{"other", errors.New("connection reset by peer"), resultNetwork},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, classify(context.Background(), tc.err))
		})
	}
}

func TestStatusErrorText(t *testing.T) {
	err := &statusError{method: "POST", path: "/api/v2/silences", code: 400, message: "start time must be before end time"}
	require.Equal(t, "POST /api/v2/silences: alertmanager answered 400 Bad Request: start time must be before end time", err.Error())
}

func TestMetricsLint(t *testing.T) {
	c := newClient(t, Options{URL: "http://127.0.0.1:1"})
	problems, err := testutil.CollectAndLint(c.metrics.requests)
	require.NoError(t, err)
	require.Empty(t, problems)
	require.Equal(t, len(operations)*len(results), testutil.CollectAndCount(c.metrics.requests),
		"every operation and result is exported from the start")
	for _, r := range results {
		require.False(t, strings.ContainsAny(string(r), " -"), "result %q is a label value in snake_case", r)
	}
}

func TestMetricsPassPromtool(t *testing.T) {
	promtool := testenv.Require(t, testenv.Promtool)
	reg := prometheus.NewPedanticRegistry()
	newClient(t, Options{URL: "http://127.0.0.1:1", Registerer: reg})
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = &text
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool check metrics:\n%s", out)
}
