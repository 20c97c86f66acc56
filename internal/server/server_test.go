package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/config/secret"
)

func start(t *testing.T, auth AuthConfig, creds Credentials, ready func() error) *Server {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "driftwatch_test_requests_total", Help: "Test counter."})
	reg.MustRegister(c)
	c.Inc()
	var cfg ServerConfig
	cfg.SetDefaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.MaxBodyBytes = 1024
	cfg.Auth = auth
	s, err := New(Options{Config: cfg, Credentials: creds, Logger: slog.New(slog.DiscardHandler), Gatherer: reg, Ready: ready})
	require.NoError(t, err)
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		_, _ = w.Write(b)
	}))
	require.NoError(t, s.Start())
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

func do(t *testing.T, s *Server, method, path, body string, set func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.Addr()+path, strings.NewReader(body))
	require.NoError(t, err)
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

func TestOpenRoutes(t *testing.T) {
	notReady := errors.New("reference profile not loaded")
	var readyErr error = notReady
	s := start(t, AuthConfig{BearerToken: secret.Ref{Env: "X"}}, Credentials{BearerToken: "t0ken"}, func() error { return readyErr })

	code, body := do(t, s, "GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "driftwatch_test_requests_total 1")

	code, _ = do(t, s, "GET", "/healthz", "", nil)
	require.Equal(t, http.StatusOK, code)

	code, body = do(t, s, "GET", "/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "reference profile not loaded")
	readyErr = nil
	code, _ = do(t, s, "GET", "/readyz", "", nil)
	require.Equal(t, http.StatusOK, code)
}

func TestProtectedRoutes(t *testing.T) {
	bearer := start(t, AuthConfig{BearerToken: secret.Ref{Env: "X"}}, Credentials{BearerToken: "t0ken"}, nil)
	basic := start(t, AuthConfig{Basic: BasicAuthConfig{Username: "am", Password: secret.Ref{Env: "Y"}}}, Credentials{Username: "am", Password: "pw"}, nil)
	open := start(t, AuthConfig{}, Credentials{}, nil)

	tests := []struct {
		name     string
		s        *Server
		body     string
		set      func(*http.Request)
		wantCode int
	}{
		{"bearer ok", bearer, "hi", func(r *http.Request) { r.Header.Set("Authorization", "Bearer t0ken") }, http.StatusOK},
		{"bearer wrong", bearer, "hi", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, http.StatusUnauthorized},
		{"bearer missing", bearer, "hi", nil, http.StatusUnauthorized},
		{"bearer as basic", bearer, "hi", func(r *http.Request) { r.SetBasicAuth("t0ken", "") }, http.StatusUnauthorized},
		{"basic ok", basic, "hi", func(r *http.Request) { r.SetBasicAuth("am", "pw") }, http.StatusOK},
		{"basic wrong password", basic, "hi", func(r *http.Request) { r.SetBasicAuth("am", "pw2") }, http.StatusUnauthorized},
		{"no auth configured", open, "hi", nil, http.StatusOK},
		{"body over the limit", open, strings.Repeat("x", 2048), nil, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, tc.s, "POST", "/echo", tc.body, tc.set)
			require.Equal(t, tc.wantCode, code, body)
			if code == http.StatusOK {
				require.Equal(t, tc.body, body)
			}
		})
	}
}

func TestNewRequiresCredentialsWhenAuthConfigured(t *testing.T) {
	var cfg ServerConfig
	cfg.SetDefaults()
	cfg.Auth.BearerToken = secret.Ref{Env: "TOKEN"}
	_, err := New(Options{Config: cfg, Logger: slog.New(slog.DiscardHandler), Gatherer: prometheus.NewRegistry()})
	require.EqualError(t, err, "server: authentication is configured but no credentials were resolved")
}
