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
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
)

// TestAlertmanagerGood posts each good payload and compares what reached
// the Notifier and the answer with the golden file; go test -update
// rewrites them.
func TestAlertmanagerGood(t *testing.T) {
	tests := []struct {
		name        string
		file        string
		contentType string
	}{
		{name: "firing, from alertmanager 0.25", file: "am-0.25-firing.good.json"},
		{name: "multiple firing, from alertmanager 0.25", file: "am-0.25-firing-multiple.good.json"},
		{name: "resolved, from alertmanager 0.25", file: "am-0.25-resolved.good.json"},
		{name: "firing and resolved in one notification", file: "mixed.good.json"},
		{name: "alertmanager 0.34 fields", file: "am-0.34-firing.good.json"},
		{name: "unknown fields are ignored", file: "extra-fields.good.json", contentType: "application/json; charset=utf-8"},
		{name: "fingerprints computed from labels", file: "no-fingerprint.good.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &recordingNotifier{}
			h, _ := newAlertmanager(t, n, 0)
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			rec := serve(h, http.MethodPost, ct, bytes.NewReader(readTestdata(t, tc.file)))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			calls := n.calls()
			require.Len(t, calls, 1)

			got, err := json.MarshalIndent(struct {
				Notification triggers.Notification
				Response     json.RawMessage
			}{calls[0], rec.Body.Bytes()}, "", "  ")
			require.NoError(t, err)
			golden := filepath.Join("testdata", strings.TrimSuffix(tc.file, ".good.json")+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want := readTestdata(t, filepath.Base(golden))
			if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestFingerprintMatchesAlertmanager checks that the fingerprints computed
// for alerts that came without one equal those Alertmanager 0.25 sent for
// the same labels.
func TestFingerprintMatchesAlertmanager(t *testing.T) {
	var sent, stripped message
	require.NoError(t, json.Unmarshal(readTestdata(t, "am-0.25-firing-multiple.good.json"), &sent))
	require.NoError(t, json.Unmarshal(readTestdata(t, "no-fingerprint.good.json"), &stripped))
	require.Len(t, stripped.Alerts, len(sent.Alerts))
	for i := range sent.Alerts {
		require.Empty(t, stripped.Alerts[i].Fingerprint)
		require.Equal(t, sent.Alerts[i].Fingerprint, fingerprint(stripped.Alerts[i]), "alert %d", i)
	}
}

// TestAlertmanagerBad checks that every bad request gets its documented
// status and error, and that nothing reaches the Notifier.
func TestAlertmanagerBad(t *testing.T) {
	valid := readTestdata(t, "am-0.25-firing.good.json")
	big := bigPayload(t, 2048)
	tests := []struct {
		name         string
		method       string
		contentType  string
		file         string // read from testdata, instead of body
		body         []byte
		maxBody      int64
		wantStatus   int
		wantError    string
		wantProblems []string
	}{
		{name: "GET", method: http.MethodGet, body: valid, wantStatus: http.StatusMethodNotAllowed, wantError: "method GET is not allowed, use POST"},
		{name: "PUT", method: http.MethodPut, body: valid, wantStatus: http.StatusMethodNotAllowed, wantError: "method PUT is not allowed, use POST"},
		{name: "text content type", contentType: "text/plain", body: valid, wantStatus: http.StatusUnsupportedMediaType, wantError: `content type "text/plain" is not JSON`},
		{name: "form content type", contentType: "application/x-www-form-urlencoded", body: valid, wantStatus: http.StatusUnsupportedMediaType, wantError: "is not JSON"},
		{name: "no content type", contentType: "-", body: valid, wantStatus: http.StatusUnsupportedMediaType, wantError: `content type "" is not JSON`},
		{name: "oversized, declared length", body: big, maxBody: 1024, wantStatus: http.StatusRequestEntityTooLarge, wantError: "body is larger than 1024 bytes"},
		{name: "oversized, streamed", body: big, maxBody: -1024, wantStatus: http.StatusRequestEntityTooLarge, wantError: "body is larger than 1024 bytes"},
		{name: "empty body", body: []byte{}, wantStatus: http.StatusBadRequest, wantError: "malformed notification: unexpected end of JSON input (at byte 0)"},
		{name: "truncated", file: "truncated.bad.json", wantStatus: http.StatusBadRequest, wantError: "malformed notification: unexpected end of JSON input"},
		{name: "not JSON", body: []byte("receiver=driftwatch"), wantStatus: http.StatusBadRequest, wantError: "malformed notification: invalid character 'r' looking for beginning of value (at byte 1)"},
		{name: "trailing data", file: "trailing-data.bad.json", wantStatus: http.StatusBadRequest, wantError: "invalid character '{' after top-level value"},
		{name: "label of the wrong type", file: "wrong-type.bad.json", wantStatus: http.StatusBadRequest, wantError: "malformed notification: alerts.labels: got a JSON number, want string"},
		{name: "unparsable startsAt", file: "bad-time.bad.json", wantStatus: http.StatusBadRequest, wantError: `malformed notification: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00"`},
		{name: "version 3", file: "version-3.bad.json", wantStatus: http.StatusUnprocessableEntity, wantError: "invalid notification",
			wantProblems: []string{`version: got "3", want "4"`}},
		{name: "no version", file: "version-missing.bad.json", wantStatus: http.StatusUnprocessableEntity, wantError: "invalid notification",
			wantProblems: []string{`version: got "", want "4"`}},
		{name: "no groupKey", file: "missing-groupkey.bad.json", wantStatus: http.StatusUnprocessableEntity, wantError: "invalid notification",
			wantProblems: []string{"groupKey: is required"}},
		{name: "alert status pending", file: "alert-status.bad.json", wantStatus: http.StatusUnprocessableEntity, wantError: "invalid notification",
			wantProblems: []string{`alerts[0].status: got "pending", want "firing" or "resolved"`}},
		{name: "firing alert without startsAt", file: "missing-startsat.bad.json", wantStatus: http.StatusUnprocessableEntity, wantError: "invalid notification",
			wantProblems: []string{"alerts[0].startsAt: is required"}},
		{name: "no alerts", file: "no-alerts.bad.json", wantStatus: http.StatusUnprocessableEntity, wantError: "invalid notification",
			wantProblems: []string{"alerts: is empty"}},
		{name: "JSON null", body: []byte("null"), wantStatus: http.StatusUnprocessableEntity, wantError: "invalid notification",
			wantProblems: []string{`version: got "", want "4"`, "groupKey: is required", "alerts: is empty"}},
		{name: "every problem at once", file: "many-problems.bad.json", wantStatus: http.StatusUnprocessableEntity, wantError: "invalid notification",
			wantProblems: []string{`version: got "5", want "4"`, "groupKey: is required", `alerts[0].status: got "", want "firing" or "resolved"`, "alerts[1].startsAt: is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &recordingNotifier{}
			maxBody := tc.maxBody
			var body io.Reader = bytes.NewReader(tc.body)
			if tc.file != "" {
				body = bytes.NewReader(readTestdata(t, tc.file))
			}
			if maxBody < 0 { // A negative limit in the table asks for a body of unknown length.
				maxBody, body = -maxBody, unsized(tc.body)
			}
			h, _ := newAlertmanager(t, n, maxBody)
			method, ct := tc.method, tc.contentType
			if method == "" {
				method = http.MethodPost
			}
			switch ct {
			case "":
				ct = "application/json"
			case "-":
				ct = ""
			}
			rec := serve(h, method, ct, body)
			require.Equal(t, tc.wantStatus, rec.Code, rec.Body.String())
			var got AlertmanagerResponse
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got), rec.Body.String())
			require.Contains(t, got.Error, tc.wantError)
			if diff := cmp.Diff(tc.wantProblems, got.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if tc.wantStatus == http.StatusMethodNotAllowed {
				require.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
			}
			require.Empty(t, n.calls(), "nothing reaches the Notifier")
		})
	}
}

// TestAlertmanagerProblemsCapped checks that a payload with many bad alerts
// gets a short answer.
func TestAlertmanagerProblemsCapped(t *testing.T) {
	var m message
	require.NoError(t, json.Unmarshal(readTestdata(t, "alert-status.bad.json"), &m))
	for len(m.Alerts) < 50 {
		m.Alerts = append(m.Alerts, m.Alerts[0])
	}
	body, err := json.Marshal(m)
	require.NoError(t, err)
	h, _ := newAlertmanager(t, &recordingNotifier{}, 0)
	rec := serve(h, http.MethodPost, "application/json", bytes.NewReader(body))
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	var got AlertmanagerResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Len(t, got.Problems, maxProblems+1)
	require.Equal(t, "and 30 more", got.Problems[maxProblems])
}

// TestAlertmanagerEngineErrors checks how errors of the engine map to
// statuses. The Notifier is called, since the payload is valid.
func TestAlertmanagerEngineErrors(t *testing.T) {
	tests := []struct {
		name           string
		err            error
		wantStatus     int
		wantError      string
		wantRetryAfter string
	}{
		{name: "invalid", err: fmt.Errorf("model %q: %w", "nope", triggers.ErrInvalid), wantStatus: http.StatusUnprocessableEntity,
			wantError: `model "nope": invalid trigger`},
		{name: "unavailable", err: fmt.Errorf("write bbolt: %w", triggers.ErrUnavailable), wantStatus: http.StatusServiceUnavailable,
			wantError: "trigger engine unavailable, retry later", wantRetryAfter: "30"},
		{name: "unexpected", err: errors.New("boom"), wantStatus: http.StatusServiceUnavailable,
			wantError: "trigger engine unavailable, retry later", wantRetryAfter: "30"},
		{name: "invalid and unavailable", err: errors.Join(triggers.ErrInvalid, triggers.ErrUnavailable), wantStatus: http.StatusServiceUnavailable,
			wantError: "trigger engine unavailable, retry later", wantRetryAfter: "30"},
		{name: "cancelled", err: context.Canceled, wantStatus: http.StatusServiceUnavailable,
			wantError: "trigger engine unavailable, retry later", wantRetryAfter: "30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &recordingNotifier{err: tc.err}
			h, _ := newAlertmanager(t, n, 0)
			rec := serve(h, http.MethodPost, "application/json", bytes.NewReader(readTestdata(t, "am-0.25-firing.good.json")))
			require.Equal(t, tc.wantStatus, rec.Code, rec.Body.String())
			require.Equal(t, tc.wantRetryAfter, rec.Header().Get("Retry-After"))
			var got AlertmanagerResponse
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			require.Equal(t, tc.wantError, got.Error)
			require.Empty(t, got.Decisions)
			require.Len(t, n.calls(), 1)
			firing := h.(*alertmanager).metrics.alerts.WithLabelValues("firing")
			require.Equal(t, 0.0, testutil.ToFloat64(firing), "alerts are counted only when accepted")
		})
	}
}

// TestAlertmanagerMetrics checks the counters after a few requests, and
// lints them.
func TestAlertmanagerMetrics(t *testing.T) {
	h, reg := newAlertmanager(t, &recordingNotifier{}, 0)
	for _, f := range []string{"am-0.25-firing-multiple.good.json", "mixed.good.json", "version-3.bad.json", "truncated.bad.json"} {
		serve(h, http.MethodPost, "application/json", bytes.NewReader(readTestdata(t, f)))
	}
	serve(h, http.MethodGet, "", nil)
	want := `
# HELP driftwatch_webhook_alerts_total Alerts of notifications that the trigger engine accepted, by alert status. A notification that Alertmanager sends again counts again.
# TYPE driftwatch_webhook_alerts_total counter
driftwatch_webhook_alerts_total{status="firing"} 3
driftwatch_webhook_alerts_total{status="resolved"} 1
# HELP driftwatch_webhook_requests_total Alertmanager webhook requests answered, by HTTP status. Requests that fail authentication are answered 401 before they reach the webhook and are not counted.
# TYPE driftwatch_webhook_requests_total counter
driftwatch_webhook_requests_total{status="200"} 2
driftwatch_webhook_requests_total{status="400"} 1
driftwatch_webhook_requests_total{status="405"} 1
driftwatch_webhook_requests_total{status="413"} 0
driftwatch_webhook_requests_total{status="415"} 0
driftwatch_webhook_requests_total{status="422"} 1
driftwatch_webhook_requests_total{status="503"} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want)))
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// TestAlertmanagerLogs checks that a request is logged with its outcome.
func TestAlertmanagerLogs(t *testing.T) {
	var buf bytes.Buffer
	h, err := NewAlertmanager(AlertmanagerOptions{
		Notifier: &recordingNotifier{}, Logger: slog.New(slog.NewTextHandler(&buf, nil)), Registerer: prometheus.NewRegistry(),
	})
	require.NoError(t, err)
	serve(h, http.MethodPost, "application/json", bytes.NewReader(readTestdata(t, "am-0.25-firing-multiple.good.json")))
	serve(h, http.MethodPost, "application/json", bytes.NewReader(readTestdata(t, "version-3.bad.json")))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	require.Contains(t, lines[0], `level=INFO msg="alertmanager webhook"`)
	require.Contains(t, lines[0], `alerts=2 outcomes=map[started:2] status=200`)
	require.Contains(t, lines[1], `level=WARN msg="alertmanager webhook"`)
	require.Contains(t, lines[1], `status=422 err="invalid notification" problems="[version: got \"3\", want \"4\"]"`)
}

func TestNewAlertmanagerOptions(t *testing.T) {
	n, log, reg := &recordingNotifier{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry()
	tests := []struct {
		name    string
		opts    AlertmanagerOptions
		wantErr string
	}{
		{name: "no notifier", opts: AlertmanagerOptions{Logger: log, Registerer: reg}, wantErr: "webhook: AlertmanagerOptions.Notifier is required"},
		{name: "no logger", opts: AlertmanagerOptions{Notifier: n, Registerer: reg}, wantErr: "webhook: AlertmanagerOptions.Logger is required"},
		{name: "no registerer", opts: AlertmanagerOptions{Notifier: n, Logger: log}, wantErr: "webhook: AlertmanagerOptions.Registerer is required"},
		{name: "negative limit", opts: AlertmanagerOptions{Notifier: n, Logger: log, Registerer: reg, MaxBodyBytes: -1}, wantErr: "webhook: AlertmanagerOptions.MaxBodyBytes must not be negative, got -1"},
		{name: "negative retry", opts: AlertmanagerOptions{Notifier: n, Logger: log, Registerer: reg, RetryAfter: -1}, wantErr: "webhook: AlertmanagerOptions.RetryAfter must not be negative, got -1ns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAlertmanager(tc.opts)
			require.EqualError(t, err, tc.wantErr)
		})
	}
	_, err := NewAlertmanager(AlertmanagerOptions{Notifier: n, Logger: log, Registerer: reg})
	require.NoError(t, err)
	_, err = NewAlertmanager(AlertmanagerOptions{Notifier: n, Logger: log, Registerer: reg})
	require.ErrorContains(t, err, "webhook: register metrics:", "a second webhook on one registry")
}

// bigPayload returns a valid notification of at least size bytes.
func bigPayload(t *testing.T, size int) []byte {
	t.Helper()
	var m message
	require.NoError(t, json.Unmarshal(readTestdata(t, "am-0.25-firing.good.json"), &m))
	m.Alerts[0].Annotations["description"] = strings.Repeat("x", size)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}
