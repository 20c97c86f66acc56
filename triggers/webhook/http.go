package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/triggers"
)

// Defaults for the options that may be left zero.
const (
	// DefaultMaxBodyBytes bounds request bodies. It equals the default of
	// server.max_body_bytes.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultRetryAfter is the Retry-After sent with 503.
	DefaultRetryAfter = 30 * time.Second
)

// maxProblems caps the problems listed in one answer, so that a payload
// with thousands of bad alerts gets a short answer.
const maxProblems = 20

// Decision is the JSON form of a triggers.Decision in answers.
type Decision struct {
	Key     string           `json:"key"`
	Rule    string           `json:"rule,omitempty"`
	Model   string           `json:"model,omitempty"`
	Outcome triggers.Outcome `json:"outcome"`
	Reason  string           `json:"reason,omitempty"`
	RunID   string           `json:"run_id,omitempty"`
	At      time.Time        `json:"at,omitzero"`
}

func decisionJSON(d triggers.Decision) Decision {
	return Decision{Key: d.Key, Rule: d.Rule, Model: d.Model, Outcome: d.Outcome, Reason: d.Reason, RunID: d.RunID, At: d.At}
}

// errorBody is the answer to a request that failed. AlertmanagerResponse
// and RunResponse carry the same two fields, so clients decode one type
// whatever the status.
type errorBody struct {
	Error    string   `json:"error"`
	Problems []string `json:"problems,omitempty"`
}

// reply is what a handler answers: the status, the JSON body and the
// headers that go with the status. cause is logged but not sent.
type reply struct {
	status     int
	body       any
	retryAfter time.Duration
	cause      error
}

func fail(status int, msg string, problems ...string) reply {
	if len(problems) > maxProblems {
		problems = append(problems[:maxProblems:maxProblems], fmt.Sprintf("and %d more", len(problems)-maxProblems))
	}
	return reply{status: status, body: errorBody{Error: msg, Problems: problems}}
}

// engineFailure maps an error of the trigger engine to an answer:
// triggers.ErrInvalid can never succeed, so 422 tells Alertmanager not to
// retry; anything else may be transient, and 503 makes it retry. A
// transient cause wins when an error wraps both.
func engineFailure(err error, retryAfter time.Duration) reply {
	if errors.Is(err, triggers.ErrInvalid) && !errors.Is(err, triggers.ErrUnavailable) {
		r := fail(http.StatusUnprocessableEntity, err.Error())
		r.cause = err
		return r
	}
	// The cause is logged; the answer does not expose internals.
	r := fail(http.StatusServiceUnavailable, "trigger engine unavailable, retry later")
	r.retryAfter, r.cause = retryAfter, err
	return r
}

// finish counts an answer in requests by status, logs it with attrs and
// sends it.
func finish(w http.ResponseWriter, r *http.Request, log *slog.Logger, requests *prometheus.CounterVec, msg string, rep reply, attrs []slog.Attr) {
	requests.WithLabelValues(statusLabel(rep.status)).Inc()
	attrs = append(attrs, slog.Int("status", rep.status))
	if rep.cause != nil {
		attrs = append(attrs, slog.Any("err", rep.cause))
	} else if eb, ok := rep.body.(errorBody); ok {
		attrs = append(attrs, slog.String("err", eb.Error), slog.Any("problems", eb.Problems))
	}
	log.LogAttrs(r.Context(), logLevel(rep.status), msg, attrs...)
	send(w, rep)
}

// send writes r.
func send(w http.ResponseWriter, r reply) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	switch r.status {
	case http.StatusMethodNotAllowed:
		h.Set("Allow", http.MethodPost)
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.Itoa(max(1, int(r.retryAfter.Seconds()))))
	}
	w.WriteHeader(r.status)
	_ = json.NewEncoder(w).Encode(r.body) // The client may be gone; nothing to do.
}

// readJSON checks the method and content type of a request and reads its
// body up to limit bytes. It returns ok false and the answer to send when a
// check fails. The checks run in the documented order: method, content
// type, size.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, failed reply, ok bool) {
	if r.Method != http.MethodPost {
		return nil, fail(http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed, use POST", r.Method)), false
	}
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		return nil, fail(http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q is not JSON", ct)), false
	}
	tooLarge := fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", limit))
	if r.ContentLength > limit {
		return nil, tooLarge, false
	}
	// internal/server may already have wrapped the body with its own
	// limit; whichever limit is hit first answers 413.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		if mbe.Limit < limit {
			tooLarge = fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", mbe.Limit))
		}
		return nil, tooLarge, false
	case err != nil:
		r := fail(http.StatusBadRequest, "reading body: "+err.Error())
		r.cause = err
		return nil, r, false
	}
	return body, reply{}, true
}

// isJSON reports whether a Content-Type names JSON: application/json or a
// +json type, with any parameters.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// decodeError describes a JSON decoding error in the client's terms: the
// byte offset of a syntax error, and the JSON field path of a value of the
// wrong type.
func decodeError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", msg, se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		// Fields of the embedded template.Data are reported under "Data.".
		return fmt.Sprintf("%s: got a JSON %s, want %s", strings.TrimPrefix(te.Field, "Data."), te.Value, te.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "body is not a complete JSON document"
	}
	return msg
}

// logLevel grades an answer for the request log: failures of the service
// are errors, refused requests warnings.
func logLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	default:
		return slog.LevelInfo
	}
}

// statusLabel is the metric label value of a status code.
func statusLabel(status int) string { return strconv.Itoa(status) }
