package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Credentials are the resolved secrets that guard protected routes. The zero
// value means no authentication.
type Credentials struct {
	BearerToken string
	Username    string
	Password    string
}

// Options configures a Server.
type Options struct {
	Config ServerConfig
	// Credentials are resolved from Config.Auth by the caller, which owns
	// secret lookup.
	Credentials Credentials
	Logger      *slog.Logger
	// Gatherer serves /metrics.
	Gatherer prometheus.Gatherer
	// Ready reports whether the process is ready to serve; nil means ready
	// once started.
	Ready func() error
}

// Server serves the open routes (/metrics, /healthz, /readyz) and the
// protected routes that components register with Handle.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	srv     *http.Server
	ln      net.Listener
	started atomic.Bool
}

// New returns a Server that is not yet listening.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		return nil, errors.New("server: Options.Logger is required")
	}
	if opts.Gatherer == nil {
		return nil, errors.New("server: Options.Gatherer is required")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if opts.Config.Auth.Enabled() && opts.Credentials == (Credentials{}) {
		return nil, errors.New("server: authentication is configured but no credentials were resolved")
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError)}))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.srv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handle registers a protected route: it requires the configured
// authentication and limits the request body to Config.MaxBodyBytes.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.protect(h))
}

// Start listens on Config.Listen and serves in the background. Addr returns
// the bound address afterwards, which matters when the port is 0.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Config.Listen)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", s.opts.Config.Listen, err)
	}
	s.ln = ln
	s.started.Store(true)
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("http server stopped", "err", err)
		}
	}()
	s.opts.Logger.Info("http server listening", "addr", ln.Addr().String())
	return nil
}

// Addr returns the listening address, or "" before Start.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Stop shuts the server down, waiting for requests in flight until ctx ends.
func (s *Server) Stop(ctx context.Context) error {
	s.started.Store(false)
	return s.srv.Shutdown(ctx)
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.started.Load() {
		http.Error(w, "not started", http.StatusServiceUnavailable)
		return
	}
	if s.opts.Ready != nil {
		if err := s.opts.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("ok\n"))
}

// protect wraps h with authentication and a body limit.
func (s *Server) protect(h http.Handler) http.Handler {
	c := s.opts.Credentials
	limit := s.opts.Config.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r, c) {
			if c.BearerToken != "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="driftwatch"`)
			} else {
				w.Header().Set("WWW-Authenticate", `Basic realm="driftwatch"`)
			}
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h.ServeHTTP(w, r)
	})
}

// authorized compares credentials in constant time. Hashing first makes the
// comparison independent of the secret's length.
func authorized(r *http.Request, c Credentials) bool {
	switch {
	case c.BearerToken != "":
		const prefix = "Bearer "
		got := r.Header.Get("Authorization")
		if len(got) < len(prefix) || got[:len(prefix)] != prefix {
			return false
		}
		return equal(got[len(prefix):], c.BearerToken)
	case c.Username != "":
		u, p, ok := r.BasicAuth()
		return ok && equal(u, c.Username) && equal(p, c.Password)
	default:
		return true
	}
}

func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
