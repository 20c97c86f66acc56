package pipelines_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
)

// apiServer serves the API of h's Runner beside a stand-in for the trigger
// intake's POST /api/v1/runs, mounted without a method as the app mounts it.
func apiServer(t *testing.T, h *harness) *httptest.Server {
	t.Helper()
	api, err := pipelines.NewAPI(pipelines.APIOptions{Runner: h.runner, Logger: slog.New(slog.DiscardHandler), Models: []string{"fraud"}})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/runs", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(data)
		} else {
			require.NoError(t, json.Unmarshal(data, out), string(data))
		}
	}
	return resp.StatusCode
}

func TestAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) { p.Steps.Evaluate.Env["DW_METRICS"] = `{"auc": 0.5}` })
	h.seed()
	h.start()
	h.submit("run-1", nil)
	require.Equal(t, pipelines.StateRejected, h.waitEnd("run-1").State)
	srv := apiServer(t, h)

	require.Equal(t, http.StatusTeapot, call(t, srv, http.MethodPost, "/api/v1/runs", "{}", nil), "POST /api/v1/runs stays the intake's")

	var runs pipelines.RunsResponse
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/api/v1/runs?model=churn&state=rejected&limit=5", "", &runs))
	require.Len(t, runs.Runs, 1)
	require.Equal(t, pipelines.RunSummary{ID: "run-1", Model: "churn", Pipeline: "churn-retrain", State: pipelines.StateRejected,
		Trigger: pipelines.TriggerAlert, Reason: "drift on 3 features", Challenger: "run-1", Message: runs.Runs[0].Message,
		CreatedAt: runs.Runs[0].CreatedAt, EndedAt: runs.Runs[0].EndedAt}, runs.Runs[0])
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/api/v1/runs?model=other", "", &runs))
	require.Empty(t, runs.Runs)

	var e pipelines.ErrorResponse
	require.Equal(t, http.StatusUnprocessableEntity, call(t, srv, http.MethodGet, "/api/v1/runs?state=bogus", "", &e))
	require.Equal(t, `invalid request: unknown state "bogus"`, e.Error)
	require.Equal(t, http.StatusNotFound, call(t, srv, http.MethodGet, "/api/v1/runs/nope", "", &e))
	require.Equal(t, `not found: no run "nope"`, e.Error)

	var one pipelines.RunResponse
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/api/v1/runs/run-1", "", &one))
	require.Equal(t, pipelines.StateRejected, one.Run.State)
	require.Len(t, one.Logs, 2)
	require.Equal(t, "evaluate", one.Logs[1].Step)
	require.Contains(t, one.Logs[1].Tail, "=== driftwatch: run-1-evaluate-1:")

	var text string
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/api/v1/runs/run-1/logs?step=train&attempt=1", "", &text))
	require.Contains(t, text, "=== driftwatch: run-1-train-1 ended: exit status 0")
	require.Equal(t, http.StatusNotFound, call(t, srv, http.MethodGet, "/api/v1/runs/run-1/logs?step=deploy", "", &e))

	require.Equal(t, http.StatusBadRequest, call(t, srv, http.MethodPost, "/api/v1/runs/run-1/approve", `{"by": "bob", "why": "x"}`, &e))
	require.Contains(t, e.Error, `unknown field "why"`)
	require.Equal(t, http.StatusUnprocessableEntity, call(t, srv, http.MethodPost, "/api/v1/runs/run-1/approve", `{"by": "bob"}`, &e))
	require.Equal(t, "invalid request: a reason is required", e.Error)
	require.Equal(t, http.StatusConflict, call(t, srv, http.MethodPost, "/api/v1/runs/run-1/cancel", `{"by": "bob", "reason": "r"}`, &e))
	require.Equal(t, "conflict: run run-1 already ended rejected", e.Error)

	require.Equal(t, http.StatusOK, call(t, srv, http.MethodPost, "/api/v1/runs/run-1/approve", `{"by": "bob", "reason": "holdout is stale"}`, &one))
	require.Equal(t, pipelines.StateDeploying, one.Run.State)
	require.Equal(t, "bob", one.Run.Approval.By)
	require.Equal(t, pipelines.StateSucceeded, h.wait("run-1", "succeeded", func(r pipelines.Run) bool { return r.State == pipelines.StateSucceeded }).State)

	var models pipelines.ModelsResponse
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/api/v1/models", "", &models))
	require.Len(t, models.Models, 2)
	require.Equal(t, "churn", models.Models[0].Name)
	require.Equal(t, "run-1", models.Models[0].Champion)
	require.Equal(t, pipelines.ModelSummary{Name: "fraud"}, models.Models[1])

	var model pipelines.ModelResponse
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/api/v1/models/churn", "", &model))
	require.Len(t, model.Versions, 2)
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/api/v1/models/fraud", "", &model))
	require.Empty(t, model.Versions)
	require.Equal(t, http.StatusNotFound, call(t, srv, http.MethodGet, "/api/v1/models/nope", "", &e))

	var rb pipelines.RollbackResponse
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodPost, "/api/v1/models/churn/rollback", `{"by": "carol", "reason": "complaints"}`, &rb))
	require.Equal(t, "v1", rb.Rollback.To.Version)
	require.Equal(t, pipelines.RollbackSucceeded, rb.Rollback.State)
	require.Equal(t, http.StatusConflict, call(t, srv, http.MethodPost, "/api/v1/models/churn/rollback", `{"by": "carol", "reason": "again", "to": "v1"}`, &e))
	require.Equal(t, "conflict: version v1 of model churn is already the champion", e.Error)
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/api/v1/models/churn", "", &model))
	require.Len(t, model.Rollbacks, 1)
	require.Equal(t, "carol", model.Rollbacks[0].Audit.By)
}
