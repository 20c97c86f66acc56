package webhook

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/config/secret"
	"github.com/driftwatch/driftwatch/internal/server"
)

// mount serves the webhook and the runs API on a real internal/server with
// the given authentication and server.max_body_bytes. The handlers keep
// their default limit, so the server's is the one that applies.
func mount(t *testing.T, auth server.AuthConfig, creds server.Credentials, maxBody int64, n Notifier, rq Requester) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	var cfg server.ServerConfig
	cfg.SetDefaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.Auth = auth
	cfg.MaxBodyBytes = maxBody
	log := slog.New(slog.DiscardHandler)
	s, err := server.New(server.Options{Config: cfg, Credentials: creds, Logger: log, Gatherer: reg})
	require.NoError(t, err)
	am, err := NewAlertmanager(AlertmanagerOptions{Notifier: n, Logger: log, Registerer: reg})
	require.NoError(t, err)
	runs, err := NewRuns(RunsOptions{Requester: rq, Logger: log, Registerer: reg})
	require.NoError(t, err)
	s.Handle(AlertmanagerPath, am)
	s.Handle(RunsPath, runs)
	require.NoError(t, s.Start())
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return "http://" + s.Addr()
}

// TestServerAuthentication mounts the handlers on internal/server and
// checks that wrong or missing credentials get 401 and reach neither the
// Notifier nor the Requester.
func TestServerAuthentication(t *testing.T) {
	payload := readTestdata(t, "am-0.25-firing.good.json")
	const run = `{"model":"credit-risk","reason":"new labels"}`
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	basic := func(u, p string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(u, p) }
	}
	tests := []struct {
		name  string
		auth  server.AuthConfig
		creds server.Credentials
		set   func(*http.Request)
		want  int
	}{
		{name: "bearer: missing", auth: bearerAuth, creds: bearerCreds, want: http.StatusUnauthorized},
		{name: "bearer: wrong token", auth: bearerAuth, creds: bearerCreds, set: bearer("t0ken-wrong"), want: http.StatusUnauthorized},
		{name: "bearer: token prefix", auth: bearerAuth, creds: bearerCreds, set: bearer("t0k"), want: http.StatusUnauthorized},
		{name: "bearer: basic instead", auth: bearerAuth, creds: bearerCreds, set: basic("alertmanager", "t0ken"), want: http.StatusUnauthorized},
		{name: "bearer: right token", auth: bearerAuth, creds: bearerCreds, set: bearer("t0ken"), want: http.StatusOK},
		{name: "basic: missing", auth: basicAuth, creds: basicCreds, want: http.StatusUnauthorized},
		{name: "basic: wrong password", auth: basicAuth, creds: basicCreds, set: basic("alertmanager", "wrong"), want: http.StatusUnauthorized},
		{name: "basic: wrong user", auth: basicAuth, creds: basicCreds, set: basic("mallory", "s3cret"), want: http.StatusUnauthorized},
		{name: "basic: bearer instead", auth: basicAuth, creds: basicCreds, set: bearer("s3cret"), want: http.StatusUnauthorized},
		{name: "basic: right credentials", auth: basicAuth, creds: basicCreds, set: basic("alertmanager", "s3cret"), want: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &recordingNotifier{}
			rq := &recordingRequester{decision: decision("started", "")}
			base := mount(t, tc.auth, tc.creds, 1<<20, n, rq)

			code := post(t, base+AlertmanagerPath, payload, tc.set)
			require.Equal(t, tc.want, code)
			runCode := post(t, base+RunsPath, []byte(run), tc.set)
			if tc.want == http.StatusOK {
				require.Equal(t, http.StatusCreated, runCode)
				require.Len(t, n.calls(), 1)
				require.Len(t, rq.calls(), 1)
				return
			}
			require.Equal(t, tc.want, runCode)
			require.Empty(t, n.calls(), "nothing reaches the Notifier")
			require.Empty(t, rq.calls(), "nothing reaches the Requester")
		})
	}
}

// TestServerBodyLimit checks that the body limit of internal/server, when
// it is the smaller, is answered 413 by the webhook.
func TestServerBodyLimit(t *testing.T) {
	n := &recordingNotifier{}
	base := mount(t, server.AuthConfig{}, server.Credentials{}, 2048, n, &recordingRequester{})
	code, body := postBody(t, base+AlertmanagerPath, bigPayload(t, 4096), nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	require.Contains(t, body, "body is larger than 2048 bytes")
	require.Empty(t, n.calls())
	require.Equal(t, http.StatusOK, post(t, base+AlertmanagerPath, readTestdata(t, "am-0.25-firing.good.json"), nil))
}

var (
	bearerAuth  = server.AuthConfig{BearerToken: secret.Ref{Env: "DRIFTWATCH_WEBHOOK_TOKEN"}}
	bearerCreds = server.Credentials{BearerToken: "t0ken"}
	basicAuth   = server.AuthConfig{Basic: server.BasicAuthConfig{Username: "alertmanager", Password: secret.Ref{Env: "DRIFTWATCH_WEBHOOK_PASSWORD"}}}
	basicCreds  = server.Credentials{Username: "alertmanager", Password: "s3cret"}
)

func post(t *testing.T, url string, body []byte, set func(*http.Request)) int {
	t.Helper()
	code, _ := postBody(t, url, body, set)
	return code
}

func postBody(t *testing.T, url string, body []byte, set func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if set != nil {
		set(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}
