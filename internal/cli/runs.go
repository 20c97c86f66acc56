package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/driftwatch/driftwatch/pipelines"
)

// RunsCmd groups the commands over pipeline runs. docs/pipelines.md
// describes them.
type RunsCmd struct {
	List    RunsListCmd    `cmd:"" help:"List pipeline runs, newest first."`
	Show    RunsShowCmd    `cmd:"" help:"Show a run: trigger, steps, gate verdict, deploy, verification and the end of each step's log."`
	Logs    RunsLogsCmd    `cmd:"" help:"Print the log of one attempt of a run's step."`
	Cancel  RunsCancelCmd  `cmd:"" help:"Cancel a run: a running step is stopped; a deploy in flight finishes first."`
	Approve RunsApproveCmd `cmd:"" help:"Override the gate's rejection of a run, so its challenger is deployed. Audited."`
}

// RunsListCmd lists runs.
type RunsListCmd struct {
	APIFlags `embed:""`
	Model    string        `placeholder:"NAME" help:"Only runs of this model."`
	State    string        `placeholder:"STATE" help:"Only runs in this state, such as failed or verifying."`
	Limit    int           `default:"20" help:"At most this many runs."`
	JSON     bool          `name:"json" help:"Print the API's JSON."`
	Timeout  time.Duration `default:"30s" help:"How long to wait for the answer."`
}

// Run prints the runs as a table.
func (c *RunsListCmd) Run(env *Env) error {
	const cmd = "runs list"
	q := url.Values{"limit": {strconv.Itoa(c.Limit)}}
	if c.Model != "" {
		q.Set("model", c.Model)
	}
	if c.State != "" {
		q.Set("state", c.State)
	}
	var resp pipelines.RunsResponse
	if err := apiCall(env, c.APIFlags, cmd, c.Timeout, http.MethodGet, "/api/v1/runs", q, nil, &resp); err != nil {
		return err
	}
	if c.JSON {
		return printJSON(env.Stdout, resp)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMODEL\tPIPELINE\tSTATE\tTRIGGER\tCHALLENGER\tCREATED\tMESSAGE")
	for _, r := range resp.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Model, r.Pipeline, r.State, r.Trigger, dash(r.Challenger),
			r.CreatedAt.UTC().Format(time.RFC3339), truncate(r.Message, 80))
	}
	return tw.Flush()
}

// RunsShowCmd shows one run.
type RunsShowCmd struct {
	APIFlags  `embed:""`
	ID        string        `arg:"" help:"Run ID."`
	TailBytes int           `default:"2048" help:"How much of the end of each step's latest log to show; 0 for none."`
	JSON      bool          `name:"json" help:"Print the API's JSON."`
	Timeout   time.Duration `default:"30s" help:"How long to wait for the answer."`
}

// Run prints the run.
func (c *RunsShowCmd) Run(env *Env) error {
	var resp pipelines.RunResponse
	q := url.Values{"tail_bytes": {strconv.Itoa(c.TailBytes)}}
	if err := apiCall(env, c.APIFlags, "runs show", c.Timeout, http.MethodGet, "/api/v1/runs/"+url.PathEscape(c.ID), q, nil, &resp); err != nil {
		return err
	}
	if c.JSON {
		return printJSON(env.Stdout, resp)
	}
	printRun(env.Stdout, resp)
	return nil
}

// RunsLogsCmd prints a step's log.
type RunsLogsCmd struct {
	APIFlags  `embed:""`
	ID        string        `arg:"" help:"Run ID."`
	Step      string        `placeholder:"STEP" help:"train, evaluate, deploy or rollback. Default: the run's last step."`
	Attempt   int           `placeholder:"N" help:"Attempt number. Default: the step's last attempt."`
	TailBytes int           `placeholder:"BYTES" help:"Only the end of the log, at most this many bytes."`
	Timeout   time.Duration `default:"30s" help:"How long to wait for the answer."`
}

// Run prints the log.
func (c *RunsLogsCmd) Run(env *Env) error {
	q := url.Values{}
	if c.Step != "" {
		q.Set("step", c.Step)
	}
	if c.Attempt > 0 {
		q.Set("attempt", strconv.Itoa(c.Attempt))
	}
	if c.TailBytes > 0 {
		q.Set("tail_bytes", strconv.Itoa(c.TailBytes))
	}
	var text string
	if err := apiCall(env, c.APIFlags, "runs logs", c.Timeout, http.MethodGet, "/api/v1/runs/"+url.PathEscape(c.ID)+"/logs", q, nil, &text); err != nil {
		return err
	}
	_, err := io.WriteString(env.Stdout, text)
	return err
}

// RunsCancelCmd cancels a run.
type RunsCancelCmd struct {
	APIFlags `embed:""`
	ID       string        `arg:"" help:"Run ID."`
	Reason   string        `required:"" placeholder:"TEXT" help:"Why; recorded with the run."`
	By       string        `placeholder:"NAME" help:"Who cancels, for the record. Default: the USER environment variable."`
	Wait     bool          `default:"true" negatable:"" help:"Wait until the run has ended."`
	Timeout  time.Duration `default:"1m" help:"How long to wait for the answer and, with --wait, for the run to end."`
}

// Run asks for the cancellation and, with --wait, waits for the run's end.
func (c *RunsCancelCmd) Run(env *Env) error {
	const cmd = "runs cancel"
	cl, err := c.client(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(env.Ctx, c.Timeout)
	defer cancel()
	var resp pipelines.RunResponse
	path := "/api/v1/runs/" + url.PathEscape(c.ID)
	if err := cl.call(ctx, http.MethodPost, path+"/cancel", nil, pipelines.ActionRequest{By: requester(c.By), Reason: c.Reason}, &resp); err != nil {
		return failed(cmd, err)
	}
	fmt.Fprintf(env.Stdout, "cancel requested: run %s is %s\n", c.ID, resp.Run.State)
	if !c.Wait {
		return nil
	}
	for !resp.Run.State.Terminal() {
		select {
		case <-ctx.Done():
			return failed(cmd, fmt.Errorf("run %s has not ended after %s; it is %s (see driftwatch runs show %s)", c.ID, c.Timeout, resp.Run.State, c.ID))
		case <-time.After(500 * time.Millisecond):
		}
		if err := cl.call(ctx, http.MethodGet, path, url.Values{"tail_bytes": {"0"}}, nil, &resp); err != nil && ctx.Err() == nil {
			return failed(cmd, err)
		}
	}
	fmt.Fprintf(env.Stdout, "run %s ended %s: %s\n", c.ID, resp.Run.State, resp.Run.Message)
	return nil
}

// RunsApproveCmd approves a rejected run.
type RunsApproveCmd struct {
	APIFlags `embed:""`
	ID       string        `arg:"" help:"Run ID of a rejected run."`
	Reason   string        `required:"" placeholder:"TEXT" help:"Why the gate is overridden; recorded with the run."`
	By       string        `placeholder:"NAME" help:"Who approves, for the record. Default: the USER environment variable."`
	Timeout  time.Duration `default:"30s" help:"How long to wait for the answer."`
}

// Run approves the run; its deploy starts in the background.
func (c *RunsApproveCmd) Run(env *Env) error {
	var resp pipelines.RunResponse
	body := pipelines.ActionRequest{By: requester(c.By), Reason: c.Reason}
	if err := apiCall(env, c.APIFlags, "runs approve", c.Timeout, http.MethodPost, "/api/v1/runs/"+url.PathEscape(c.ID)+"/approve", nil, body, &resp); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "approved: run %s is %s; follow it with driftwatch runs show %s\n", c.ID, resp.Run.State, c.ID)
	return nil
}

// apiCall makes one call for a command, bounded by timeout.
func apiCall(env *Env, f APIFlags, cmd string, timeout time.Duration, method, path string, q url.Values, body, out any) error {
	cl, err := f.client(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(env.Ctx, timeout)
	defer cancel()
	if err := cl.call(ctx, method, path, q, body, out); err != nil {
		return failed(cmd, err)
	}
	return nil
}

// printRun prints a run for people.
func printRun(w io.Writer, resp pipelines.RunResponse) {
	r := resp.Run
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("run", "%s", r.ID)
	row("model", "%s (pipeline %s)", r.Model, r.Pipeline)
	row("state", "%s", r.State)
	row("trigger", "%s", describeTrigger(r))
	if len(r.Params) > 0 {
		row("params", "%s", formatParams(r.Params))
	}
	if !r.DataWindow.Start.IsZero() || !r.DataWindow.End.IsZero() {
		row("data window", "%s .. %s", formatTime(r.DataWindow.Start), formatTime(r.DataWindow.End))
	}
	row("created", "%s", formatTime(r.CreatedAt))
	if !r.EndedAt.IsZero() {
		row("ended", "%s", formatTime(r.EndedAt))
	}
	if r.Champion != nil {
		row("champion", "%s (%s), evaluated against", r.Champion.Version, r.Champion.URI)
	}
	if c := r.Challenger; c != nil {
		row("challenger", "%s (%s)", c.Version, c.URI)
		if len(c.Metrics) > 0 {
			row("metrics", "%s", formatMetrics(c.Metrics))
		}
		if len(c.ChampionMetrics) > 0 {
			row("champion metrics", "%s", formatMetrics(c.ChampionMetrics))
		}
	}
	if v := r.Verdict; v != nil {
		verdict := fmt.Sprintf("passed %d check(s)", v.Checked)
		if !v.OK {
			verdict = fmt.Sprintf("rejected: %d failure(s) of %d check(s)", len(v.Failures), v.Checked)
		}
		row("gate", "%s", verdict)
		for _, f := range v.Failures {
			row("", "- %s", f.Message)
		}
	}
	if a := r.Approval; a != nil {
		row("approved", "by %s at %s: %s", a.By, formatTime(a.At), a.Reason)
	}
	if a := r.CancelRequest; a != nil {
		row("cancel requested", "by %s at %s: %s", a.By, formatTime(a.At), a.Reason)
	}
	if !r.DeployedAt.IsZero() {
		row("deployed", "%s", formatTime(r.DeployedAt))
	}
	if v := r.Verification; v != nil {
		text := fmt.Sprintf("%s .. %s", formatTime(v.StartedAt), formatTime(v.Until))
		if v.Last != nil {
			text += fmt.Sprintf(", %d window(s), drift share %.3g", v.Last.Windows, v.Last.DriftShare)
		}
		row("verification", "%s", text)
	}
	if rb := r.Rollback; rb != nil {
		row("rollback", "from %s to %s: %s", rb.From, rb.To.Version, rb.Reason)
	}
	if r.Error != "" && r.Error != r.Message {
		row("error", "%s (step %s)", r.Error, r.FailedStep)
	}
	if r.Message != "" {
		row("message", "%s", r.Message)
	}
	for _, s := range r.Steps {
		row("step "+s.Name, "%s, %d attempt(s)", s.Status, len(s.Attempts))
		for _, a := range s.Attempts {
			row("", "#%d %s%s%s%s, log %s", a.Number, a.Status, phase(a.Phase, a.PhaseMessage), exitCode(a.ExitCode), interrupted(a.Interrupted), a.Log)
		}
	}
	_ = tw.Flush()
	for _, l := range resp.Logs {
		fmt.Fprintf(w, "\n--- %s attempt %d: %s ---\n%s", l.Step, l.Attempt, l.Path, l.Tail)
		if l.Error != "" {
			fmt.Fprintf(w, "(log unavailable: %s)\n", l.Error)
		}
	}
}

func describeTrigger(r pipelines.Run) string {
	t := r.Trigger
	s := string(t.Kind)
	switch {
	case t.AlertName != "":
		s += " " + t.AlertName
		if t.Fingerprint != "" {
			s += " (fingerprint " + t.Fingerprint + ")"
		}
	case t.RequestedBy != "":
		s += " by " + t.RequestedBy
	}
	if r.Rule != "" {
		s += ", rule " + r.Rule
	}
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

func exitCode(c *int) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf(", exit %d", *c)
}

func interrupted(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", interrupted by %d restart(s)", n)
}

func formatParams(p map[string]string) string {
	keys := slices.Sorted(maps.Keys(p))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+p[k])
	}
	return strings.Join(parts, " ")
}

func formatMetrics(m map[string]float64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// phase describes what the executor last reported of a running attempt,
// such as a Job that Kueue holds in its queue.
func phase(p pipelines.AttemptPhase, msg string) string {
	switch {
	case p == "":
		return ""
	case msg == "":
		return " (" + string(p) + ")"
	}
	return " (" + string(p) + ": " + msg + ")"
}
