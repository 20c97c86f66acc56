package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/triggers"
)

// RunsPath is where runs are requested by hand.
const RunsPath = "/api/v1/runs"

// Requester hands a manual run request to the trigger engine, which stores
// it durably and decides whether a run starts. Errors mean what they mean
// for Notifier.
type Requester interface {
	Request(ctx context.Context, r triggers.ManualRequest) (triggers.Decision, error)
}

// RequesterFunc adapts a function to Requester.
type RequesterFunc func(ctx context.Context, r triggers.ManualRequest) (triggers.Decision, error)

// Request calls f.
func (f RequesterFunc) Request(ctx context.Context, r triggers.ManualRequest) (triggers.Decision, error) {
	return f(ctx, r)
}

// RunsOptions configures POST /api/v1/runs.
type RunsOptions struct {
	// Requester receives every valid request. Required.
	Requester Requester
	// Logger records every request with its outcome. Required.
	Logger *slog.Logger
	// Registerer gets the API's metrics. Required.
	Registerer prometheus.Registerer
	// MaxBodyBytes bounds the request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RetryAfter is sent with 503; 0 means DefaultRetryAfter.
	RetryAfter time.Duration
}

// RunRequest is the body of POST /api/v1/runs. Model and Reason are
// required; see triggers.ManualRequest for the others.
type RunRequest struct {
	Model          string            `json:"model"`
	Pipeline       string            `json:"pipeline,omitempty"`
	Reason         string            `json:"reason"`
	Params         map[string]string `json:"params,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	RequestedBy    string            `json:"requested_by,omitempty"`
}

// RunResponse is the body of every answer of POST /api/v1/runs. Decision
// is set on 200, 201 and 409; Error on every status but 200 and 201.
type RunResponse struct {
	Decision *Decision `json:"decision,omitempty"`
	Error    string    `json:"error,omitempty"`
	Problems []string  `json:"problems,omitempty"`
}

type runs struct {
	opts    RunsOptions
	metrics *runsMetrics
}

// NewRuns returns the handler of POST /api/v1/runs. Mount it on RunsPath
// without a method in the pattern, with the internal/server
// authentication in front. The package documentation lists its answers.
func NewRuns(opts RunsOptions) (http.Handler, error) {
	switch {
	case opts.Requester == nil:
		return nil, errors.New("webhook: RunsOptions.Requester is required")
	case opts.Logger == nil:
		return nil, errors.New("webhook: RunsOptions.Logger is required")
	case opts.Registerer == nil:
		return nil, errors.New("webhook: RunsOptions.Registerer is required")
	}
	var err error
	if opts.MaxBodyBytes, opts.RetryAfter, err = limits("RunsOptions", opts.MaxBodyBytes, opts.RetryAfter); err != nil {
		return nil, err
	}
	m, err := newRunsMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &runs{opts: opts, metrics: m}, nil
}

// ServeHTTP answers one run request.
func (h *runs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep, attrs := h.handle(w, r)
	finish(w, r, h.opts.Logger, h.metrics.requests, "run request", rep, attrs)
}

func (h *runs) handle(w http.ResponseWriter, r *http.Request) (reply, []slog.Attr) {
	attrs := []slog.Attr{slog.String("remote", r.RemoteAddr)}
	body, rep, ok := readJSON(w, r, h.opts.MaxBodyBytes)
	if !ok {
		return rep, attrs
	}
	req, err := decodeRunRequest(body)
	if err != nil {
		return fail(http.StatusBadRequest, "malformed run request: "+decodeError(err)), attrs
	}
	attrs = append(attrs, slog.String("model", req.Model), slog.String("pipeline", req.Pipeline),
		slog.String("requested_by", req.RequestedBy), slog.String("idempotency_key", req.IdempotencyKey))
	if probs := req.validate(); len(probs) > 0 {
		return fail(http.StatusUnprocessableEntity, "invalid run request", probs...), attrs
	}
	d, err := h.opts.Requester.Request(r.Context(), triggers.ManualRequest{
		Model: req.Model, Pipeline: req.Pipeline, Reason: req.Reason, Params: req.Params,
		IdempotencyKey: req.IdempotencyKey, RequestedBy: req.RequestedBy,
	})
	if err != nil {
		return engineFailure(err, h.opts.RetryAfter), attrs
	}
	dj := decisionJSON(d)
	attrs = append(attrs, slog.String("outcome", string(d.Outcome)), slog.String("run_id", d.RunID), slog.String("reason", d.Reason))
	switch d.Outcome {
	case triggers.OutcomeStarted, triggers.OutcomeQueued:
		return reply{status: http.StatusCreated, body: RunResponse{Decision: &dj}}, attrs
	case triggers.OutcomeDeduplicated:
		return reply{status: http.StatusOK, body: RunResponse{Decision: &dj}}, attrs
	default:
		msg := fmt.Sprintf("no run requested: %s", d.Outcome)
		if d.Reason != "" {
			msg += ": " + d.Reason
		}
		return reply{status: http.StatusConflict, body: RunResponse{Decision: &dj, Error: msg}}, attrs
	}
}

// decodeRunRequest parses a run request strictly: an unknown field is an
// error that names it, so that a misspelt idempotency_key is not silently
// dropped.
func decodeRunRequest(body []byte) (RunRequest, error) {
	var req RunRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return RunRequest{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return RunRequest{}, errors.New("data after the JSON object")
	}
	return req, nil
}

// validate returns every problem of the request, each with its field.
func (r RunRequest) validate() []string {
	var probs []string
	if r.Model == "" {
		probs = append(probs, "model: is required")
	}
	if r.Reason == "" {
		probs = append(probs, "reason: is required")
	}
	if _, ok := r.Params[""]; ok {
		probs = append(probs, "params: a key is empty")
	}
	return probs
}
