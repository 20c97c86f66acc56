package kubernetes

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftwatch/driftwatch/pipelines"
)

const (
	// maxLogBytes bounds the logs copied from one pod.
	maxLogBytes = 16 << 20
	// logFetchTimeout bounds fetching one pod's logs, which goes through
	// its node's kubelet.
	logFetchTimeout = 30 * time.Second
)

// wait waits until the Job is Complete or Failed, reporting its phase
// as it changes: queued while suspended (Kueue), pending until its pod
// runs, running.
func (e *Executor) wait(ctx context.Context, s pipelines.StepSpec, job *batchv1.Job, logf io.Writer) (*batchv1.Job, error) {
	jobs := e.client.jobs(job.Namespace)
	var (
		end   *batchv1.Job
		phase pipelines.AttemptPhase
		msg   string
	)
	err := waitUntil(ctx, e.opts.PollInterval, watchName(jobs.Watch, job.Name), func(ctx context.Context) (bool, error) {
		j, err := jobs.Get(ctx, job.Name, metav1.GetOptions{})
		switch {
		case ctx.Err() != nil:
			return false, ctx.Err()
		case apierrors.IsNotFound(err) || (err == nil && j.UID != job.UID):
			return false, fmt.Errorf("job %s/%s was deleted before it ended", job.Namespace, job.Name)
		case err != nil:
			e.log.Warn("could not read a Job; trying again", "namespace", job.Namespace, "job", job.Name, "err", err)
			return false, nil
		case finished(j) != nil:
			end = j
			return true, nil
		}
		p, m := e.phaseOf(ctx, j)
		if p != phase || m != msg {
			phase, msg = p, m
			fmt.Fprintf(logf, "=== driftwatch: %s: %s\n", p, m)
			if s.Progress != nil {
				s.Progress(p, m)
			}
		}
		return false, nil
	})
	return end, err
}

// finished returns the Complete or Failed condition of a Job that ended,
// or nil.
func finished(j *batchv1.Job) *batchv1.JobCondition {
	for i, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

// phaseOf says where a Job that has not ended is, from it and its latest
// pod.
func (e *Executor) phaseOf(ctx context.Context, j *batchv1.Job) (pipelines.AttemptPhase, string) {
	if j.Spec.Suspend != nil && *j.Spec.Suspend {
		if q := j.Labels[labelKueueQueue]; q != "" {
			return pipelines.PhaseQueued, fmt.Sprintf("Job %s/%s is suspended until Kueue admits it from LocalQueue %s", j.Namespace, j.Name, q)
		}
		return pipelines.PhaseQueued, fmt.Sprintf("Job %s/%s is suspended", j.Namespace, j.Name)
	}
	pods, err := e.podsOf(ctx, j.Namespace, j.Name, j)
	if err != nil || len(pods) == 0 {
		return pipelines.PhasePending, "waiting for the Job's pod"
	}
	return podPhase(pods[len(pods)-1])
}

// podPhase says where a pod of a running Job is.
func podPhase(p corev1.Pod) (pipelines.AttemptPhase, string) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return pipelines.PhasePending, fmt.Sprintf("pod %s is not scheduled: %s", p.Name, c.Message)
		}
	}
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; c.Name == containerName && w != nil && w.Reason != "" {
			return pipelines.PhasePending, strings.TrimSuffix(fmt.Sprintf("pod %s on node %s: %s %s", p.Name, p.Spec.NodeName, w.Reason, w.Message), " ")
		}
	}
	switch p.Status.Phase {
	case corev1.PodRunning:
		return pipelines.PhaseRunning, fmt.Sprintf("pod %s on node %s", p.Name, p.Spec.NodeName)
	case corev1.PodSucceeded, corev1.PodFailed:
		// The Job controller has yet to count the pod.
		return pipelines.PhaseRunning, fmt.Sprintf("pod %s on node %s has ended", p.Name, p.Spec.NodeName)
	}
	if p.Spec.NodeName != "" {
		return pipelines.PhasePending, fmt.Sprintf("pod %s on node %s is %s", p.Name, p.Spec.NodeName, p.Status.Phase)
	}
	return pipelines.PhasePending, fmt.Sprintf("pod %s is %s", p.Name, p.Status.Phase)
}

// outcome reads how a Job that ended went from its step container: the
// exit code, the termination reason, and after a success the termination
// message, which is the result. The pods' logs go to the attempt's log
// first.
func (e *Executor) outcome(ctx context.Context, j *batchv1.Job, logf io.Writer) (pipelines.StepOutcome, error) {
	out := pipelines.StepOutcome{ExitCode: -1}
	pods, err := e.podsOf(ctx, j.Namespace, j.Name, j)
	if err != nil {
		return out, fmt.Errorf("listing the pods of Job %s/%s: %w", j.Namespace, j.Name, err)
	}
	e.copyLogs(ctx, pods, logf)
	cond := finished(j)
	if cond.Type == batchv1.JobComplete {
		pod := lastPod(pods, corev1.PodSucceeded)
		if pod == nil {
			// Without the pod there is no result; a new attempt makes one.
			return out, fmt.Errorf("job %s/%s succeeded, but its pod, and with it the result, is gone", j.Namespace, j.Name)
		}
		term := terminated(pod)
		out.ExitCode = 0
		if term != nil && term.Message != "" {
			out.Result = []byte(term.Message)
		}
		fmt.Fprintf(logf, "=== driftwatch: Job %s/%s succeeded (pod %s on node %s)\n", j.Namespace, j.Name, pod.Name, pod.Spec.NodeName)
		return out, nil
	}
	out.Reason = fmt.Sprintf("Job %s", cond.Reason)
	if cond.Message != "" {
		out.Reason += ": " + cond.Message
	}
	pod := lastPod(pods, corev1.PodFailed)
	if term := terminated(pod); term != nil && term.ExitCode != 0 {
		out.ExitCode = int(term.ExitCode)
		out.Reason = fmt.Sprintf("container %s; %s", term.Reason, out.Reason)
		if term.Message != "" {
			fmt.Fprintf(logf, "=== driftwatch: termination message of pod %s:\n%s\n", pod.Name, strings.TrimRight(term.Message, "\n"))
		}
	}
	fmt.Fprintf(logf, "=== driftwatch: Job %s/%s failed: %s\n", j.Namespace, j.Name, out.Reason)
	return out, nil
}

// podsOf lists the pods of a Job, oldest first: by the Job's UID when it
// is known, so pods of an earlier Job of the same name are left out, and
// else by its name.
func (e *Executor) podsOf(ctx context.Context, ns, name string, j *batchv1.Job) ([]corev1.Pod, error) {
	selector := batchv1.JobNameLabel + "=" + name
	if j != nil && j.UID != "" {
		selector = batchv1.ControllerUidLabel + "=" + string(j.UID)
	}
	list, err := e.client.pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	pods := list.Items
	slices.SortStableFunc(pods, func(a, b corev1.Pod) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), strings.Compare(a.Name, b.Name))
	})
	return pods, nil
}

// lastPod returns the newest pod in the phase, preferring one that was
// not disrupted, or nil.
func lastPod(pods []corev1.Pod, phase corev1.PodPhase) *corev1.Pod {
	var found *corev1.Pod
	for i := len(pods) - 1; i >= 0; i-- {
		p := &pods[i]
		if p.Status.Phase != phase {
			continue
		}
		if !disrupted(p) {
			return p
		}
		if found == nil {
			found = p
		}
	}
	return found
}

func disrupted(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// terminated returns the terminated state of the step container, or nil.
func terminated(p *corev1.Pod) *corev1.ContainerStateTerminated {
	if p == nil {
		return nil
	}
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == containerName {
			return c.State.Terminated
		}
	}
	return nil
}

// copyLogs appends the step container's logs of each pod to the attempt's
// log. Logs come from the node's kubelet; when it cannot serve them (a
// node that is gone, or the harness's fake kubelets) the log says so,
// and a failed step's termination message still holds the end of its
// output (FallbackToLogsOnError).
func (e *Executor) copyLogs(ctx context.Context, pods []corev1.Pod, logf io.Writer) {
	for _, p := range pods {
		if p.Status.Phase == corev1.PodPending {
			continue
		}
		if err := e.copyLog(ctx, p, logf); err != nil {
			fmt.Fprintf(logf, "=== driftwatch: could not fetch the logs of pod %s: %v\n", p.Name, err)
		}
	}
}

func (e *Executor) copyLog(ctx context.Context, p corev1.Pod, logf io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, logFetchTimeout)
	defer cancel()
	rc, err := e.client.podLogs(ctx, p.Namespace, p.Name, &corev1.PodLogOptions{Container: containerName, LimitBytes: ptr[int64](maxLogBytes)})
	if err != nil {
		return err
	}
	defer rc.Close()
	fmt.Fprintf(logf, "=== driftwatch: logs of pod %s (node %s):\n", p.Name, p.Spec.NodeName)
	_, err = io.Copy(logf, rc)
	return err
}
