package webhook

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// decidedAt is the time of every fake decision, so that answers are
// deterministic.
var decidedAt = time.Date(2026, 11, 24, 6, 17, 0, 0, time.UTC)

// recordingNotifier records every notification it gets and decides, like
// the engine would for a rule that matches everything: a firing alert
// starts a run named after its fingerprint, a resolved one is resolved.
// With err set it records the call and fails.
type recordingNotifier struct {
	mu  sync.Mutex
	got []triggers.Notification
	err error
}

func (f *recordingNotifier) Notify(_ context.Context, n triggers.Notification) ([]triggers.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, n)
	if f.err != nil {
		return nil, f.err
	}
	ds := make([]triggers.Decision, len(n.Alerts))
	for i, a := range n.Alerts {
		d := triggers.Decision{
			Key:    n.GroupKey + "/" + a.Fingerprint + "/" + a.StartsAt.Format(time.RFC3339Nano),
			Origin: n.Origin, Rule: "retrain-on-drift", Model: a.Labels["model"],
			Outcome: triggers.OutcomeStarted, Reason: "alert fired", RunID: "run-" + a.Fingerprint, At: decidedAt,
		}
		if a.Status == triggers.AlertResolved {
			d.Outcome, d.Reason = triggers.OutcomeResolved, "alert resolved; the run goes on"
		}
		ds[i] = d
	}
	return ds, nil
}

func (f *recordingNotifier) calls() []triggers.Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]triggers.Notification(nil), f.got...)
}

var _ Notifier = (*recordingNotifier)(nil)

// newAlertmanager builds the webhook over n with a fresh pedantic
// registry, which it returns for metric checks.
func newAlertmanager(t testing.TB, n Notifier, maxBody int64) (http.Handler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	h, err := NewAlertmanager(AlertmanagerOptions{
		Notifier: n, Logger: slog.New(slog.DiscardHandler), Registerer: reg, MaxBodyBytes: maxBody,
	})
	require.NoError(t, err)
	return h, reg
}

// serve sends one request to h and returns the recorded answer.
func serve(h http.Handler, method, contentType string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, AlertmanagerPath, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// unsized hides the length of a body, as a chunked request does.
func unsized(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) }
