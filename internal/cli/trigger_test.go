package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/webhook"
)

// fakeRequester records the requests it gets and answers with a fixed
// decision or error.
type fakeRequester struct {
	mu       sync.Mutex
	got      []triggers.ManualRequest
	decision triggers.Decision
	err      error
}

func (f *fakeRequester) Request(_ context.Context, r triggers.ManualRequest) (triggers.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, r)
	return f.decision, f.err
}

// runsServer serves webhook.NewRuns over rq. With wantAuth set, a request
// whose Authorization header differs is refused as internal/server
// refuses it. The returned function reports the last Authorization header.
func runsServer(t *testing.T, rq webhook.Requester, wantAuth string) (*httptest.Server, func() string) {
	t.Helper()
	h, err := webhook.NewRuns(webhook.RunsOptions{Requester: rq, Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()})
	require.NoError(t, err)
	var mu sync.Mutex
	var gotAuth string
	mux := http.NewServeMux()
	mux.Handle(webhook.RunsPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotAuth = r.Header.Get("Authorization")
		mu.Unlock()
		if wantAuth != "" && r.Header.Get("Authorization") != wantAuth {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, func() string { mu.Lock(); defer mu.Unlock(); return gotAuth }
}

func manualDecision(o triggers.Outcome, reason string) triggers.Decision {
	return triggers.Decision{Key: "manual/k1", Origin: triggers.OriginManual, Model: "credit-risk", Outcome: o, Reason: reason, RunID: "run-7"}
}

func TestTrigger(t *testing.T) {
	t.Setenv(TokenEnv, "")
	t.Setenv("USER", "alice")
	tests := []struct {
		name       string
		args       []string
		decision   triggers.Decision
		err        error
		wantCode   int
		wantStdout string
		wantStderr string
		wantCalled bool
	}{
		{name: "started", decision: manualDecision(triggers.OutcomeStarted, "manual request"), wantCode: ExitOK, wantCalled: true,
			wantStdout: "outcome=started run_id=run-7 model=credit-risk reason=\"manual request\"\n"},
		{name: "queued", decision: manualDecision(triggers.OutcomeQueued, "waits for a slot"), wantCode: ExitOK, wantCalled: true,
			wantStdout: "outcome=queued run_id=run-7 model=credit-risk reason=\"waits for a slot\"\n"},
		{name: "deduplicated", decision: manualDecision(triggers.OutcomeDeduplicated, "idempotency key k1 seen before"), wantCode: ExitOK, wantCalled: true,
			wantStdout: "outcome=deduplicated run_id=run-7 model=credit-risk reason=\"idempotency key k1 seen before\"\n"},
		{name: "suppressed by concurrency", decision: manualDecision(triggers.OutcomeConcurrency, "1 run in flight"), wantCode: ExitError, wantCalled: true,
			wantStdout: "outcome=suppressed_concurrency run_id=run-7 model=credit-risk reason=\"1 run in flight\"\n",
			wantStderr: "409 Conflict: no run requested: suppressed_concurrency: 1 run in flight"},
		{name: "invalid", err: fmt.Errorf("unknown model: %w", triggers.ErrInvalid), wantCode: ExitError, wantCalled: true,
			wantStderr: "422 Unprocessable Entity: unknown model: invalid trigger"},
		{name: "unavailable", err: triggers.ErrUnavailable, wantCode: ExitError, wantCalled: true,
			wantStderr: "503 Service Unavailable: trigger engine unavailable, retry later"},
		{name: "missing reason", args: []string{"--reason="}, wantCode: ExitError, wantCalled: false,
			wantStderr: "422 Unprocessable Entity: invalid run request\n  reason: is required"},
		{name: "param without value", args: []string{"--param", "git_sha"}, wantCode: ExitUsage,
			wantStderr: `expected "<key>=<value>" but got "git_sha"`},
		{name: "server is not a URL", args: []string{"--server", "127.0.0.1:9400"}, wantCode: ExitUsage,
			wantStderr: `driftwatch: trigger: --server: "127.0.0.1:9400" is not an http:// or https:// URL`},
		{name: "server is ftp", args: []string{"--server", "ftp://example.com"}, wantCode: ExitUsage,
			wantStderr: `is not an http:// or https:// URL`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rq := &fakeRequester{decision: tc.decision, err: tc.err}
			srv, _ := runsServer(t, rq, "")
			args := []string{"trigger", "--server", srv.URL, "--model", "credit-risk", "--reason", "new labels",
				"--pipeline", "retrain", "--param", "git_sha=abc123", "--param", "lr=0.1;momentum=0.9", "--idempotency-key", "k1"}
			code, stdout, stderr := run(t, append(args, tc.args...)...)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			require.Equal(t, tc.wantStdout, stdout)
			require.Contains(t, stderr, tc.wantStderr)
			if !tc.wantCalled {
				require.Empty(t, rq.got)
				return
			}
			want := []triggers.ManualRequest{{
				Model: "credit-risk", Pipeline: "retrain", Reason: "new labels",
				Params:         map[string]string{"git_sha": "abc123", "lr": "0.1;momentum=0.9"},
				IdempotencyKey: "k1", RequestedBy: "alice",
			}}
			if diff := cmp.Diff(want, rq.got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTriggerConfig takes the server's address and credentials from the
// configuration, or the token from DRIFTWATCH_TOKEN.
func TestTriggerConfig(t *testing.T) {
	const bearer = "bearer_token: {file: secrets/webhook-token}"
	tests := []struct {
		name       string
		replace    []string // old, new pairs for the example configuration
		env        map[string]string
		wantAuth   string // what the server accepts
		wantCode   int
		wantStderr string
	}{
		{name: "bearer token file of the configuration", wantAuth: "Bearer " + exampleToken(t), wantCode: ExitOK},
		{name: "bearer token variable of the configuration", replace: []string{bearer, "bearer_token: {env: DRIFTWATCH_TEST_TOKEN}"},
			env: map[string]string{"DRIFTWATCH_TEST_TOKEN": "t0ken"}, wantAuth: "Bearer t0ken", wantCode: ExitOK},
		{name: "DRIFTWATCH_TOKEN wins", env: map[string]string{TokenEnv: "env-token"}, wantAuth: "Bearer env-token", wantCode: ExitOK},
		{name: "basic auth of the configuration", replace: []string{bearer, "basic: {username: ops, password: {env: DRIFTWATCH_TEST_PASSWORD}}"},
			env: map[string]string{"DRIFTWATCH_TEST_PASSWORD": "pa55"}, wantAuth: "Basic b3BzOnBhNTU=", wantCode: ExitOK},
		{name: "secret not set", replace: []string{bearer, "bearer_token: {env: DRIFTWATCH_TEST_TOKEN}"}, wantCode: ExitError,
			wantStderr: "driftwatch: trigger: server.auth.bearer_token: secret from environment variable DRIFTWATCH_TEST_TOKEN: variable is not set (or set DRIFTWATCH_TOKEN)"},
		{name: "wrong token", env: map[string]string{TokenEnv: "stale"}, wantAuth: "Bearer " + exampleToken(t), wantCode: ExitError,
			wantStderr: "refused the credentials: pass -c with the server's configuration, or set DRIFTWATCH_TOKEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(TokenEnv, "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			rq := &fakeRequester{decision: manualDecision(triggers.OutcomeStarted, "manual request")}
			srv, gotAuth := runsServer(t, rq, tc.wantAuth)
			path := exampleWith(t, append(tc.replace, "listen: 127.0.0.1:9400", "listen: "+srv.Listener.Addr().String())...)

			code, stdout, stderr := run(t, "trigger", "-c", path, "--model", "credit-risk", "--reason", "new labels")
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			require.Contains(t, stderr, tc.wantStderr)
			if tc.wantCode == ExitOK {
				require.Equal(t, tc.wantAuth, gotAuth())
				require.Contains(t, stdout, "outcome=started")
			}
		})
	}
}

// TestTriggerRelativeSecret resolves the example's relative token file from
// the configuration's directory, not the working directory.
func TestTriggerRelativeSecret(t *testing.T) {
	t.Setenv(TokenEnv, "")
	want := "Bearer " + exampleToken(t)
	srv, gotAuth := runsServer(t, &fakeRequester{decision: manualDecision(triggers.OutcomeStarted, "")}, want)
	path := example(t) // moves the working directory away from testdata
	code, stdout, stderr := run(t, "trigger", "-c", path, "--server", srv.URL, "--model", "credit-risk", "--reason", "r")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	require.Equal(t, want, gotAuth())
}

// exampleToken is the bearer token of the example configuration.
func exampleToken(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/config/secrets/webhook-token")
	require.NoError(t, err)
	return strings.TrimRight(string(b), "\r\n")
}

func TestTriggerServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	code, stdout, stderr := run(t, "trigger", "--server", srv.URL, "--model", "m", "--reason", "r")
	require.Equal(t, ExitError, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "driftwatch: trigger: Post \""+srv.URL+"/api/v1/runs\"")
}

func TestTriggerUsage(t *testing.T) {
	code, _, stderr := run(t, "trigger", "--reason", "r")
	require.Equal(t, ExitUsage, code)
	require.Contains(t, stderr, "missing flags: --model")
}

func TestListenURL(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:9400", "http://127.0.0.1:9400"},
		{":9400", "http://127.0.0.1:9400"},
		{"0.0.0.0:9400", "http://127.0.0.1:9400"},
		{"[::]:9400", "http://[::1]:9400"},
		{"driftwatch.example.internal:9400", "http://driftwatch.example.internal:9400"},
	}
	for _, tc := range tests {
		t.Run(tc.listen, func(t *testing.T) {
			require.Equal(t, tc.want, listenURL(tc.listen))
		})
	}
}
