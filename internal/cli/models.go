package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/driftwatch/driftwatch/pipelines"
)

// ModelsCmd groups the commands over the model registry. docs/pipelines.md
// describes them.
type ModelsCmd struct {
	List     ModelsListCmd     `cmd:"" help:"List the models and their champions."`
	Show     ModelsShowCmd     `cmd:"" help:"Show a model: champion history, versions with their lineage, and manual rollbacks."`
	Rollback ModelsRollbackCmd `cmd:"" help:"Put an earlier version of a model back into service. Audited."`
}

// ModelsListCmd lists the models.
type ModelsListCmd struct {
	APIFlags `embed:""`
	JSON     bool          `name:"json" help:"Print the API's JSON."`
	Timeout  time.Duration `default:"30s" help:"How long to wait for the answer."`
}

// Run prints the models as a table.
func (c *ModelsListCmd) Run(env *Env) error {
	var resp pipelines.ModelsResponse
	if err := apiCall(env, c.APIFlags, "models list", c.Timeout, http.MethodGet, "/api/v1/models", nil, nil, &resp); err != nil {
		return err
	}
	if c.JSON {
		return printJSON(env.Stdout, resp)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tCHAMPION\tSINCE\tCHANGES")
	for _, m := range resp.Models {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", m.Name, dash(m.Champion), formatTime(m.ChampionSince), m.Changes)
	}
	return tw.Flush()
}

// ModelsShowCmd shows one model.
type ModelsShowCmd struct {
	APIFlags `embed:""`
	Name     string        `arg:"" help:"Model name."`
	JSON     bool          `name:"json" help:"Print the API's JSON."`
	Timeout  time.Duration `default:"30s" help:"How long to wait for the answer."`
}

// Run prints the model.
func (c *ModelsShowCmd) Run(env *Env) error {
	var resp pipelines.ModelResponse
	if err := apiCall(env, c.APIFlags, "models show", c.Timeout, http.MethodGet, "/api/v1/models/"+url.PathEscape(c.Name), nil, nil, &resp); err != nil {
		return err
	}
	if c.JSON {
		return printJSON(env.Stdout, resp)
	}
	printModel(env.Stdout, resp)
	return nil
}

// ModelsRollbackCmd rolls a model back by hand.
type ModelsRollbackCmd struct {
	APIFlags `embed:""`
	Model    string        `required:"" placeholder:"NAME" help:"Model to roll back."`
	To       string        `placeholder:"VERSION" help:"Version to put back. Default: the champion before the current one."`
	Reason   string        `required:"" placeholder:"TEXT" help:"Why; recorded in the champion history."`
	By       string        `placeholder:"NAME" help:"Who rolls back, for the record. Default: the USER environment variable."`
	Timeout  time.Duration `default:"10m" help:"How long to wait for the rollback, which runs the deploy command."`
}

// Run asks for the rollback and waits for it.
func (c *ModelsRollbackCmd) Run(env *Env) error {
	const cmd = "models rollback"
	cl, err := c.client(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(env.Ctx, c.Timeout)
	defer cancel()
	var resp pipelines.RollbackResponse
	body := pipelines.RollbackBody{To: c.To, By: requester(c.By), Reason: c.Reason}
	err = cl.call(ctx, http.MethodPost, "/api/v1/models/"+url.PathEscape(c.Model)+"/rollback", nil, body, &resp)
	if ctx.Err() != nil {
		return failed(cmd, fmt.Errorf("no answer within %s; the rollback goes on in driftwatch: follow it with driftwatch models show %s", c.Timeout, c.Model))
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusBadGateway {
		return failed(cmd, errors.New(ae.msg))
	}
	if err != nil {
		return failed(cmd, err)
	}
	rb := resp.Rollback
	fmt.Fprintf(env.Stdout, "rolled back model %s from %s to %s (%s)\n", rb.Model, rb.From, rb.To.Version, rb.ID)
	return nil
}

// printModel prints a model for people.
func printModel(w io.Writer, resp pipelines.ModelResponse) {
	m := resp.Model
	fmt.Fprintf(w, "model     %s\nchampion  %s\n", m.Name, dash(m.Champion))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(m.History) > 0 {
		fmt.Fprintln(w, "\nchampion history:")
		fmt.Fprintln(tw, "AT\tVERSION\tPREVIOUS\tKIND\tRUN\tBY\tREASON")
		for _, c := range m.History {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", formatTime(c.At), c.Version, dash(c.Previous), c.Kind, dash(c.RunID), dash(c.By), truncate(c.Reason, 60))
		}
		_ = tw.Flush()
	}
	if len(resp.Versions) > 0 {
		fmt.Fprintln(w, "\nversions:")
		fmt.Fprintln(tw, "VERSION\tSTATUS\tRUN\tCREATED\tDEPLOYED\tREPLACED\tMETRICS\tMODEL URI")
		for _, v := range resp.Versions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Version, v.Status, dash(v.RunID), formatTime(v.CreatedAt),
				formatTime(v.DeployedAt), formatTime(v.ReplacedAt), dash(formatMetrics(v.Metrics)), v.ModelURI)
		}
		_ = tw.Flush()
	}
	if len(resp.Rollbacks) > 0 {
		fmt.Fprintln(w, "\nmanual rollbacks:")
		fmt.Fprintln(tw, "ID\tFROM\tTO\tSTATE\tBY\tREASON")
		for _, rb := range resp.Rollbacks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", rb.ID, rb.From, rb.To.Version, rb.State, rb.Audit.By, truncate(rb.Audit.Reason, 60))
		}
		_ = tw.Flush()
	}
}
