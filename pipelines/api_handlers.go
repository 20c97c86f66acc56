package pipelines

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/driftwatch/driftwatch/store"
)

func (a *API) listRuns(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	f := RunFilter{Model: q.Get("model"), Pipeline: q.Get("pipeline"), State: State(q.Get("state")), Limit: 100}
	if f.State != "" && !slices.Contains(States, f.State) {
		a.fail(w, req, fmt.Errorf("%w: unknown state %q", ErrInvalid, f.State))
		return
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			a.fail(w, req, fmt.Errorf("%w: limit must be a number from 1 to 10000", ErrInvalid))
			return
		}
		f.Limit = n
	}
	runs, err := a.r.Runs(f)
	if err != nil {
		a.fail(w, req, err)
		return
	}
	out := RunsResponse{Runs: make([]RunSummary, 0, len(runs))}
	for _, run := range runs {
		s := RunSummary{ID: run.ID, Model: run.Model, Pipeline: run.Pipeline, State: run.State, Trigger: run.Trigger.Kind,
			Reason: run.Reason, FailedStep: run.FailedStep, Message: run.Message, CreatedAt: run.CreatedAt, EndedAt: run.EndedAt}
		if run.Challenger != nil {
			s.Challenger = run.Challenger.Version
		}
		out.Runs = append(out.Runs, s)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getRun(w http.ResponseWriter, req *http.Request) {
	run, err := a.r.Get(req.PathValue("id"))
	if err != nil {
		a.fail(w, req, err)
		return
	}
	tail := int64(DefaultTailBytes)
	if s := req.URL.Query().Get("tail_bytes"); s != "" {
		if tail, err = strconv.ParseInt(s, 10, 64); err != nil || tail < 0 || tail > MaxLogBytes {
			a.fail(w, req, fmt.Errorf("%w: tail_bytes must be a number from 0 to %d", ErrInvalid, MaxLogBytes))
			return
		}
	}
	resp := RunResponse{Run: run}
	for _, s := range run.Steps {
		if len(s.Attempts) == 0 || tail == 0 {
			continue
		}
		at := s.Attempts[len(s.Attempts)-1]
		lt := LogTail{Step: s.Name, Attempt: at.Number, Path: at.Log}
		text, truncated, err := readTail(at.Log, tail)
		lt.Tail, lt.Truncated = text, truncated
		if err != nil {
			lt.Error = err.Error()
		}
		resp.Logs = append(resp.Logs, lt)
	}
	writeJSON(w, http.StatusOK, resp)
}

// runLogs serves one attempt's log as text: ?step= (default the last
// step), ?attempt= (default its last attempt), ?tail_bytes= (default and
// at most MaxLogBytes).
func (a *API) runLogs(w http.ResponseWriter, req *http.Request) {
	run, err := a.r.Get(req.PathValue("id"))
	if err != nil {
		a.fail(w, req, err)
		return
	}
	at, err := pickAttempt(run, req.URL.Query())
	if err != nil {
		a.fail(w, req, err)
		return
	}
	limit := int64(MaxLogBytes)
	if s := req.URL.Query().Get("tail_bytes"); s != "" {
		if limit, err = strconv.ParseInt(s, 10, 64); err != nil || limit < 1 || limit > MaxLogBytes {
			a.fail(w, req, fmt.Errorf("%w: tail_bytes must be a number from 1 to %d", ErrInvalid, MaxLogBytes))
			return
		}
	}
	text, _, err := readTail(at.Log, limit)
	if err != nil {
		a.fail(w, req, fmt.Errorf("%w: log of %s: %w", ErrNotFound, at.Name, err))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Driftwatch-Log", at.Log)
	_, _ = io.WriteString(w, text)
}

func pickAttempt(run Run, q map[string][]string) (Attempt, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if len(run.Steps) == 0 {
		return Attempt{}, fmt.Errorf("%w: run %s has no steps yet", ErrNotFound, run.ID)
	}
	step := &run.Steps[len(run.Steps)-1]
	if name := get("step"); name != "" {
		if step = run.step(name); step == nil {
			return Attempt{}, fmt.Errorf("%w: run %s has no step %q", ErrNotFound, run.ID, name)
		}
	}
	if len(step.Attempts) == 0 {
		return Attempt{}, fmt.Errorf("%w: step %s of run %s has no attempts", ErrNotFound, step.Name, run.ID)
	}
	if s := get("attempt"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > len(step.Attempts) {
			return Attempt{}, fmt.Errorf("%w: step %s of run %s has attempts 1 to %d", ErrNotFound, step.Name, run.ID, len(step.Attempts))
		}
		return step.Attempts[n-1], nil
	}
	return step.Attempts[len(step.Attempts)-1], nil
}

// readTail reads the last n bytes of a file.
func readTail(path string, n int64) (string, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", false, err
	}
	off := max(st.Size()-n, 0)
	buf := make([]byte, st.Size()-off)
	_, err = f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, err
	}
	return string(buf), off > 0, nil
}

func (a *API) cancelRun(w http.ResponseWriter, req *http.Request) {
	body, ok := decode(a, w, req, &ActionRequest{})
	if !ok {
		return
	}
	run, err := a.r.Cancel(req.PathValue("id"), a.audit(req, body.By, body.Reason))
	if err != nil {
		a.fail(w, req, err)
		return
	}
	writeJSON(w, http.StatusAccepted, RunResponse{Run: run})
}

func (a *API) approveRun(w http.ResponseWriter, req *http.Request) {
	body, ok := decode(a, w, req, &ActionRequest{})
	if !ok {
		return
	}
	run, err := a.r.Approve(req.PathValue("id"), a.audit(req, body.By, body.Reason))
	if err != nil {
		a.fail(w, req, err)
		return
	}
	writeJSON(w, http.StatusOK, RunResponse{Run: run})
}

func (a *API) listModels(w http.ResponseWriter, req *http.Request) {
	models, err := a.r.registry.Models()
	if err != nil {
		a.fail(w, req, err)
		return
	}
	byName := map[string]ModelSummary{}
	for _, name := range a.models {
		byName[name] = ModelSummary{Name: name}
	}
	for _, m := range models {
		s := ModelSummary{Name: m.Name, Champion: m.Champion, Changes: len(m.History)}
		if n := len(m.History); n > 0 {
			s.ChampionSince = m.History[n-1].At
		}
		byName[m.Name] = s
	}
	out := ModelsResponse{Models: []ModelSummary{}}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out.Models = append(out.Models, byName[name])
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getModel(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("name")
	m, versions, err := a.r.registry.Model(name)
	if errors.Is(err, ErrNotFound) && slices.Contains(a.models, name) {
		m, err = Model{Name: name}, nil
	}
	if err != nil {
		a.fail(w, req, err)
		return
	}
	rbs, err := a.r.Rollbacks(name)
	if err != nil {
		a.fail(w, req, err)
		return
	}
	if versions == nil {
		versions = []Version{}
	}
	writeJSON(w, http.StatusOK, ModelResponse{Model: m, Versions: versions, Rollbacks: rbs})
}

func (a *API) rollback(w http.ResponseWriter, req *http.Request) {
	body, ok := decode(a, w, req, &RollbackBody{})
	if !ok {
		return
	}
	rb, err := a.r.Rollback(req.Context(), RollbackRequest{Model: req.PathValue("name"), To: body.To, Audit: a.audit(req, body.By, body.Reason)})
	if err != nil && rb.ID != "" {
		// The rollback was recorded and failed: answer with its record.
		a.log.Warn("api request failed", "method", req.Method, "path", req.URL.Path, "err", err)
		writeJSON(w, http.StatusBadGateway, RollbackResponse{Rollback: rb, Error: err.Error()})
		return
	}
	if err != nil {
		a.fail(w, req, err)
		return
	}
	writeJSON(w, http.StatusOK, RollbackResponse{Rollback: rb})
}

// audit records who asks: the body's by, else the basic auth user.
func (a *API) audit(req *http.Request, by, reason string) Audit {
	if by == "" {
		by, _, _ = req.BasicAuth()
	}
	return Audit{By: by, Reason: reason, Remote: req.RemoteAddr}
}

// decode reads a JSON body strictly; an empty body is an empty request.
func decode[T any](a *API, w http.ResponseWriter, req *http.Request, v *T) (*T, bool) {
	data, err := io.ReadAll(io.LimitReader(req.Body, maxBodyBytes+1))
	switch {
	case err != nil:
		a.fail(w, req, fmt.Errorf("%w: reading the body: %w", errBadRequest, err))
		return nil, false
	case len(data) > maxBodyBytes:
		a.fail(w, req, fmt.Errorf("%w: body larger than %d bytes", errBadRequest, maxBodyBytes))
		return nil, false
	case len(strings.TrimSpace(string(data))) == 0:
		return v, true
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		a.fail(w, req, fmt.Errorf("%w: malformed JSON body: %w", errBadRequest, err))
		return nil, false
	}
	return v, true
}

var errBadRequest = errors.New("bad request")

// fail answers an error with the status its kind calls for.
func (a *API) fail(w http.ResponseWriter, req *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, errBadRequest):
		status = http.StatusBadRequest
	case errors.Is(err, ErrInvalid):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, store.ErrStorage):
		status = http.StatusServiceUnavailable
	}
	if status >= 500 {
		a.log.Error("api request failed", "method", req.Method, "path", req.URL.Path, "err", err)
	}
	writeJSON(w, status, ErrorResponse{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // The client went away; nothing to do.
}
