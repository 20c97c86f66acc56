package pipelines

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// API limits.
const (
	// DefaultTailBytes is how much of each step's latest log GET
	// /api/v1/runs/{id} includes.
	DefaultTailBytes = 4 << 10
	// MaxLogBytes bounds what GET /api/v1/runs/{id}/logs returns: the
	// end of the log.
	MaxLogBytes  = 16 << 20
	maxBodyBytes = 64 << 10
)

// Mux is where the API's routes are mounted, such as internal/server's
// Server, which puts authentication in front, or an http.ServeMux.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// APIOptions configure NewAPI. Runner and Logger are required.
type APIOptions struct {
	Runner *Runner
	Logger *slog.Logger
	// Models are the configured models, listed even before they have a
	// version.
	Models []string
}

// API serves the runs and the model registry over HTTP/JSON.
type API struct {
	r      *Runner
	log    *slog.Logger
	models []string
}

// NewAPI returns the API over a Runner.
func NewAPI(opts APIOptions) (*API, error) {
	switch {
	case opts.Runner == nil:
		return nil, errors.New("pipelines: APIOptions.Runner is required")
	case opts.Logger == nil:
		return nil, errors.New("pipelines: APIOptions.Logger is required")
	}
	models := slices.Clone(opts.Models)
	models = append(models, opts.Runner.models...)
	slices.Sort(models)
	return &API{r: opts.Runner, log: opts.Logger, models: slices.Compact(models)}, nil
}

// Register mounts the API's routes, with Go 1.22 method patterns. GET
// /api/v1/runs is mounted with its method, so it coexists with the
// trigger intake's POST /api/v1/runs.
func (a *API) Register(mux Mux) {
	mux.Handle("GET /api/v1/runs", http.HandlerFunc(a.listRuns))
	mux.Handle("GET /api/v1/runs/{id}", http.HandlerFunc(a.getRun))
	mux.Handle("GET /api/v1/runs/{id}/logs", http.HandlerFunc(a.runLogs))
	mux.Handle("POST /api/v1/runs/{id}/cancel", http.HandlerFunc(a.cancelRun))
	mux.Handle("POST /api/v1/runs/{id}/approve", http.HandlerFunc(a.approveRun))
	mux.Handle("GET /api/v1/models", http.HandlerFunc(a.listModels))
	mux.Handle("GET /api/v1/models/{name}", http.HandlerFunc(a.getModel))
	mux.Handle("POST /api/v1/models/{name}/rollback", http.HandlerFunc(a.rollback))
}

// RunSummary is a run in GET /api/v1/runs.
type RunSummary struct {
	ID         string      `json:"id"`
	Model      string      `json:"model"`
	Pipeline   string      `json:"pipeline"`
	State      State       `json:"state"`
	Trigger    TriggerKind `json:"trigger"`
	Reason     string      `json:"reason,omitempty"`
	Challenger string      `json:"challenger,omitempty"`
	FailedStep string      `json:"failed_step,omitempty"`
	Message    string      `json:"message,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	EndedAt    time.Time   `json:"ended_at,omitzero"`
}

// RunsResponse is the answer of GET /api/v1/runs.
type RunsResponse struct {
	Runs []RunSummary `json:"runs"`
}

// LogTail is the end of one attempt's log.
type LogTail struct {
	Step      string `json:"step"`
	Attempt   int    `json:"attempt"`
	Path      string `json:"path"`
	Tail      string `json:"tail"`
	Truncated bool   `json:"truncated,omitempty"`
	Error     string `json:"error,omitempty"`
}

// RunResponse is the answer of GET /api/v1/runs/{id}, and of cancel and
// approve.
type RunResponse struct {
	Run  Run       `json:"run"`
	Logs []LogTail `json:"logs,omitempty"`
}

// ActionRequest is the body of cancel and approve: who asks and why.
type ActionRequest struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// RollbackBody is the body of POST /api/v1/models/{name}/rollback.
type RollbackBody struct {
	To     string `json:"to,omitempty"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// ModelSummary is a model in GET /api/v1/models.
type ModelSummary struct {
	Name          string    `json:"name"`
	Champion      string    `json:"champion,omitempty"`
	ChampionSince time.Time `json:"champion_since,omitzero"`
	Changes       int       `json:"changes"`
}

// ModelsResponse is the answer of GET /api/v1/models.
type ModelsResponse struct {
	Models []ModelSummary `json:"models"`
}

// ModelResponse is the answer of GET /api/v1/models/{name}.
type ModelResponse struct {
	Model     Model           `json:"model"`
	Versions  []Version       `json:"versions"`
	Rollbacks []ModelRollback `json:"rollbacks,omitempty"`
}

// RollbackResponse is the answer of a rollback.
type RollbackResponse struct {
	Rollback ModelRollback `json:"rollback"`
	Error    string        `json:"error,omitempty"`
}

// ErrorResponse is the answer of a failed request.
type ErrorResponse struct {
	Error string `json:"error"`
}
