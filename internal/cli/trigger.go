package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/config/secret"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/server"
	"github.com/driftwatch/driftwatch/triggers/webhook"
)

// TokenEnv names the environment variable that holds a bearer token for
// the commands that call the API: trigger, runs and models. It takes
// precedence over server.auth of --config.
const TokenEnv = "DRIFTWATCH_TOKEN"

// TriggerCmd asks a running driftwatch for a pipeline run, through POST
// /api/v1/runs. docs/alerting.md describes it.
type TriggerCmd struct {
	Model          string            `required:"" placeholder:"NAME" help:"Model to run a pipeline for."`
	Reason         string            `required:"" placeholder:"TEXT" help:"Why the run is wanted; recorded with the decision."`
	Pipeline       string            `placeholder:"NAME" help:"Pipeline to run. Default: the model's only pipeline."`
	Param          map[string]string `mapsep:"none" placeholder:"KEY=VALUE" help:"Parameter for the run's steps, such as git_sha=abc123. Repeat for more."`
	IdempotencyKey string            `placeholder:"KEY" help:"Key that makes a retried request return the first request's decision instead of requesting a second run."`
	RequestedBy    string            `placeholder:"NAME" help:"Who asks, for the decision log. Default: the USER environment variable."`
	Server         string            `placeholder:"URL" help:"Base URL of the running driftwatch. Default: http:// and server.listen of --config, else http://127.0.0.1:9400."`
	Config         string            `short:"c" type:"path" placeholder:"FILE" help:"Configuration of the running driftwatch, for server.listen and server.auth."`
	Timeout        time.Duration     `default:"30s" help:"How long to wait for the answer."`
}

// Run posts the request and prints the decision. It exits 0 when a run was
// requested or the request repeats an earlier one, and 1 when the run was
// suppressed or the request failed.
func (c *TriggerCmd) Run(env *Env) error {
	cfg, err := loadAPIConfig("trigger", c.Config)
	if err != nil {
		return err
	}
	endpoint, err := c.endpoint(cfg)
	if err != nil {
		return &exitError{code: ExitUsage, msg: "driftwatch: trigger: --server: " + err.Error()}
	}
	// Relative secret files are taken from the configuration's directory,
	// as driftwatch run takes them.
	creds, err := credentials(cfg, secret.Resolver{Dir: filepath.Dir(c.Config)})
	if err != nil {
		return c.fail(fmt.Errorf("%w (or set %s)", err, TokenEnv))
	}
	req := webhook.RunRequest{
		Model: c.Model, Pipeline: c.Pipeline, Reason: c.Reason, Params: c.Param,
		IdempotencyKey: c.IdempotencyKey, RequestedBy: c.RequestedBy,
	}
	if req.RequestedBy == "" {
		req.RequestedBy = os.Getenv("USER")
	}
	ctx, cancel := context.WithTimeout(env.Ctx, c.Timeout)
	defer cancel()
	status, resp, err := postRun(ctx, endpoint, creds, req)
	if err != nil {
		return c.fail(err)
	}
	if resp.Decision != nil {
		printDecision(env.Stdout, *resp.Decision)
	}
	switch {
	case (status == http.StatusCreated || status == http.StatusOK) && resp.Decision != nil:
		return nil
	case status == http.StatusUnauthorized:
		return c.fail(fmt.Errorf("%s refused the credentials: pass -c with the server's configuration, or set %s", endpoint, TokenEnv))
	}
	msg := fmt.Sprintf("%s: %d %s", endpoint, status, http.StatusText(status))
	if resp.Error != "" {
		msg += ": " + resp.Error
	}
	for _, p := range resp.Problems {
		msg += "\n  " + p
	}
	return c.fail(errors.New(msg))
}

func (c *TriggerCmd) fail(err error) error {
	return &exitError{code: ExitError, msg: "driftwatch: trigger: " + err.Error()}
}

// endpoint returns the URL of POST /api/v1/runs: under --server, or else
// under the address the configured server listens on.
func (c *TriggerCmd) endpoint(cfg *config.Config) (*url.URL, error) {
	base, err := apiBase(c.Server, cfg)
	if err != nil {
		return nil, err
	}
	return base.JoinPath(webhook.RunsPath), nil
}

// postRun sends req and decodes the answer, whatever its status. A body
// that is not JSON, such as the server's 401, becomes the answer's error.
func postRun(ctx context.Context, endpoint *url.URL, creds server.Credentials, req webhook.RunRequest) (int, webhook.RunResponse, error) {
	var resp webhook.RunResponse
	body, err := json.Marshal(req)
	if err != nil {
		return 0, resp, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return 0, resp, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	authorize(hreq, creds)
	hresp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return 0, resp, err
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, 1<<20))
	if err != nil {
		return 0, resp, fmt.Errorf("%s: reading the answer: %w", endpoint, err)
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		text := strings.TrimSpace(string(data))
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		resp = webhook.RunResponse{Error: text}
	}
	return hresp.StatusCode, resp, nil
}

// printDecision prints one line of key=value pairs.
func printDecision(w io.Writer, d webhook.Decision) {
	line := "outcome=" + string(d.Outcome)
	if d.RunID != "" {
		line += " run_id=" + d.RunID
	}
	if d.Model != "" {
		line += " model=" + d.Model
	}
	fmt.Fprintf(w, "%s reason=%q\n", line, d.Reason)
}
