package kubernetes

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftwatch/driftwatch/pipelines"
)

const (
	// containerName is the name of the step's container in its pod.
	containerName = "step"
	// terminationPath is where a step writes its result: the kubelet makes
	// the file's content, at most 4096 bytes, the termination message.
	terminationPath = "/dev/termination-log"
	// minTTL is the shortest ttlSecondsAfterFinished a Job gets, so that
	// the executor can read the result before the Job and its pods go.
	minTTL = time.Minute

	resourceGPU     = corev1.ResourceName("nvidia.com/gpu")
	labelGPUPresent = "nvidia.com/gpu.present"
	labelGPUProduct = "nvidia.com/gpu.product"
)

// buildJob returns the Job of a step attempt, and the Secret with its
// secret_env values when it has any. The Job:
//   - never retries by itself (backoffLimit 0); retries are the Runner's,
//     and each is a new Job;
//   - ignores disruptions (DisruptionTarget), which start a new pod
//     without counting as a failure, and fails at once on a permanent
//     failure exit code (podFailurePolicy);
//   - is bounded by the step timeout (activeDeadlineSeconds) and kept
//     ttl_after_finished, at least a minute, after it ends;
//   - is created suspended, for Kueue to admit, when a queue is set;
//   - puts a GPU step on nodes labelled nvidia.com/gpu.present=true (and
//     nvidia.com/gpu.product when set), tolerating the nvidia.com/gpu
//     taint;
//   - gives its pod the rendered kubernetes.pod_annotations, and over them
//     extra (Options.PodAnnotations).
//
// An error is a step that cannot become a Job, such as an invalid
// quantity; it wraps pipelines.ErrPermanent.
func buildJob(s pipelines.StepSpec, extra map[string]string) (*batchv1.Job, *corev1.Secret, error) {
	if s.Image == "" {
		return nil, nil, fmt.Errorf("%w: the step has no image", pipelines.ErrPermanent)
	}
	k := s.Kubernetes
	name := JobName(s)
	labels := stepLabels(s)
	resources, err := resourcesOf(s.Resources)
	if err != nil {
		return nil, nil, err
	}
	container := corev1.Container{
		Name: containerName, Image: s.Image, Command: s.Command, Args: s.Args,
		Env:                      envOf(s, name),
		Resources:                resources,
		TerminationMessagePath:   terminationPath,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	pod := corev1.PodSpec{
		RestartPolicy:      corev1.RestartPolicyNever,
		ServiceAccountName: k.ServiceAccount,
		PriorityClassName:  k.PriorityClass,
	}
	for _, sec := range k.ImagePullSecrets {
		pod.ImagePullSecrets = append(pod.ImagePullSecrets, corev1.LocalObjectReference{Name: sec})
	}
	for _, v := range k.Volumes {
		pod.Volumes = append(pod.Volumes, volumeOf(v))
		container.VolumeMounts = append(container.VolumeMounts, corev1.VolumeMount{Name: v.Name, MountPath: v.MountPath, ReadOnly: v.ReadOnly})
	}
	if s.Resources.GPU > 0 {
		pod.NodeSelector = map[string]string{labelGPUPresent: "true"}
		if s.Resources.GPUProduct != "" {
			pod.NodeSelector[labelGPUProduct] = s.Resources.GPUProduct
		}
		pod.Tolerations = []corev1.Toleration{{Key: string(resourceGPU), Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	}
	pod.Containers = []corev1.Container{container}

	var podAnnotations map[string]string
	if len(k.PodAnnotations)+len(extra) > 0 {
		podAnnotations = maps.Clone(k.PodAnnotations)
		if podAnnotations == nil {
			podAnnotations = map[string]string{}
		}
		maps.Copy(podAnnotations, extra)
	}
	jobLabels := maps.Clone(labels)
	if k.Queue != "" {
		jobLabels[labelKueueQueue] = k.Queue
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: k.Namespace, Labels: jobLabels,
			Annotations: map[string]string{annotationAttempt: s.Name},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr[int32](0),
			ActiveDeadlineSeconds:   ptr(int64(math.Ceil(s.Timeout.Seconds()))),
			TTLSecondsAfterFinished: ptr(int32(max(k.TTLAfterFinished, minTTL).Seconds())),
			PodFailurePolicy:        failurePolicy(s.PermanentFailureExitCodes),
			// A pod replacing a disrupted one starts only once that one
			// has stopped, so two never run the step at once.
			PodReplacementPolicy: ptr(batchv1.Failed),
			Suspend:              ptr(k.Queue != ""),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: podAnnotations},
				Spec:       pod,
			},
		},
	}
	if s.Timeout <= 0 {
		job.Spec.ActiveDeadlineSeconds = nil
	}
	return job, secretOf(s, name, labels), nil
}

// envOf is the container's environment, sorted: the step's variables,
// DRIFTWATCH_RESULT at the termination message file, and secret_env as
// references to the attempt's Secret.
func envOf(s pipelines.StepSpec, secretName string) []corev1.EnvVar {
	env := make([]corev1.EnvVar, 0, len(s.Env)+len(s.SecretEnv)+1)
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		env = append(env, corev1.EnvVar{Name: k, Value: s.Env[k]})
	}
	env = append(env, corev1.EnvVar{Name: pipelines.EnvResult, Value: terminationPath})
	for _, k := range slices.Sorted(maps.Keys(s.SecretEnv)) {
		env = append(env, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: k,
		}}})
	}
	return env
}

// secretOf is the Secret that carries an attempt's secret_env values, or
// nil when it has none. It has the Job's name; the executor makes the Job
// its owner, so it goes when the Job goes.
func secretOf(s pipelines.StepSpec, name string, labels map[string]string) *corev1.Secret {
	if len(s.SecretEnv) == 0 {
		return nil
	}
	data := make(map[string][]byte, len(s.SecretEnv))
	for k, v := range s.SecretEnv {
		data[k] = []byte(v)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Kubernetes.Namespace, Labels: labels},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
}

// resourcesOf turns the step's resources into requests and limits: CPU and
// memory are requested and limited alike, GPUs are limited (which requests
// them too).
func resourcesOf(r pipelines.Resources) (corev1.ResourceRequirements, error) {
	var out corev1.ResourceRequirements
	list := corev1.ResourceList{}
	var errs []error
	for _, q := range []struct {
		name  corev1.ResourceName
		value string
	}{{corev1.ResourceCPU, r.CPU}, {corev1.ResourceMemory, r.Memory}} {
		if q.value == "" {
			continue
		}
		v, err := resource.ParseQuantity(q.value)
		if err != nil {
			errs = append(errs, fmt.Errorf("resources.%s: %q is not a Kubernetes quantity", q.name, q.value))
			continue
		}
		list[q.name] = v
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("%w: %w", pipelines.ErrPermanent, err)
	}
	if len(list) > 0 {
		out.Requests = maps.Clone(list)
	}
	if r.GPU > 0 {
		list[resourceGPU] = *resource.NewQuantity(int64(r.GPU), resource.DecimalSI)
	}
	if len(list) > 0 {
		out.Limits = list
	}
	return out, nil
}

// failurePolicy ignores disruptions, which then do not count against the
// backoffLimit, and fails the Job at once on a permanent exit code.
func failurePolicy(permanent []int) *batchv1.PodFailurePolicy {
	p := &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
		Action:          batchv1.PodFailurePolicyActionIgnore,
		OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
	}}}
	if len(permanent) == 0 {
		return p
	}
	codes := make([]int32, 0, len(permanent))
	for _, c := range permanent {
		codes = append(codes, int32(c))
	}
	slices.Sort(codes)
	p.Rules = append(p.Rules, batchv1.PodFailurePolicyRule{
		Action: batchv1.PodFailurePolicyActionFailJob,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			ContainerName: ptr(containerName), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: slices.Compact(codes),
		},
	})
	return p
}

func volumeOf(v pipelines.Volume) corev1.Volume {
	out := corev1.Volume{Name: v.Name}
	switch {
	case v.Claim != "":
		out.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.Claim, ReadOnly: v.ReadOnly}
	case v.Secret != "":
		out.Secret = &corev1.SecretVolumeSource{SecretName: v.Secret}
	case v.ConfigMap != "":
		out.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: v.ConfigMap}}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
