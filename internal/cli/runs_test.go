package cli

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/pipelines/local"
	"github.com/driftwatch/driftwatch/store"
)

// pipelineAPI is a real Runner with shell steps over a temporary store,
// serving its API as driftwatch run serves it, behind a bearer token when
// token is set.
type pipelineAPI struct {
	t      *testing.T
	srv    *httptest.Server
	runner *pipelines.Runner
	reqs   chan pipelines.Request
}

func newPipelineAPI(t *testing.T, token string) *pipelineAPI {
	t.Helper()
	var p pipelines.Pipeline
	p.SetDefaults()
	p.Name, p.Model = "churn-retrain", "churn"
	p.Steps.Train.SetDefaults()
	p.Steps.Train.Command = []string{"/bin/sh", "-c", `sleep "$SLEEP"; echo training; echo '{}' > "$DRIFTWATCH_ARTIFACT_DIR/profile.json"
printf '{"model_uri": "%s/model.bin", "profile_uri": "%s/profile.json"}' "$DRIFTWATCH_ARTIFACT_DIR" "$DRIFTWATCH_ARTIFACT_DIR" > "$DRIFTWATCH_RESULT"`}
	p.Steps.Train.Env = map[string]string{"SLEEP": `{{or (index .Params "sleep") "0"}}`}
	p.Steps.Evaluate.SetDefaults()
	p.Steps.Evaluate.Command = []string{"/bin/sh", "-c", `printf '{"metrics": {"auc": %s}}' "$AUC" > "$DRIFTWATCH_RESULT"`}
	p.Steps.Evaluate.Env = map[string]string{"AUC": `{{or (index .Params "auc") "0.9"}}`}
	lower := 0.7
	p.Gate.Metrics = []pipelines.GateMetric{{Metric: "auc", Lower: &lower}}
	p.Deploy.Target = pipelines.DeployCommand
	p.Deploy.Command.SetDefaults()
	p.Deploy.Command.Command = []string{"/bin/sh", "-c", "echo serving {{.Version}}"}
	p.Verify.SetDefaults()
	p.Verify.Period = 0

	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "driftwatch.db"), store.Options{})
	require.NoError(t, err)
	noop := pipelines.SwitcherFunc(func(context.Context, string, string, string) error { return nil })
	a := &pipelineAPI{t: t, reqs: make(chan pipelines.Request, 4)}
	a.runner, err = pipelines.NewRunner(pipelines.Options{
		Pipelines: []pipelines.Pipeline{p}, Store: db, Source: a, Switcher: noop,
		Observer: pipelines.ObserverFunc(func(context.Context, string, string) (pipelines.Observation, error) {
			return pipelines.Observation{}, nil
		}),
		Executors:  map[pipelines.ExecutorType]pipelines.Executor{pipelines.ExecutorLocal: local.New(local.Options{})},
		Dir:        dir,
		Registerer: prometheus.NewRegistry(),
	})
	require.NoError(t, err)
	api, err := pipelines.NewAPI(pipelines.APIOptions{Runner: a.runner, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	mux := http.NewServeMux()
	api.Register(mux)
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.runner.Run(ctx) }()
	t.Cleanup(func() {
		a.srv.Close()
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, db.Close())
	})
	return a
}

// Next and Finish make pipelineAPI the Runner's Source.
func (a *pipelineAPI) Next(ctx context.Context) (pipelines.Request, error) {
	select {
	case r := <-a.reqs:
		return r, nil
	case <-ctx.Done():
		return pipelines.Request{}, ctx.Err()
	}
}

func (a *pipelineAPI) Finish(context.Context, string, pipelines.Outcome, string) error { return nil }

// submit hands a manual run to the Runner, and waits until cond holds.
func (a *pipelineAPI) submit(id string, params map[string]string, cond func(pipelines.Run) bool) {
	a.reqs <- pipelines.Request{ID: id, Model: "churn", Pipeline: "churn-retrain", Reason: "new labels", Params: params,
		Trigger: pipelines.Trigger{Kind: pipelines.TriggerManual, RequestedBy: "alice"}, RequestedAt: time.Now()}
	a.waitFor(id, cond)
}

func (a *pipelineAPI) waitFor(id string, cond func(pipelines.Run) bool) {
	a.t.Helper()
	require.Eventually(a.t, func() bool {
		r, err := a.runner.Get(id)
		return err == nil && cond(r)
	}, time.Minute, 10*time.Millisecond)
}

func ended(r pipelines.Run) bool { return r.State.Terminal() }

// squeeze collapses runs of spaces, so that expectations do not depend on
// table column widths.
func squeeze(s string) string {
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return s
}

func TestRunsAndModelsCommands(t *testing.T) {
	t.Setenv(TokenEnv, "")
	t.Setenv("USER", "alice")
	a := newPipelineAPI(t, "")
	a.submit("run-ok", nil, ended)
	a.submit("run-low", map[string]string{"auc": "0.5"}, ended)
	server := []string{"--server", a.srv.URL}
	steps := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr string
		after      func(t *testing.T)
	}{
		{name: "list", args: []string{"runs", "list"}, wantStdout: []string{
			// Newest first is by ID, which the trigger engine makes sortable by time.
			"ID MODEL PIPELINE STATE TRIGGER CHALLENGER CREATED MESSAGE\nrun-ok churn churn-retrain succeeded manual run-ok ",
			"\nrun-low churn churn-retrain rejected manual run-low "}},
		{name: "list by state", args: []string{"runs", "list", "--state", "rejected", "--json"}, wantStdout: []string{`"id": "run-low"`}},
		{name: "list bad state", args: []string{"runs", "list", "--state", "bogus"}, wantCode: ExitError,
			wantStderr: `driftwatch: runs list: 422 Unprocessable Entity: invalid request: unknown state "bogus"`},
		{name: "show", args: []string{"runs", "show", "run-low"}, wantStdout: []string{
			"state rejected\n", "trigger manual by alice: new labels\n", "params auc=0.5\n",
			"gate rejected: 1 failure(s) of 1 check(s)\n - auc 0.5 is below the lower bound 0.7\n",
			"step train succeeded, 1 attempt(s)\n #1 succeeded, exit 0, log ", "--- train attempt 1: ", "training\n"}},
		{name: "show missing", args: []string{"runs", "show", "nope"}, wantCode: ExitError,
			wantStderr: `driftwatch: runs show: 404 Not Found: not found: no run "nope"`},
		{name: "logs", args: []string{"runs", "logs", "run-ok", "--step", "deploy"}, wantStdout: []string{"serving run-ok\n"}},
		{name: "cancel an ended run", args: []string{"runs", "cancel", "run-ok", "--reason", "r"}, wantCode: ExitError,
			wantStderr: "driftwatch: runs cancel: 409 Conflict: conflict: run run-ok already ended succeeded"},
		{name: "approve needs a reason", args: []string{"runs", "approve", "run-low"}, wantCode: ExitUsage, wantStderr: "missing flags: --reason"},
		{name: "approve", args: []string{"runs", "approve", "run-low", "--reason", "auc dip is noise", "--by", "bob"},
			wantStdout: []string{"approved: run run-low is deploying; follow it with driftwatch runs show run-low\n"},
			after: func(t *testing.T) {
				a.waitFor("run-low", func(r pipelines.Run) bool { return r.State == pipelines.StateSucceeded })
			}},
		{name: "models list", args: []string{"models", "list"}, wantStdout: []string{"MODEL CHAMPION SINCE CHANGES\nchurn run-low 2"}},
		{name: "models show", args: []string{"models", "show", "churn"}, wantStdout: []string{
			"champion run-low\n", "\nrun-ok retired run-ok ", "\nrun-low champion run-low ", " auc=0.5 "}},
		{name: "rollback", args: []string{"models", "rollback", "--model", "churn", "--reason", "complaints", "--by", "carol"},
			wantStdout: []string{"rolled back model churn from run-low to run-ok (rollback-"}},
		{name: "rollback to the champion", args: []string{"models", "rollback", "--model", "churn", "--to", "run-ok", "--reason", "again"}, wantCode: ExitError,
			wantStderr: "driftwatch: models rollback: 409 Conflict: conflict: version run-ok of model churn is already the champion"},
		{name: "history shows the rollback", args: []string{"models", "show", "churn"}, wantStdout: []string{
			" run-ok run-low manual_rollback - carol complaints\n", "\nrun-low rolled_back run-low "}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append(s.args, server...)...)
			require.Equal(t, s.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			for _, w := range s.wantStdout {
				require.Contains(t, squeeze(stdout), w)
			}
			require.Contains(t, stderr, s.wantStderr)
			if s.after != nil {
				s.after(t)
			}
		})
	}
}

func TestRunsCancelWaits(t *testing.T) {
	t.Setenv(TokenEnv, "")
	a := newPipelineAPI(t, "")
	a.submit("run-slow", map[string]string{"sleep": "1000"}, func(r pipelines.Run) bool {
		return len(r.Steps) == 1 && len(r.Steps[0].Attempts) == 1
	})
	code, stdout, stderr := run(t, "runs", "cancel", "run-slow", "--reason", "wrong data window", "--by", "alice", "--server", a.srv.URL)
	require.Equal(t, ExitOK, code, "stderr:\n%s", stderr)
	require.Contains(t, stdout, "cancel requested: run run-slow is training\n")
	require.Contains(t, stdout, "run run-slow ended cancelled: cancelled by alice in state training: wrong data window\n")
}

func TestRunsCredentials(t *testing.T) {
	a := newPipelineAPI(t, "t0ken")
	t.Setenv(TokenEnv, "stale")
	code, _, stderr := run(t, "runs", "list", "--server", a.srv.URL)
	require.Equal(t, ExitError, code)
	require.Contains(t, stderr, "driftwatch: runs list: 401 Unauthorized: "+a.srv.URL+" refused the credentials: pass -c with the server's configuration, or set DRIFTWATCH_TOKEN")

	t.Setenv(TokenEnv, "t0ken")
	code, stdout, stderr := run(t, "models", "list", "--json", "--server", a.srv.URL)
	require.Equal(t, ExitOK, code, stderr)
	var resp pipelines.ModelsResponse
	require.NoError(t, json.Unmarshal([]byte(stdout), &resp))
	require.Equal(t, []pipelines.ModelSummary{{Name: "churn"}}, resp.Models)

	code, _, stderr = run(t, "runs", "list", "--server", "localhost:1")
	require.Equal(t, ExitUsage, code)
	require.Equal(t, "driftwatch: runs list: --server: \"localhost:1\" is not an http:// or https:// URL\n", stderr)
}

func TestAttemptPhase(t *testing.T) {
	for _, tc := range []struct {
		name  string
		phase pipelines.AttemptPhase
		msg   string
		want  string
	}{
		{name: "no phase", want: ""},
		{name: "phase alone", phase: "queued", want: " (queued)"},
		{name: "phase and message", phase: "queued", msg: "Kueue admits it when gpu-training has quota", want: " (queued: Kueue admits it when gpu-training has quota)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := phase(tc.phase, tc.msg); got != tc.want {
				t.Errorf("phase(%q, %q) = %q, want %q", tc.phase, tc.msg, got, tc.want)
			}
		})
	}
}
