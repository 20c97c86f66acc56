package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/driftwatch/driftwatch/triggers"
)

// FuzzAlertmanager posts arbitrary bodies with arbitrary content types to
// the webhook. It checks that the handler never panics, answers only
// documented statuses with a JSON body, and hands the Notifier a valid
// notification exactly when it answers 200. The seeds are every payload
// under testdata and a few edge cases.
func FuzzAlertmanager(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed payloads: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "application/json")
	}
	for _, seed := range []struct{ body, contentType string }{
		{"", "application/json"},
		{"null", "application/json"},
		{"[]", "application/json"},
		{`{"version":"4","groupKey":"g","alerts":[{"status":"firing","startsAt":"2026-01-01T00:00:00Z"}]}`, "application/json; charset=utf-8"},
		{`{"version":"4","groupKey":"g","alerts":[{"status":"resolved","startsAt":"2026-01-01T00:00:00+02:00","labels":{"":""}}]}`, "application/vnd.alertmanager+json"},
		{`{"version":4}`, "application/json"},
		{`{"alerts":null,"truncatedAlerts":-1}`, "application/json"},
		{`{"version":"4"}`, "text/plain"},
		{`{"version":"4"}`, ""},
		{`{"version":"4"}`, "application/json; charset"},
	} {
		f.Add([]byte(seed.body), seed.contentType)
	}

	// The handler is built once: each fuzz worker runs its inputs one
	// after another, and n is reset before each.
	n := &recordingNotifier{}
	h, _ := newAlertmanager(f, n, 4096)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		n.mu.Lock()
		n.got = nil
		n.mu.Unlock()
		rec := serve(h, http.MethodPost, contentType, bytes.NewReader(body))

		if !slices.Contains(alertmanagerStatuses, rec.Code) {
			t.Fatalf("undocumented status %d: %s", rec.Code, rec.Body)
		}
		var resp AlertmanagerResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("status %d: answer is not JSON: %v: %q", rec.Code, err, rec.Body)
		}
		calls := n.calls()
		if rec.Code != http.StatusOK {
			if len(calls) != 0 {
				t.Fatalf("status %d, but the Notifier was called", rec.Code)
			}
			if resp.Error == "" {
				t.Fatalf("status %d without an error", rec.Code)
			}
			return
		}
		if len(calls) != 1 {
			t.Fatalf("status 200, but the Notifier was called %d times", len(calls))
		}
		checkNotification(t, calls[0])
		if resp.Alerts != len(calls[0].Alerts) || len(resp.Decisions) != len(calls[0].Alerts) {
			t.Fatalf("answer does not summarise the notification: %s", rec.Body)
		}
	})
}

// checkNotification fails unless n is what the engine may rely on.
func checkNotification(t *testing.T, n triggers.Notification) {
	t.Helper()
	if n.Origin != triggers.OriginAlertmanager || n.GroupKey == "" || len(n.Alerts) == 0 {
		t.Fatalf("invalid notification: %+v", n)
	}
	for i, a := range n.Alerts {
		if a.Status != triggers.AlertFiring && a.Status != triggers.AlertResolved {
			t.Fatalf("alert %d: status %q", i, a.Status)
		}
		if a.StartsAt.IsZero() || a.Fingerprint == "" {
			t.Fatalf("alert %d: no startsAt or fingerprint: %+v", i, a)
		}
	}
}
