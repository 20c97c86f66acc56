package pipelines

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Deployer puts a model version into service on a serving system, for a
// deploy target other than command: a Kubernetes Deployment or a KServe
// InferenceService. Deploy returns once the version serves, or fails; it
// undoes a change that did not take, so that a failed deploy leaves what
// served before. It must be idempotent, since a deploy that a restart
// interrupted runs again under the same Name.
type Deployer interface {
	Deploy(ctx context.Context, d DeployRequest) (Deployed, error)
}

// DeployerFunc adapts a function to Deployer.
type DeployerFunc func(ctx context.Context, d DeployRequest) (Deployed, error)

// Deploy calls f.
func (f DeployerFunc) Deploy(ctx context.Context, d DeployRequest) (Deployed, error) {
	return f(ctx, d)
}

// Promoter is a Deployer that rolls a version out in two stages when
// DeployConfig.Canary is set: Deploy sends the version part of the
// traffic, and Promote, which the Runner calls once verification passed,
// sends it all. A rollback (Deploy with Kind rollback) ends a canary.
type Promoter interface {
	Deployer
	Promote(ctx context.Context, d DeployRequest) (Deployed, error)
}

// DeployRequest is one attempt to put a version into service.
type DeployRequest struct {
	// Name is deterministic: <run or rollback ID>-<kind>-<attempt>.
	Name     string
	RunID    string
	Model    string
	Pipeline string
	// Kind is deploy, rollback or promote.
	Kind    string
	Attempt int
	// Version is what to serve: its name and model URI.
	Version ModelRef
	Config  DeployConfig
	// Log gets progress lines for the attempt's log; nil discards them.
	Log io.Writer
}

// Deployed is what a deploy changed.
type Deployed struct {
	// Replaced is what served before, in the target's terms (an image, a
	// model URI), and the version it was, when known; empty when the
	// version already served.
	Replaced        string
	ReplacedVersion string
}

// StepPromote names the step that promotes a canary once verification
// passed.
const StepPromote = "promote"

// deployerExecutor runs a Deployer as a step: the request is the version
// and kind of the step, its progress goes to the attempt's log, and its
// error is the attempt's failure.
func deployerExecutor(d Deployer, p Pipeline, kind string, ref ModelRef) Executor {
	return ExecutorFunc(func(ctx context.Context, s StepSpec) (StepOutcome, error) {
		out := StepOutcome{ExitCode: -1, Log: s.LogPath}
		if err := os.MkdirAll(filepath.Dir(s.LogPath), 0o755); err != nil {
			return out, err
		}
		logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return out, err
		}
		defer logf.Close()
		fmt.Fprintf(logf, "=== driftwatch: %s: %s version %s (%s) with target %s at %s\n",
			s.Name, kind, ref.Version, ref.URI, p.Deploy.Target, time.Now().UTC().Format(time.RFC3339))
		req := DeployRequest{
			Name: s.Name, RunID: s.RunID, Model: s.Model, Pipeline: s.Pipeline, Kind: kind, Attempt: s.Attempt,
			Version: ref, Config: p.Deploy, Log: logf,
		}
		var res Deployed
		if pr, ok := d.(Promoter); ok && kind == StepPromote {
			res, err = pr.Promote(ctx, req)
		} else {
			res, err = d.Deploy(ctx, req)
		}
		if err != nil {
			fmt.Fprintf(logf, "=== driftwatch: %s failed: %v\n", s.Name, err)
			return out, failure{err}
		}
		switch {
		case res.Replaced != "" && res.ReplacedVersion != "":
			fmt.Fprintf(logf, "=== driftwatch: %s done; replaced version %s (%s)\n", s.Name, res.ReplacedVersion, res.Replaced)
		case res.Replaced != "":
			fmt.Fprintf(logf, "=== driftwatch: %s done; replaced %s\n", s.Name, res.Replaced)
		default:
			fmt.Fprintf(logf, "=== driftwatch: %s done\n", s.Name)
		}
		out.ExitCode = 0
		return out, nil
	})
}
