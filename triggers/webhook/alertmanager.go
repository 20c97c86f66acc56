package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/triggers"
)

// AlertmanagerPath is where the Alertmanager webhook is served.
const AlertmanagerPath = "/webhooks/alertmanager"

// Notifier hands a notification to the trigger engine, which stores it
// durably and decides what becomes of each alert. An error that wraps
// triggers.ErrInvalid means the notification can never be accepted; any
// other error means nothing was stored.
type Notifier interface {
	Notify(ctx context.Context, n triggers.Notification) ([]triggers.Decision, error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n triggers.Notification) ([]triggers.Decision, error)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n triggers.Notification) ([]triggers.Decision, error) {
	return f(ctx, n)
}

// AlertmanagerOptions configures the Alertmanager webhook.
type AlertmanagerOptions struct {
	// Notifier receives every valid notification. Required.
	Notifier Notifier
	// Logger records every request with its outcome. Required.
	Logger *slog.Logger
	// Registerer gets the webhook's metrics. Required.
	Registerer prometheus.Registerer
	// MaxBodyBytes bounds the request body; 0 means DefaultMaxBodyBytes.
	// Pass server.max_body_bytes, so that the limit of internal/server and
	// this one agree.
	MaxBodyBytes int64
	// RetryAfter is sent with 503; 0 means DefaultRetryAfter.
	RetryAfter time.Duration
}

// AlertmanagerResponse is the body of every answer of the webhook. On 200
// it lists the engine's decisions; otherwise Error says what went wrong,
// and Problems lists every invalid field.
type AlertmanagerResponse struct {
	// Alerts is the number of alerts in the notification.
	Alerts    int        `json:"alerts,omitempty"`
	Decisions []Decision `json:"decisions,omitempty"`
	Error     string     `json:"error,omitempty"`
	Problems  []string   `json:"problems,omitempty"`
}

type alertmanager struct {
	opts    AlertmanagerOptions
	metrics *alertmanagerMetrics
}

// NewAlertmanager returns the handler of the Alertmanager webhook. Mount it
// on AlertmanagerPath without a method in the pattern, so that it answers
// other methods itself, with the internal/server authentication in front.
// The package documentation lists its answers.
func NewAlertmanager(opts AlertmanagerOptions) (http.Handler, error) {
	switch {
	case opts.Notifier == nil:
		return nil, errors.New("webhook: AlertmanagerOptions.Notifier is required")
	case opts.Logger == nil:
		return nil, errors.New("webhook: AlertmanagerOptions.Logger is required")
	case opts.Registerer == nil:
		return nil, errors.New("webhook: AlertmanagerOptions.Registerer is required")
	}
	var err error
	if opts.MaxBodyBytes, opts.RetryAfter, err = limits("AlertmanagerOptions", opts.MaxBodyBytes, opts.RetryAfter); err != nil {
		return nil, err
	}
	m, err := newAlertmanagerMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &alertmanager{opts: opts, metrics: m}, nil
}

// ServeHTTP answers one webhook call.
func (h *alertmanager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep, attrs := h.handle(w, r)
	finish(w, r, h.opts.Logger, h.metrics.requests, "alertmanager webhook", rep, attrs)
}

// handle validates the whole notification before the Notifier sees any of
// it. It returns the answer and the attributes to log.
func (h *alertmanager) handle(w http.ResponseWriter, r *http.Request) (reply, []slog.Attr) {
	attrs := []slog.Attr{slog.String("remote", r.RemoteAddr)}
	body, rep, ok := readJSON(w, r, h.opts.MaxBodyBytes)
	if !ok {
		return rep, attrs
	}
	m, err := decodeMessage(body)
	if err != nil {
		return fail(http.StatusBadRequest, "malformed notification: "+decodeError(err)), attrs
	}
	attrs = append(attrs, slog.String("group_key", m.GroupKey), slog.String("receiver", m.Receiver), slog.Int("alerts", len(m.Alerts)))
	if m.TruncatedAlerts > 0 {
		// Alertmanager dropped alerts beyond the receiver's max_alerts; the
		// rest are still worth acting on.
		attrs = append(attrs, slog.Uint64("truncated_alerts", m.TruncatedAlerts))
	}
	if probs := m.validate(); len(probs) > 0 {
		return fail(http.StatusUnprocessableEntity, "invalid notification", probs...), attrs
	}
	n := m.notification()
	decisions, err := h.opts.Notifier.Notify(r.Context(), n)
	if err != nil {
		return engineFailure(err, h.opts.RetryAfter), attrs
	}
	for _, a := range n.Alerts {
		h.metrics.alerts.WithLabelValues(string(a.Status)).Inc()
	}
	resp := AlertmanagerResponse{Alerts: len(n.Alerts), Decisions: make([]Decision, len(decisions))}
	outcomes := map[triggers.Outcome]int{}
	for i, d := range decisions {
		resp.Decisions[i] = decisionJSON(d)
		outcomes[d.Outcome]++
	}
	attrs = append(attrs, slog.Any("outcomes", outcomes))
	return reply{status: http.StatusOK, body: resp}, attrs
}

// limits checks the body limit and the Retry-After of a handler's options
// and fills in their defaults.
func limits(typ string, maxBody int64, retryAfter time.Duration) (int64, time.Duration, error) {
	switch {
	case maxBody < 0:
		return 0, 0, fmt.Errorf("webhook: %s.MaxBodyBytes must not be negative, got %d", typ, maxBody)
	case retryAfter < 0:
		return 0, 0, fmt.Errorf("webhook: %s.RetryAfter must not be negative, got %s", typ, retryAfter)
	}
	if maxBody == 0 {
		maxBody = DefaultMaxBodyBytes
	}
	if retryAfter == 0 {
		retryAfter = DefaultRetryAfter
	}
	return maxBody, retryAfter, nil
}
