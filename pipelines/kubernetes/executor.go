package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/driftwatch/driftwatch/pipelines"
)

// Executor runs step attempts as Jobs. It is safe for concurrent use.
type Executor struct{ base }

var _ pipelines.Executor = (*Executor)(nil)

// New returns the kubernetes executor. It does not contact the cluster.
func New(opts Options) (*Executor, error) {
	b, err := newBase(opts)
	if err != nil {
		return nil, err
	}
	return &Executor{b}, nil
}

// Execute runs the attempt as a Job and waits for it to end. A Job of the
// attempt that already exists, left by a driftwatch that stopped, is
// adopted instead of creating a second one. While the Job waits for Kueue
// or for its pod, the attempt's phase says so (StepSpec.Progress). When it
// ends, its pods' logs are appended to the attempt's log, and the
// outcome is the step container's: exit code, termination reason and,
// after a success, the termination message as the result.
//
// When ctx ends because driftwatch stops (pipelines.ErrShutdown), the Job
// keeps running for the next start to adopt. Otherwise (a cancel, a
// timeout) the Job is deleted with foreground propagation, and Execute
// returns once it is gone.
func (e *Executor) Execute(ctx context.Context, s pipelines.StepSpec) (pipelines.StepOutcome, error) {
	out := pipelines.StepOutcome{ExitCode: -1, Log: s.LogPath}
	var podAnnotations map[string]string
	if e.opts.PodAnnotations != nil {
		podAnnotations = e.opts.PodAnnotations(s)
	}
	job, secret, err := buildJob(s, podAnnotations)
	if err != nil {
		return out, err
	}
	logf, err := openLog(s.LogPath)
	if err != nil {
		return out, err
	}
	defer logf.Close()
	ns, name := job.Namespace, job.Name
	fmt.Fprintf(logf, "=== driftwatch: %s: Job %s/%s, image %s, at %s (while it runs: kubectl -n %s logs job/%s)\n",
		s.Name, ns, name, s.Image, time.Now().UTC().Format(time.RFC3339), ns, name)

	job, err = e.start(ctx, job, secret, logf)
	if ctx.Err() != nil {
		return out, e.stop(ctx, ns, name, job, logf)
	}
	if err != nil {
		fmt.Fprintf(logf, "=== driftwatch: could not start Job %s/%s: %v\n", ns, name, err)
		if job != nil {
			// The next attempt is another Job; this one must not run on.
			_ = e.remove(ctx, ns, name, job, logf, err)
		}
		return out, err
	}
	job, err = e.wait(ctx, s, job, logf)
	if ctx.Err() != nil {
		return out, e.stop(ctx, ns, name, job, logf)
	}
	if err != nil {
		fmt.Fprintf(logf, "=== driftwatch: %v\n", err)
		return out, err
	}
	out, err = e.outcome(ctx, job, logf)
	out.Log = s.LogPath
	if err != nil && ctx.Err() != nil {
		// The Job ended as ctx did: reading its outcome was cut short, and
		// the next start reads it again.
		return out, e.stop(ctx, ns, name, job, logf)
	}
	if err != nil {
		fmt.Fprintf(logf, "=== driftwatch: %v\n", err)
	}
	return out, err
}

func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

// start creates or adopts the attempt's Job, with its Secret first, so
// the pod finds it, and owned by the Job after, so it goes with the Job.
func (e *Executor) start(ctx context.Context, job *batchv1.Job, secret *corev1.Secret, logf io.Writer) (*batchv1.Job, error) {
	if secret != nil {
		if err := e.applySecret(ctx, secret); err != nil {
			return nil, fmt.Errorf("secret %s/%s for secret_env: %w", secret.Namespace, secret.Name, err)
		}
	}
	got, adopted, err := e.createOrAdopt(ctx, job)
	if err != nil {
		if secret != nil && !errors.Is(context.Cause(ctx), pipelines.ErrShutdown) {
			// The Secret has no owner yet to take it away.
			_ = e.client.secrets(secret.Namespace).Delete(context.WithoutCancel(ctx), secret.Name, metav1.DeleteOptions{})
		}
		return nil, err
	}
	if adopted {
		fmt.Fprintf(logf, "=== driftwatch: adopted Job %s/%s, created at %s by an earlier run of this attempt\n",
			got.Namespace, got.Name, got.CreationTimestamp.UTC().Format(time.RFC3339))
		e.log.Info("adopted the Job of an interrupted attempt", "namespace", got.Namespace, "job", got.Name)
	}
	if secret != nil {
		if err := e.ownSecret(ctx, secret, got); err != nil {
			return got, fmt.Errorf("secret %s/%s for secret_env: %w", secret.Namespace, secret.Name, err)
		}
	}
	return got, nil
}

// createOrAdopt creates the Job, or returns the one of the same name that
// an earlier execution of the attempt created. A Job of that name made
// for anything else is a permanent error; one being deleted is waited for
// and replaced.
func (e *Executor) createOrAdopt(ctx context.Context, job *batchv1.Job) (*batchv1.Job, bool, error) {
	jobs := e.client.jobs(job.Namespace)
	for range 3 {
		got, err := jobs.Create(ctx, job, metav1.CreateOptions{})
		switch {
		case err == nil:
			return got, false, nil
		case apierrors.IsInvalid(err):
			return nil, false, fmt.Errorf("%w: the API server refused the Job: %w", pipelines.ErrPermanent, err)
		case !apierrors.IsAlreadyExists(err):
			return nil, false, fmt.Errorf("creating Job %s/%s: %w", job.Namespace, job.Name, err)
		}
		got, err = jobs.Get(ctx, job.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, false, fmt.Errorf("reading the existing Job %s/%s: %w", job.Namespace, job.Name, err)
		case !sameAttempt(got.Labels, job.Labels):
			return nil, false, fmt.Errorf("%w: Job %s/%s exists but was not created by driftwatch for this attempt", pipelines.ErrPermanent, job.Namespace, job.Name)
		case got.DeletionTimestamp != nil:
			if err := e.waitGone(ctx, got.Namespace, got.Name, got.UID); err != nil {
				return nil, false, err
			}
			continue
		}
		return got, true, nil
	}
	return nil, false, fmt.Errorf("job %s/%s kept disappearing while it was created", job.Namespace, job.Name)
}

// applySecret creates the attempt's Secret, or updates the one an earlier
// execution left, since the secrets may have been rotated since.
func (e *Executor) applySecret(ctx context.Context, secret *corev1.Secret) error {
	secrets := e.client.secrets(secret.Namespace)
	_, err := secrets.Create(ctx, secret, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := secrets.Get(ctx, secret.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if !sameAttempt(cur.Labels, secret.Labels) {
		return fmt.Errorf("%w: it exists but was not created by driftwatch for this attempt", pipelines.ErrPermanent)
	}
	cur.Data = secret.Data
	_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

// ownSecret makes the Job the owner of its Secret, so the garbage
// collector deletes the Secret with the Job.
func (e *Executor) ownSecret(ctx context.Context, secret *corev1.Secret, job *batchv1.Job) error {
	patch := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":%q,"uid":%q,"controller":true}]}}`, job.Name, job.UID)
	_, err := e.client.secrets(secret.Namespace).Patch(ctx, secret.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// stop ends an attempt whose context ended. When driftwatch stops, the Job
// keeps running; otherwise it is removed. job is nil when the Job may or
// may not have been created.
func (e *Executor) stop(ctx context.Context, ns, name string, job *batchv1.Job, logf io.Writer) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, pipelines.ErrShutdown) {
		fmt.Fprintf(logf, "=== driftwatch: %v; Job %s/%s keeps running, and the next start adopts it\n", cause, ns, name)
		return nil
	}
	return e.remove(ctx, ns, name, job, logf, cause)
}

// remove saves the step's logs and deletes its Job with foreground
// propagation, which deletes the pods first. It returns once the Job is
// gone or CleanupTimeout passed, whether or not ctx has ended.
func (e *Executor) remove(ctx context.Context, ns, name string, job *batchv1.Job, logf io.Writer, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.CleanupTimeout)
	defer cancel()
	if pods, err := e.podsOf(cctx, ns, name, job); err == nil {
		e.copyLogs(cctx, pods, logf)
	}
	policy := metav1.DeletePropagationForeground
	err := e.client.jobs(ns).Delete(cctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if err == nil || apierrors.IsNotFound(err) {
		err = e.waitGone(cctx, ns, name, "")
	}
	if err != nil {
		fmt.Fprintf(logf, "=== driftwatch: %v; could not delete Job %s/%s: %v\n", cause, ns, name, err)
		e.log.Error("could not delete the Job of a stopped attempt", "namespace", ns, "job", name, "err", err)
		return err
	}
	fmt.Fprintf(logf, "=== driftwatch: %v; deleted Job %s/%s and its pods\n", cause, ns, name)
	return nil
}

// waitGone waits until the Job is gone, or replaced by one with another
// UID when uid is set.
func (e *Executor) waitGone(ctx context.Context, ns, name string, uid types.UID) error {
	jobs := e.client.jobs(ns)
	return waitUntil(ctx, e.opts.PollInterval, watchName(jobs.Watch, name), func(ctx context.Context) (bool, error) {
		j, err := jobs.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return true, nil
		case err != nil:
			return false, ctx.Err()
		}
		return uid != "" && j.UID != uid, nil
	})
}

// watchName returns a watchFn for waitUntil that watches one object by
// name.
func watchName(w func(context.Context, metav1.ListOptions) (watch.Interface, error), name string) func(context.Context) (watch.Interface, error) {
	return func(ctx context.Context) (watch.Interface, error) {
		return w(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	}
}
