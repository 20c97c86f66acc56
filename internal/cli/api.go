package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/driftwatch/driftwatch/config/secret"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/server"
)

// APIFlags locate a running driftwatch and its credentials, for the
// commands that call its HTTP API.
type APIFlags struct {
	Server string `placeholder:"URL" help:"Base URL of the running driftwatch. Default: http:// and server.listen of --config, else http://127.0.0.1:9400."`
	Config string `short:"c" type:"path" placeholder:"FILE" help:"Configuration of the running driftwatch, for server.listen and server.auth."`
}

// apiClient calls the HTTP API of a running driftwatch.
type apiClient struct {
	base  *url.URL
	creds server.Credentials
}

// client builds the API client of a command named cmd, such as "runs
// list". Its errors are ready to print.
func (f APIFlags) client(cmd string) (*apiClient, error) {
	cfg, err := loadAPIConfig(cmd, f.Config)
	if err != nil {
		return nil, err
	}
	base, err := apiBase(f.Server, cfg)
	if err != nil {
		return nil, &exitError{code: ExitUsage, msg: "driftwatch: " + cmd + ": --server: " + err.Error()}
	}
	// Relative secret files are taken from the configuration's directory,
	// as driftwatch run takes them.
	creds, err := credentials(cfg, secret.Resolver{Dir: filepath.Dir(f.Config)})
	if err != nil {
		return nil, &exitError{code: ExitError, msg: fmt.Sprintf("driftwatch: %s: %v (or set %s)", cmd, err, TokenEnv)}
	}
	return &apiClient{base: base, creds: creds}, nil
}

// loadAPIConfig loads the configuration at path, if any, and formats its
// problems for the command.
func loadAPIConfig(cmd, path string) (*config.Config, error) {
	if path == "" {
		return nil, nil
	}
	cfg, err := config.Load(path)
	if err == nil {
		return cfg, nil
	}
	var cerr *config.Error
	if errors.As(err, &cerr) {
		return nil, &exitError{code: ExitError, msg: fmt.Sprintf("%s\n%s: %d problem(s)", cerr, path, len(cerr.Problems))}
	}
	return nil, &exitError{code: ExitError, msg: "driftwatch: " + cmd + ": " + err.Error()}
}

// apiBase returns the base URL of the API: --server, or else the address
// the configured server listens on.
func apiBase(serverURL string, cfg *config.Config) (*url.URL, error) {
	base := serverURL
	if base == "" {
		var def server.ServerConfig
		def.SetDefaults()
		listen := def.Listen
		if cfg != nil {
			listen = cfg.Server.Listen
		}
		base = listenURL(listen)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http:// or https:// URL", base)
	}
	return u, nil
}

// listenURL turns a listen address into a URL to reach it: a wildcard host
// is reached on the loopback interface.
func listenURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	switch ip := net.ParseIP(host); {
	case host == "" || (ip != nil && ip.IsUnspecified() && ip.To4() != nil):
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// credentials returns the bearer token of DRIFTWATCH_TOKEN or, without it,
// the credentials of the configuration's server.auth, resolved as the
// server resolves them.
func credentials(cfg *config.Config, res secret.Resolver) (server.Credentials, error) {
	if tok := os.Getenv(TokenEnv); tok != "" {
		return server.Credentials{BearerToken: tok}, nil
	}
	var creds server.Credentials
	if cfg == nil {
		return creds, nil
	}
	auth := cfg.Server.Auth
	var err error
	if !auth.BearerToken.IsZero() {
		if creds.BearerToken, err = res.Resolve(auth.BearerToken); err != nil {
			return creds, fmt.Errorf("server.auth.bearer_token: %w", err)
		}
	}
	if auth.Basic.Username != "" {
		creds.Username = auth.Basic.Username
		if creds.Password, err = res.Resolve(auth.Basic.Password); err != nil {
			return creds, fmt.Errorf("server.auth.basic.password: %w", err)
		}
	}
	return creds, nil
}

// authorize sets the Authorization header of req.
func authorize(req *http.Request, creds server.Credentials) {
	switch {
	case creds.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+creds.BearerToken)
	case creds.Username != "":
		req.SetBasicAuth(creds.Username, creds.Password)
	}
}

// apiError is an answer with an error status.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%d %s", e.status, http.StatusText(e.status))
	if e.msg != "" {
		s += ": " + e.msg
	}
	return s
}

// call sends a request to path under the API's base URL with body as
// JSON, and decodes a 2xx answer into out: JSON, or the text itself when
// out is a *string. Another status is an *apiError with the server's
// message.
func (c *apiClient) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := c.base.JoinPath(path)
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	authorize(req, c.creds)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", u.Redacted(), err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
			if len(e.Error) > 200 {
				e.Error = e.Error[:200] + "..."
			}
		}
		if resp.StatusCode == http.StatusUnauthorized {
			e.Error = fmt.Sprintf("%s refused the credentials: pass -c with the server's configuration, or set %s", c.base.Redacted(), TokenEnv)
		}
		return &apiError{status: resp.StatusCode, msg: e.Error}
	}
	if s, ok := out.(*string); ok {
		*s = string(data)
		return nil
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: the answer is not the expected JSON: %w", u.Redacted(), err)
	}
	return nil
}

// requester returns who runs the command: --by, else $USER, else the
// account's name.
func requester(by string) string {
	if by != "" {
		return by
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// failed wraps an error of a command for printing.
func failed(cmd string, err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: ExitError, msg: "driftwatch: " + cmd + ": " + err.Error()}
}
