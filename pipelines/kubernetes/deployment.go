package kubernetes

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/driftwatch/driftwatch/pipelines"
)

// defaultProgressDeadline is a Deployment's progressDeadlineSeconds when
// the API server did not set it.
const defaultProgressDeadline = 600 * time.Second

// DeploymentDeployer is the kubernetes-deployment deploy target: it puts a
// model version into service by changing a serving Deployment's pod
// template, and waits for the rollout.
type DeploymentDeployer struct{ base }

var _ pipelines.Deployer = (*DeploymentDeployer)(nil)

// NewDeploymentDeployer returns the kubernetes-deployment target. It does
// not contact the cluster.
func NewDeploymentDeployer(opts Options) (*DeploymentDeployer, error) {
	b, err := newBase(opts)
	if err != nil {
		return nil, err
	}
	return &DeploymentDeployer{b}, nil
}

// Deploy sets the version's model URI in the configured container: as its
// image, in an environment variable, or in the argument with the
// configured prefix (added when missing). It records the version and what
// it replaced in the Deployment's annotations, and waits, like kubectl
// rollout status, until the rollout is complete. A rollout that exceeds
// the Deployment's progressDeadlineSeconds, or the target's timeout, is
// undone: the replaced value is set back and its rollout waited for.
// Deploying the value that already serves changes nothing and waits for
// the rollout in progress, if any.
func (d *DeploymentDeployer) Deploy(ctx context.Context, req pipelines.DeployRequest) (pipelines.Deployed, error) {
	req = withLog(req)
	c := req.Config.Deployment
	deployments := d.client.deployments(c.Namespace)
	var res pipelines.Deployed
	var progress time.Duration
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		dep, err := deployments.Get(ctx, c.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("%w: deployment %s/%s does not exist", pipelines.ErrPermanent, c.Namespace, c.Name)
		} else if err != nil {
			return err
		}
		if dep.Spec.Paused {
			return fmt.Errorf("%w: deployment %s/%s is paused, so it would never roll out", pipelines.ErrPermanent, c.Namespace, c.Name)
		}
		progress = progressDeadline(dep)
		ctr, err := container(&dep.Spec.Template.Spec, c.Container)
		if err != nil {
			return fmt.Errorf("%w: deployment %s/%s: %w", pipelines.ErrPermanent, c.Namespace, c.Name, err)
		}
		current, err := modelURI(ctr, c)
		if err != nil {
			return fmt.Errorf("%w: deployment %s/%s: %w", pipelines.ErrPermanent, c.Namespace, c.Name, err)
		}
		dep.Annotations, res = recordDeploy(dep.Annotations, req, current)
		setModelURI(ctr, c, req.Version.URI)
		if _, err := deployments.Update(ctx, dep, metav1.UpdateOptions{FieldManager: managedBy}); err != nil {
			return err
		}
		if current == req.Version.URI {
			fmt.Fprintf(req.Log, "deployment %s/%s container %s: %s is %q already\n", c.Namespace, c.Name, ctr.Name, what(c), current)
		} else {
			fmt.Fprintf(req.Log, "deployment %s/%s container %s: %s from %q to %q; waiting for the rollout (progress deadline %s)\n",
				c.Namespace, c.Name, ctr.Name, what(c), current, req.Version.URI, progress)
		}
		return nil
	})
	if err != nil {
		return pipelines.Deployed{}, err
	}
	if err := d.waitRollout(ctx, c, req); err != nil {
		return res, undoFailed(ctx, progress+d.opts.CleanupTimeout, req, res, err, func(ctx context.Context) error {
			return d.undo(ctx, req, res)
		})
	}
	return res, nil
}

// undo sets the replaced value back and waits for its rollout.
func (d *DeploymentDeployer) undo(ctx context.Context, req pipelines.DeployRequest, res pipelines.Deployed) error {
	c := req.Config.Deployment
	deployments := d.client.deployments(c.Namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		dep, err := deployments.Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ctr, err := container(&dep.Spec.Template.Spec, c.Container)
		if err != nil {
			return err
		}
		setModelURI(ctr, c, res.Replaced)
		dep.Annotations = recordUndo(dep.Annotations, req, res)
		_, err = deployments.Update(ctx, dep, metav1.UpdateOptions{FieldManager: managedBy})
		return err
	})
	if err != nil {
		return err
	}
	return d.waitRollout(ctx, c, req)
}

// waitRollout waits until the Deployment's rollout is complete, or fails
// when it exceeded its progress deadline.
func (d *DeploymentDeployer) waitRollout(ctx context.Context, c pipelines.DeploymentDeploy, req pipelines.DeployRequest) error {
	deployments := d.client.deployments(c.Namespace)
	last := ""
	return waitUntil(ctx, d.opts.PollInterval, watchName(deployments.Watch, c.Name), func(ctx context.Context) (bool, error) {
		dep, err := deployments.Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil {
			return false, ctx.Err()
		}
		done, msg, err := rolloutStatus(dep)
		if msg != last && err == nil {
			fmt.Fprintf(req.Log, "deployment %s/%s: %s\n", c.Namespace, c.Name, msg)
			last = msg
		}
		return done, err
	})
}

// rolloutStatus tells, as kubectl rollout status does, whether a
// Deployment's rollout is complete, how far it is, or that it failed.
func rolloutStatus(d *appsv1.Deployment) (bool, string, error) {
	if d.Generation > d.Status.ObservedGeneration {
		return false, "waiting for the deployment controller to see the change", nil
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return false, "", fmt.Errorf("deployment %s/%s exceeded its progress deadline of %s: %s", d.Namespace, d.Name, progressDeadline(d), c.Message)
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	switch {
	case s.UpdatedReplicas < want:
		return false, fmt.Sprintf("%d of %d new replicas updated", s.UpdatedReplicas, want), nil
	case s.Replicas > s.UpdatedReplicas:
		return false, fmt.Sprintf("%d old replicas pending termination", s.Replicas-s.UpdatedReplicas), nil
	case s.AvailableReplicas < s.UpdatedReplicas:
		return false, fmt.Sprintf("%d of %d updated replicas available", s.AvailableReplicas, s.UpdatedReplicas), nil
	}
	return true, fmt.Sprintf("rolled out: %d of %d replicas updated and available", s.AvailableReplicas, want), nil
}

func progressDeadline(d *appsv1.Deployment) time.Duration {
	if p := d.Spec.ProgressDeadlineSeconds; p != nil {
		return time.Duration(*p) * time.Second
	}
	return defaultProgressDeadline
}

// container returns the named container of a pod template, or its first
// when name is empty.
func container(spec *corev1.PodSpec, name string) (*corev1.Container, error) {
	if len(spec.Containers) == 0 {
		return nil, fmt.Errorf("the pod template has no containers")
	}
	if name == "" {
		return &spec.Containers[0], nil
	}
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i], nil
		}
	}
	return nil, fmt.Errorf("no container %q in the pod template", name)
}

// modelURI reads the model URI from a container: its image, the value of
// the environment variable, or the argument with the prefix ("" when the
// variable or argument is missing).
func modelURI(ctr *corev1.Container, c pipelines.DeploymentDeploy) (string, error) {
	switch {
	case c.Image:
		return ctr.Image, nil
	case c.Env != "":
		for _, e := range ctr.Env {
			if e.Name != c.Env {
				continue
			}
			if e.ValueFrom != nil {
				return "", fmt.Errorf("container %s takes %s from a reference (valueFrom), which driftwatch does not change", ctr.Name, c.Env)
			}
			return e.Value, nil
		}
		return "", nil
	}
	for _, a := range ctr.Args {
		if v, ok := strings.CutPrefix(a, c.Arg); ok {
			return v, nil
		}
	}
	return "", nil
}

// setModelURI sets the model URI where modelURI reads it, adding the
// variable or argument when missing.
func setModelURI(ctr *corev1.Container, c pipelines.DeploymentDeploy, uri string) {
	switch {
	case c.Image:
		ctr.Image = uri
		return
	case c.Env != "":
		for i := range ctr.Env {
			if ctr.Env[i].Name == c.Env {
				ctr.Env[i].Value = uri
				return
			}
		}
		ctr.Env = append(ctr.Env, corev1.EnvVar{Name: c.Env, Value: uri})
		return
	}
	for i, a := range ctr.Args {
		if strings.HasPrefix(a, c.Arg) {
			ctr.Args[i] = c.Arg + uri
			return
		}
	}
	ctr.Args = append(ctr.Args, c.Arg+uri)
}

// what names where the model URI is, for the log.
func what(c pipelines.DeploymentDeploy) string {
	switch {
	case c.Image:
		return "image"
	case c.Env != "":
		return "env " + c.Env
	}
	return "argument " + c.Arg
}
