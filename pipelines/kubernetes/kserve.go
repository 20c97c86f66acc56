package kubernetes

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/driftwatch/driftwatch/pipelines"
)

// InferenceServices is KServe's InferenceService resource. driftwatch
// reads and writes it through the dynamic client, so it depends on no
// KServe module and works with any KServe release that serves v1beta1.
var InferenceServices = schema.GroupVersionResource{Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"}

// kserveModeAnnotation selects an InferenceService's deployment mode.
const kserveModeAnnotation = "serving.kserve.io/deploymentMode"

// predictorFrameworks are the predictor keys of KServe's older schema,
// which carry a storageUri each; the current schema has predictor.model.
var predictorFrameworks = []string{"model", "sklearn", "xgboost", "lightgbm", "tensorflow", "pytorch", "triton", "onnx", "pmml", "paddle", "huggingface"}

// KServeDeployer is the kserve deploy target: it puts a model version into
// service by setting an InferenceService's predictor storageUri, at once
// or as a canary, and waits until KServe reports it ready.
type KServeDeployer struct {
	client dynamic.Interface
	opts   Options
	log    *slog.Logger
}

var _ pipelines.Promoter = (*KServeDeployer)(nil)

// NewKServeDeployer returns the kserve target. It does not contact the
// cluster.
func NewKServeDeployer(opts Options) (*KServeDeployer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c, err := newDynamic(opts.Config)
	if err != nil {
		return nil, err
	}
	return &KServeDeployer{client: c, opts: opts, log: opts.Logger}, nil
}

// Deploy sets the predictor's storageUri to the version's model URI and
// records the version and what it replaced in annotations. A deploy with
// canary_traffic_percent above 0 also sets the predictor's
// canaryTrafficPercent, so KServe sends that share to the new revision
// and the rest to the last one rolled out; KServe supports this only in
// Serverless mode, and a canary for an InferenceService in another mode
// fails at once. A rollback, and a deploy without canary, remove
// canaryTrafficPercent: all traffic goes to the new revision. Deploy then
// waits until the InferenceService is ready with its latest revision; a
// model that fails to load (modelStatus BlockedByFailedLoad or
// InvalidSpec), or the target's timeout, undoes the change.
func (k *KServeDeployer) Deploy(ctx context.Context, req pipelines.DeployRequest) (pipelines.Deployed, error) {
	req = withLog(req)
	c := req.Config.KServe
	canary := req.Kind == pipelines.StepDeploy && c.CanaryTrafficPercent > 0
	var res pipelines.Deployed
	err := k.update(ctx, c, func(isvc *unstructured.Unstructured, path []string, current string) error {
		if canary {
			if mode := deploymentMode(isvc); mode != "" && mode != "Serverless" {
				return fmt.Errorf("%w: KServe rolls out canaries only in Serverless mode, and InferenceService %s/%s is in %s mode; set deploy.kserve.canary_traffic_percent to 0",
					pipelines.ErrPermanent, c.Namespace, c.Name, mode)
			}
		}
		var anns map[string]string
		anns, res = recordDeploy(isvc.GetAnnotations(), req, current)
		isvc.SetAnnotations(anns)
		if err := unstructured.SetNestedField(isvc.Object, req.Version.URI, path...); err != nil {
			return err
		}
		if canary {
			if err := unstructured.SetNestedField(isvc.Object, int64(c.CanaryTrafficPercent), "spec", "predictor", "canaryTrafficPercent"); err != nil {
				return err
			}
			fmt.Fprintf(req.Log, "inferenceservice %s/%s: %s from %q to %q as a canary with %d%% of the traffic\n", c.Namespace, c.Name, strings.Join(path, "."), current, req.Version.URI, c.CanaryTrafficPercent)
			return nil
		}
		unstructured.RemoveNestedField(isvc.Object, "spec", "predictor", "canaryTrafficPercent")
		fmt.Fprintf(req.Log, "inferenceservice %s/%s: %s from %q to %q with all the traffic\n", c.Namespace, c.Name, strings.Join(path, "."), current, req.Version.URI)
		return nil
	})
	if err != nil {
		return pipelines.Deployed{}, err
	}
	if err := k.waitReady(ctx, c, req); err != nil {
		return res, undoFailed(ctx, k.opts.CleanupTimeout, req, res, err, func(ctx context.Context) error {
			return k.undo(ctx, req, res)
		})
	}
	return res, nil
}

// Promote completes a canary that passed verification: it removes the
// predictor's canaryTrafficPercent, as KServe's canary rollout has it, so
// all the traffic goes to the new revision, and waits until the
// InferenceService is ready. It refuses when the storageUri is no longer
// the version's, since the canary is then not what was verified.
func (k *KServeDeployer) Promote(ctx context.Context, req pipelines.DeployRequest) (pipelines.Deployed, error) {
	req = withLog(req)
	c := req.Config.KServe
	err := k.update(ctx, c, func(isvc *unstructured.Unstructured, _ []string, current string) error {
		if current != req.Version.URI {
			return fmt.Errorf("%w: inferenceservice %s/%s serves %q, not version %s (%q), so there is no canary of it to promote",
				pipelines.ErrPermanent, c.Namespace, c.Name, current, req.Version.Version, req.Version.URI)
		}
		unstructured.RemoveNestedField(isvc.Object, "spec", "predictor", "canaryTrafficPercent")
		fmt.Fprintf(req.Log, "inferenceservice %s/%s: promoting version %s: canaryTrafficPercent removed, all the traffic to it\n", c.Namespace, c.Name, req.Version.Version)
		return nil
	})
	if err != nil {
		return pipelines.Deployed{}, err
	}
	return pipelines.Deployed{}, k.waitReady(ctx, c, req)
}

// undo sets the replaced storageUri back, without a canary, and waits
// until the InferenceService is ready.
func (k *KServeDeployer) undo(ctx context.Context, req pipelines.DeployRequest, res pipelines.Deployed) error {
	c := req.Config.KServe
	err := k.update(ctx, c, func(isvc *unstructured.Unstructured, path []string, _ string) error {
		isvc.SetAnnotations(recordUndo(isvc.GetAnnotations(), req, res))
		unstructured.RemoveNestedField(isvc.Object, "spec", "predictor", "canaryTrafficPercent")
		return unstructured.SetNestedField(isvc.Object, res.Replaced, path...)
	})
	if err != nil {
		return err
	}
	return k.waitReady(ctx, c, req)
}

// update reads the InferenceService, lets change modify it, and writes it
// back, again on a conflict. change gets the path of the storageUri and
// its value.
func (k *KServeDeployer) update(ctx context.Context, c pipelines.KServeDeploy, change func(isvc *unstructured.Unstructured, path []string, current string) error) error {
	isvcs := k.client.Resource(InferenceServices).Namespace(c.Namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		isvc, err := isvcs.Get(ctx, c.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return fmt.Errorf("%w: inferenceservice %s/%s does not exist (or the InferenceService CRD is not installed)", pipelines.ErrPermanent, c.Namespace, c.Name)
		case err != nil:
			return err
		}
		path, current, err := storageURI(isvc)
		if err != nil {
			return fmt.Errorf("%w: inferenceservice %s/%s: %w", pipelines.ErrPermanent, c.Namespace, c.Name, err)
		}
		if err := change(isvc, path, current); err != nil {
			return err
		}
		_, err = isvcs.Update(ctx, isvc, metav1.UpdateOptions{FieldManager: managedBy})
		return err
	})
}

// waitReady waits until KServe reports the InferenceService ready with its
// latest spec, or that its model failed to load.
func (k *KServeDeployer) waitReady(ctx context.Context, c pipelines.KServeDeploy, req pipelines.DeployRequest) error {
	isvcs := k.client.Resource(InferenceServices).Namespace(c.Namespace)
	last := ""
	return waitUntil(ctx, k.opts.PollInterval, watchName(isvcs.Watch, c.Name), func(ctx context.Context) (bool, error) {
		isvc, err := isvcs.Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil {
			return false, ctx.Err()
		}
		done, msg, err := readiness(isvc)
		if msg != last && err == nil {
			fmt.Fprintf(req.Log, "inferenceservice %s/%s: %s\n", c.Namespace, c.Name, msg)
			last = msg
		}
		return done, err
	})
}

// readiness tells whether KServe has rolled out an InferenceService's
// current spec: it saw the spec (status.observedGeneration), the
// InferenceService is Ready, and in Serverless mode its latest created
// predictor revision is ready. A model that failed to load
// (status.modelStatus.transitionStatus BlockedByFailedLoad or
// InvalidSpec) is a failure.
func readiness(isvc *unstructured.Unstructured) (bool, string, error) {
	observed, _, _ := unstructured.NestedInt64(isvc.Object, "status", "observedGeneration")
	if observed < isvc.GetGeneration() {
		return false, "waiting for KServe to see the change", nil
	}
	if ts, _, _ := unstructured.NestedString(isvc.Object, "status", "modelStatus", "transitionStatus"); ts == "BlockedByFailedLoad" || ts == "InvalidSpec" {
		reason, _, _ := unstructured.NestedString(isvc.Object, "status", "modelStatus", "lastFailureInfo", "reason")
		msg, _, _ := unstructured.NestedString(isvc.Object, "status", "modelStatus", "lastFailureInfo", "message")
		return false, "", fmt.Errorf("inferenceservice %s/%s: the model did not load (%s): %s %s", isvc.GetNamespace(), isvc.GetName(), ts, reason, msg)
	}
	status, reason, msg := condition(isvc, "Ready")
	if status != "True" {
		return false, strings.TrimSpace(fmt.Sprintf("not ready yet: %s %s", reason, msg)), nil
	}
	created, _, _ := unstructured.NestedString(isvc.Object, "status", "components", "predictor", "latestCreatedRevision")
	ready, _, _ := unstructured.NestedString(isvc.Object, "status", "components", "predictor", "latestReadyRevision")
	if created != "" && created != ready {
		return false, fmt.Sprintf("waiting for predictor revision %s to be ready", created), nil
	}
	return true, "ready" + traffic(isvc), nil
}

// condition returns the status, reason and message of a status condition.
func condition(u *unstructured.Unstructured, typ string) (string, string, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		s := func(k string) string { v, _ := m[k].(string); return v }
		return s("status"), s("reason"), s("message")
	}
	return "", "", ""
}

// traffic describes the predictor's traffic split, when KServe reports it.
func traffic(isvc *unstructured.Unstructured) string {
	routes, _, _ := unstructured.NestedSlice(isvc.Object, "status", "components", "predictor", "traffic")
	var parts []string
	for _, r := range routes {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		parts = append(parts, fmt.Sprintf("%v %v%%", m["revisionName"], m["percent"]))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; traffic: " + strings.Join(parts, ", ")
}

// storageURI finds the predictor's storageUri: predictor.model's, or that
// of a framework key of KServe's older schema.
func storageURI(isvc *unstructured.Unstructured) ([]string, string, error) {
	for _, key := range predictorFrameworks {
		path := []string{"spec", "predictor", key, "storageUri"}
		if v, found, err := unstructured.NestedString(isvc.Object, path...); err == nil && found {
			return path, v, nil
		}
	}
	return nil, "", fmt.Errorf("no predictor storageUri (spec.predictor.model.storageUri) to change; driftwatch updates an existing predictor and does not create one")
}

// deploymentMode is the InferenceService's KServe deployment mode:
// Serverless, RawDeployment (Standard since KServe 0.16) or ModelMesh; ""
// when neither its annotation nor its status says, which means KServe's
// configured default.
func deploymentMode(isvc *unstructured.Unstructured) string {
	if m := isvc.GetAnnotations()[kserveModeAnnotation]; m != "" {
		return m
	}
	m, _, _ := unstructured.NestedString(isvc.Object, "status", "deploymentMode")
	return m
}
