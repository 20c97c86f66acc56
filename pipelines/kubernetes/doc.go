// Package kubernetes runs pipeline steps as Kubernetes Jobs and puts model
// versions into service on Kubernetes: it is the pipelines' kubernetes
// executor and their kubernetes-deployment and kserve deploy targets, and
// the only package of driftwatch that imports client-go.
//
// Each step attempt is one batch/v1 Job named after its model, run, step
// and attempt, so a restarted driftwatch finds and adopts the Job it left
// instead of starting a second one. The Job never retries by itself
// (backoffLimit 0): retries are the Runner's, each a new attempt and a new
// Job. The step's result is the container's termination message. A
// cancelled or timed-out attempt deletes its Job with foreground
// propagation; a driftwatch that stops leaves it running.
//
// DeploymentDeployer patches a serving Deployment's image, or the model URI
// in an environment variable or argument, and waits for the rollout;
// KServeDeployer updates an InferenceService's storageUri, optionally as a
// canary that Promote completes. Both undo a change whose rollout fails and
// record the version they replaced in annotations.
//
// Rendering steps, validating results, retries, timeouts and the run's
// state are left to package pipelines; which cluster to talk to is left to
// the caller (LoadConfig finds it the way kubectl does).
// docs/kubernetes.md documents the Jobs and targets.
package kubernetes
