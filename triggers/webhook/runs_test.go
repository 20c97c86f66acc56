package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
)

// recordingRequester records every request and answers with a fixed
// decision or error.
type recordingRequester struct {
	mu       sync.Mutex
	got      []triggers.ManualRequest
	decision triggers.Decision
	err      error
}

func (f *recordingRequester) Request(_ context.Context, r triggers.ManualRequest) (triggers.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, r)
	return f.decision, f.err
}

func (f *recordingRequester) calls() []triggers.ManualRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]triggers.ManualRequest(nil), f.got...)
}

var _ Requester = (*recordingRequester)(nil)

func newRuns(t testing.TB, r Requester) (http.Handler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	h, err := NewRuns(RunsOptions{Requester: r, Logger: slog.New(slog.DiscardHandler), Registerer: reg, MaxBodyBytes: 1024})
	require.NoError(t, err)
	return h, reg
}

func decision(o triggers.Outcome, reason string) triggers.Decision {
	return triggers.Decision{Key: "manual/k1", Origin: triggers.OriginManual, Model: "credit-risk", Outcome: o, Reason: reason, RunID: "run-7", At: decidedAt}
}

func TestRuns(t *testing.T) {
	const good = `{"model":"credit-risk","pipeline":"retrain","reason":"new labels","params":{"git_sha":"abc123","dataset_version":"2026-11"},"idempotency_key":"k1","requested_by":"alice"}`
	wantReq := triggers.ManualRequest{
		Model: "credit-risk", Pipeline: "retrain", Reason: "new labels",
		Params:         map[string]string{"git_sha": "abc123", "dataset_version": "2026-11"},
		IdempotencyKey: "k1", RequestedBy: "alice",
	}
	tests := []struct {
		name         string
		method       string
		contentType  string
		body         string
		decision     triggers.Decision
		err          error
		wantStatus   int
		wantError    string
		wantProblems []string
		wantOutcome  triggers.Outcome
		wantCalled   bool
	}{
		{name: "started", body: good, decision: decision(triggers.OutcomeStarted, "manual request"),
			wantStatus: http.StatusCreated, wantOutcome: triggers.OutcomeStarted, wantCalled: true},
		{name: "queued", body: good, decision: decision(triggers.OutcomeQueued, "waits for a slot"),
			wantStatus: http.StatusCreated, wantOutcome: triggers.OutcomeQueued, wantCalled: true},
		{name: "deduplicated", body: good, decision: decision(triggers.OutcomeDeduplicated, "idempotency key k1 seen before"),
			wantStatus: http.StatusOK, wantOutcome: triggers.OutcomeDeduplicated, wantCalled: true},
		{name: "suppressed by concurrency", body: good, decision: decision(triggers.OutcomeConcurrency, "credit-risk has 1 run in flight, max_concurrent is 1"),
			wantStatus: http.StatusConflict, wantOutcome: triggers.OutcomeConcurrency, wantCalled: true,
			wantError: "no run requested: suppressed_concurrency: credit-risk has 1 run in flight, max_concurrent is 1"},
		{name: "suppressed by cooldown", body: good, decision: decision(triggers.OutcomeCooldown, "cooldown 1h"),
			wantStatus: http.StatusConflict, wantOutcome: triggers.OutcomeCooldown, wantCalled: true,
			wantError: "no run requested: suppressed_cooldown: cooldown 1h"},
		{name: "engine says invalid", body: good, err: fmt.Errorf("model %q has 2 pipelines, name one: %w", "credit-risk", triggers.ErrInvalid),
			wantStatus: http.StatusUnprocessableEntity, wantCalled: true, wantError: `model "credit-risk" has 2 pipelines, name one: invalid trigger`},
		{name: "engine unavailable", body: good, err: fmt.Errorf("write: %w", triggers.ErrUnavailable),
			wantStatus: http.StatusServiceUnavailable, wantCalled: true, wantError: "trigger engine unavailable, retry later"},
		{name: "engine fails", body: good, err: errors.New("boom"),
			wantStatus: http.StatusServiceUnavailable, wantCalled: true, wantError: "trigger engine unavailable, retry later"},
		{name: "unknown field", body: `{"model":"m","reason":"r","idempotencykey":"k1"}`,
			wantStatus: http.StatusBadRequest, wantError: `malformed run request: unknown field "idempotencykey"`},
		{name: "param of the wrong type", body: `{"model":"m","reason":"r","params":{"epochs":10}}`,
			wantStatus: http.StatusBadRequest, wantError: "malformed run request: params: got a JSON number, want string"},
		{name: "two objects", body: `{"model":"m","reason":"r"}{}`,
			wantStatus: http.StatusBadRequest, wantError: "malformed run request: data after the JSON object"},
		{name: "truncated", body: good[:40],
			wantStatus: http.StatusBadRequest, wantError: "malformed run request: body is not a complete JSON document"},
		{name: "missing model and reason", body: `{"pipeline":"retrain"}`,
			wantStatus: http.StatusUnprocessableEntity, wantError: "invalid run request", wantProblems: []string{"model: is required", "reason: is required"}},
		{name: "empty param key", body: `{"model":"m","reason":"r","params":{"":"x"}}`,
			wantStatus: http.StatusUnprocessableEntity, wantError: "invalid run request", wantProblems: []string{"params: a key is empty"}},
		{name: "GET", method: http.MethodGet, wantStatus: http.StatusMethodNotAllowed, wantError: "method GET is not allowed, use POST"},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: "model=m", wantStatus: http.StatusUnsupportedMediaType, wantError: "is not JSON"},
		{name: "oversized", body: `{"model":"m","reason":"` + strings.Repeat("x", 2048) + `"}`, wantStatus: http.StatusRequestEntityTooLarge, wantError: "body is larger than 1024 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rq := &recordingRequester{decision: tc.decision, err: tc.err}
			h, _ := newRuns(t, rq)
			method, ct := tc.method, tc.contentType
			if method == "" {
				method = http.MethodPost
			}
			if ct == "" {
				ct = "application/json"
			}
			req := httptest.NewRequest(method, RunsPath, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", ct)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			require.Equal(t, tc.wantStatus, rec.Code, rec.Body.String())
			var got RunResponse
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got), rec.Body.String())
			if tc.wantError == "" {
				require.Empty(t, got.Error)
			} else {
				require.Contains(t, got.Error, tc.wantError)
			}
			if diff := cmp.Diff(tc.wantProblems, got.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if tc.wantOutcome != "" {
				require.NotNil(t, got.Decision)
				require.Equal(t, tc.wantOutcome, got.Decision.Outcome)
				require.Equal(t, "run-7", got.Decision.RunID)
			} else {
				require.Nil(t, got.Decision)
			}
			if !tc.wantCalled {
				require.Empty(t, rq.calls(), "nothing reaches the Requester")
				return
			}
			if diff := cmp.Diff([]triggers.ManualRequest{wantReq}, rq.calls()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunsMetrics(t *testing.T) {
	rq := &recordingRequester{decision: decision(triggers.OutcomeStarted, "")}
	h, reg := newRuns(t, rq)
	for _, body := range []string{`{"model":"m","reason":"r"}`, `{"model":"m"}`} {
		req := httptest.NewRequest(http.MethodPost, RunsPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	require.Equal(t, 1.0, testutil.ToFloat64(h.(*runs).metrics.requests.WithLabelValues("201")))
	require.Equal(t, 1.0, testutil.ToFloat64(h.(*runs).metrics.requests.WithLabelValues("422")))
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestNewRunsOptions(t *testing.T) {
	log, reg := slog.New(slog.DiscardHandler), prometheus.NewRegistry()
	_, err := NewRuns(RunsOptions{Logger: log, Registerer: reg})
	require.EqualError(t, err, "webhook: RunsOptions.Requester is required")
	_, err = NewRuns(RunsOptions{Requester: &recordingRequester{}, Registerer: reg})
	require.EqualError(t, err, "webhook: RunsOptions.Logger is required")
	_, err = NewRuns(RunsOptions{Requester: &recordingRequester{}, Logger: log})
	require.EqualError(t, err, "webhook: RunsOptions.Registerer is required")
}
