package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/gentype"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/driftwatch/driftwatch/pipelines"
)

// Defaults of the Options that may be left zero.
const (
	// DefaultPollInterval is how often a Job, Deployment or
	// InferenceService is looked at between watch events.
	DefaultPollInterval = 5 * time.Second
	// DefaultCleanupTimeout bounds deleting a cancelled Job, and undoing a
	// deploy whose rollout failed after the deploy's own time ran out.
	DefaultCleanupTimeout = 5 * time.Minute
)

// userAgent names driftwatch in the API server's audit log.
const userAgent = "driftwatch"

// LoadConfig finds the cluster the way kubectl does: the kubeconfig files
// listed in $KUBECONFIG, else ~/.kube/config, at their current context;
// with neither, inside a pod, the pod's service account (in-cluster
// config).
func LoadConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes: no cluster credentials (no usable $KUBECONFIG or ~/.kube/config, and not in a pod): %w", err)
	}
	return cfg, nil
}

// Options configure New, NewDeploymentDeployer and NewKServeDeployer.
// Config is required.
type Options struct {
	// Config reaches the cluster, from LoadConfig or a test's kubeconfig.
	Config *rest.Config
	Logger *slog.Logger
	// PollInterval overrides DefaultPollInterval when positive.
	PollInterval time.Duration
	// CleanupTimeout overrides DefaultCleanupTimeout when positive.
	CleanupTimeout time.Duration
	// PodAnnotations adds annotations to the pods of a step's Job, over
	// the pipeline's kubernetes.pod_annotations. It is a hook for tests,
	// which script the fake kubelets of the harness cluster per attempt.
	PodAnnotations func(s pipelines.StepSpec) map[string]string
}

func (o Options) withDefaults() (Options, error) {
	if o.Config == nil {
		return o, errors.New("kubernetes: Options.Config is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.CleanupTimeout <= 0 {
		o.CleanupTimeout = DefaultCleanupTimeout
	}
	return o, nil
}

// restConfig is a copy of cfg that names driftwatch.
func restConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	if c.UserAgent == "" {
		c.UserAgent = userAgent
	}
	return c
}

// typed is a typed client for the few resources driftwatch changes: Jobs,
// Pods, Secrets and Deployments. client-go's generated clientset would do,
// but it registers every API group of Kubernetes, which makes driftwatch's
// binary some 30 MB larger; this scheme holds only core/v1, batch/v1 and
// apps/v1, under the same generic clients (gentype) the clientset uses.
type typed struct {
	core, batch, apps rest.Interface
	params            runtime.ParameterCodec
}

func newTyped(cfg *rest.Config) (*typed, error) {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme, appsv1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("kubernetes: building the scheme: %w", err)
		}
	}
	codecs := serializer.NewCodecFactory(s)
	client := func(gv schema.GroupVersion, apiPath string) (rest.Interface, error) {
		c := restConfig(cfg)
		c.GroupVersion, c.APIPath = &gv, apiPath
		c.NegotiatedSerializer = codecs.WithoutConversion()
		rc, err := rest.RESTClientFor(c)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: building the client: %w", err)
		}
		return rc, nil
	}
	t := &typed{params: runtime.NewParameterCodec(s)}
	var err error
	if t.core, err = client(corev1.SchemeGroupVersion, "/api"); err != nil {
		return nil, err
	}
	if t.batch, err = client(batchv1.SchemeGroupVersion, "/apis"); err != nil {
		return nil, err
	}
	if t.apps, err = client(appsv1.SchemeGroupVersion, "/apis"); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *typed) jobs(ns string) *gentype.ClientWithList[*batchv1.Job, *batchv1.JobList] {
	return gentype.NewClientWithList("jobs", t.batch, t.params, ns,
		func() *batchv1.Job { return &batchv1.Job{} }, func() *batchv1.JobList { return &batchv1.JobList{} })
}

func (t *typed) pods(ns string) *gentype.ClientWithList[*corev1.Pod, *corev1.PodList] {
	return gentype.NewClientWithList("pods", t.core, t.params, ns,
		func() *corev1.Pod { return &corev1.Pod{} }, func() *corev1.PodList { return &corev1.PodList{} })
}

func (t *typed) secrets(ns string) *gentype.ClientWithList[*corev1.Secret, *corev1.SecretList] {
	return gentype.NewClientWithList("secrets", t.core, t.params, ns,
		func() *corev1.Secret { return &corev1.Secret{} }, func() *corev1.SecretList { return &corev1.SecretList{} })
}

func (t *typed) deployments(ns string) *gentype.ClientWithList[*appsv1.Deployment, *appsv1.DeploymentList] {
	return gentype.NewClientWithList("deployments", t.apps, t.params, ns,
		func() *appsv1.Deployment { return &appsv1.Deployment{} }, func() *appsv1.DeploymentList { return &appsv1.DeploymentList{} })
}

// podLogs streams a pod's logs, as the clientset's GetLogs does.
func (t *typed) podLogs(ctx context.Context, ns, name string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return t.core.Get().Namespace(ns).Resource("pods").Name(name).SubResource("log").VersionedParams(opts, t.params).Stream(ctx)
}

func newDynamic(cfg *rest.Config) (dynamic.Interface, error) {
	c, err := dynamic.NewForConfig(restConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("kubernetes: building the dynamic client: %w", err)
	}
	return c, nil
}

// base is what the executor and the Deployment target share: their
// options, with defaults, and a typed client.
type base struct {
	client *typed
	opts   Options
	log    *slog.Logger
}

func newBase(opts Options) (base, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return base{}, err
	}
	c, err := newTyped(opts.Config)
	if err != nil {
		return base{}, err
	}
	return base{client: c, opts: opts, log: opts.Logger}, nil
}
