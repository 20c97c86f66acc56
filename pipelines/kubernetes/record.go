package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/driftwatch/driftwatch/pipelines"
)

// Annotations by which the deploy targets record, on the Deployment or
// InferenceService they change, what serves and what it replaced: what
// `kubectl describe` shows, and what a deploy that a restart interrupted
// reads back.
const (
	annotationVersion         = "driftwatch.dev/model-version"
	annotationURI             = "driftwatch.dev/model-uri"
	annotationReplacedVersion = "driftwatch.dev/replaced-model-version"
	annotationReplacedURI     = "driftwatch.dev/replaced-model-uri"
	// annotationDeploy names the deploy attempt that made the last change.
	annotationDeploy = "driftwatch.dev/deploy"
)

// withLog makes sure a request has somewhere to write its progress.
func withLog(req pipelines.DeployRequest) pipelines.DeployRequest {
	if req.Log == nil {
		req.Log = io.Discard
	}
	return req
}

// recordDeploy sets the annotations of a deploy of want that replaces
// current, and returns what it replaced. An object that already serves
// want because this very attempt changed it (a deploy that a restart
// interrupted) keeps its record, so what it replaced is not lost.
func recordDeploy(annotations map[string]string, req pipelines.DeployRequest, current string) (map[string]string, pipelines.Deployed) {
	if annotations == nil {
		annotations = map[string]string{}
	}
	want := req.Version.URI
	if current == want {
		if annotations[annotationDeploy] == req.Name {
			return annotations, pipelines.Deployed{Replaced: annotations[annotationReplacedURI], ReplacedVersion: annotations[annotationReplacedVersion]}
		}
		annotations[annotationVersion], annotations[annotationURI] = req.Version.Version, want
		return annotations, pipelines.Deployed{}
	}
	replacedVersion := ""
	if annotations[annotationURI] == current {
		replacedVersion = annotations[annotationVersion]
	}
	annotations[annotationReplacedURI], annotations[annotationReplacedVersion] = current, replacedVersion
	annotations[annotationVersion], annotations[annotationURI] = req.Version.Version, want
	annotations[annotationDeploy] = req.Name
	return annotations, pipelines.Deployed{Replaced: current, ReplacedVersion: replacedVersion}
}

// recordUndo sets the annotations back after a failed deploy was undone.
func recordUndo(annotations map[string]string, req pipelines.DeployRequest, d pipelines.Deployed) map[string]string {
	annotations[annotationVersion], annotations[annotationURI] = d.ReplacedVersion, d.Replaced
	annotations[annotationDeploy] = req.Name + "-undone"
	delete(annotations, annotationReplacedURI)
	delete(annotations, annotationReplacedVersion)
	return annotations
}

// undoFailed undoes a deploy whose rollout failed, unless driftwatch is
// stopping (the deploy runs again at the next start) or it was a
// rollback, which has nothing better to go back to. undo runs with its
// own time, since the deploy's may be what ran out.
func undoFailed(ctx context.Context, timeout time.Duration, req pipelines.DeployRequest, d pipelines.Deployed, err error, undo func(context.Context) error) error {
	if errors.Is(context.Cause(ctx), pipelines.ErrShutdown) || req.Kind == pipelines.StepRollback || d.Replaced == "" {
		return err
	}
	fmt.Fprintf(req.Log, "rollout failed: %v; undoing: back to %s\n", err, d.Replaced)
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if uerr := undo(uctx); uerr != nil {
		return fmt.Errorf("%w; undoing it failed too: %w", err, uerr)
	}
	what := d.Replaced
	if d.ReplacedVersion != "" {
		what = fmt.Sprintf("version %s (%s)", d.ReplacedVersion, d.Replaced)
	}
	return fmt.Errorf("%w; undone: %s serves again", err, what)
}
