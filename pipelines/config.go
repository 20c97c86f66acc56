package pipelines

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/config/field"
	"github.com/driftwatch/driftwatch/config/secret"
)

// ExecutorType selects where a pipeline's steps run.
type ExecutorType string

// The supported executors.
const (
	ExecutorLocal      ExecutorType = "local"
	ExecutorKubernetes ExecutorType = "kubernetes"
)

// DeployTarget selects how a new model version is put into service.
type DeployTarget string

// The supported deploy targets.
const (
	DeployCommand              DeployTarget = "command"
	DeployKubernetesDeployment DeployTarget = "kubernetes-deployment"
	DeployKServe               DeployTarget = "kserve"
)

// Direction says which way a metric improves.
type Direction string

// The metric directions.
const (
	HigherIsBetter Direction = "higher_is_better"
	LowerIsBetter  Direction = "lower_is_better"
)

// Pipeline is a named retraining pipeline for one model.
type Pipeline struct {
	Name  string `yaml:"name"`
	Model string `yaml:"model"`
	// Executor runs the steps: local processes or Kubernetes Jobs.
	Executor   ExecutorType     `yaml:"executor"`
	Kubernetes KubernetesConfig `yaml:"kubernetes"`
	// Deadline bounds a whole run, from start to the end of verification.
	Deadline time.Duration `yaml:"deadline"`
	Steps    Steps         `yaml:"steps"`
	Gate     GateConfig    `yaml:"gate"`
	Deploy   DeployConfig  `yaml:"deploy"`
	Verify   VerifyConfig  `yaml:"verify"`
}

// Steps are the pipeline's two computing steps.
type Steps struct {
	// Train fits a challenger and reports its model URI and reference
	// profile.
	Train Step `yaml:"train"`
	// Evaluate scores challenger and champion on the same holdout.
	Evaluate Step `yaml:"evaluate"`
}

// Step is a container image or a command with arguments and environment.
// Arguments and environment values are templates over the run.
type Step struct {
	// Image is the container image (kubernetes executor).
	Image string `yaml:"image"`
	// Command and Args form the command line.
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	// Env sets environment variables; SecretEnv takes them from secrets.
	Env       map[string]string     `yaml:"env"`
	SecretEnv map[string]secret.Ref `yaml:"secret_env"`
	// WorkDir is the working directory (local executor).
	WorkDir   string    `yaml:"work_dir"`
	Resources Resources `yaml:"resources"`
	// Timeout bounds one attempt; Retries and Backoff govern new attempts.
	Timeout time.Duration `yaml:"timeout"`
	Retries int           `yaml:"retries"`
	Backoff time.Duration `yaml:"backoff"`
	// PermanentFailureExitCodes end the step at once, without retries.
	PermanentFailureExitCodes []int `yaml:"permanent_failure_exit_codes"`
}

// Resources requests compute for a step.
type Resources struct {
	CPU    string `yaml:"cpu"`
	Memory string `yaml:"memory"`
	// GPU is the number of nvidia.com/gpu devices.
	GPU int `yaml:"gpu"`
	// GPUProduct restricts GPU steps to nodes labelled with this
	// nvidia.com/gpu.product.
	GPUProduct string `yaml:"gpu_product"`
}

// KubernetesConfig places a pipeline's Jobs.
type KubernetesConfig struct {
	Namespace      string `yaml:"namespace"`
	ServiceAccount string `yaml:"service_account"`
	// Queue is the Kueue LocalQueue; empty means no Kueue.
	Queue         string `yaml:"queue"`
	PriorityClass string `yaml:"priority_class"`
	// TTLAfterFinished is how long finished Jobs are kept.
	TTLAfterFinished time.Duration `yaml:"ttl_after_finished"`
	ImagePullSecrets []string      `yaml:"image_pull_secrets"`
	// Volumes are mounted into the container of every step.
	Volumes []Volume `yaml:"volumes"`
	// PodAnnotations are put on the pods of every step's Job, for sidecar
	// injection, autoscaler eviction or cost attribution. The values are
	// templates over the run, like a step's env; in a StepSpec they are
	// rendered.
	PodAnnotations map[string]string `yaml:"pod_annotations"`
}

// Volume mounts a PersistentVolumeClaim, a Secret or a ConfigMap of the
// Jobs' namespace into the steps' containers. Exactly one of Claim,
// Secret and ConfigMap is set.
type Volume struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mount_path"`
	ReadOnly  bool   `yaml:"read_only"`
	Claim     string `yaml:"claim"`
	Secret    string `yaml:"secret"`
	ConfigMap string `yaml:"config_map"`
}

// GateConfig decides whether a challenger may replace the champion.
type GateConfig struct {
	Metrics []GateMetric `yaml:"metrics"`
}

// GateMetric bounds one evaluation metric. Lower and Upper are value
// thresholds; Change compares the challenger with the champion.
type GateMetric struct {
	Metric string           `yaml:"metric"`
	Lower  *float64         `yaml:"lower"`
	Upper  *float64         `yaml:"upper"`
	Change *ChangeThreshold `yaml:"change"`
}

// ChangeThreshold bounds the change of a metric from champion to
// challenger, in the metric's direction. With Absolute = -0.01 and
// higher_is_better, the challenger may be at most 0.01 below the champion.
type ChangeThreshold struct {
	Direction Direction `yaml:"direction"`
	Absolute  *float64  `yaml:"absolute"`
	Relative  *float64  `yaml:"relative"`
}

// DeployConfig puts an approved model into service.
type DeployConfig struct {
	Target  DeployTarget  `yaml:"target"`
	Command CommandDeploy `yaml:"command"`
	// Deployment patches a serving Deployment.
	Deployment DeploymentDeploy `yaml:"deployment"`
	// KServe updates an InferenceService.
	KServe KServeDeploy `yaml:"kserve"`
}

// CommandDeploy runs a command with the new model URI in its environment.
type CommandDeploy struct {
	Command []string      `yaml:"command"`
	Timeout time.Duration `yaml:"timeout"`
}

// DeploymentDeploy patches the model URI of a Kubernetes Deployment.
type DeploymentDeploy struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	Container string `yaml:"container"`
	// Exactly one of these carries the model URI: Env names an environment
	// variable, Arg is an argument prefix (e.g. --model-uri=), and Image
	// makes the URI the container's image (a model baked into its server).
	Env   string `yaml:"env"`
	Arg   string `yaml:"arg"`
	Image bool   `yaml:"image"`
	// Timeout bounds a deploy or rollback, rollout included. The rollout
	// fails earlier when the Deployment's progressDeadlineSeconds passes.
	Timeout time.Duration `yaml:"timeout"`
}

// KServeDeploy updates an InferenceService's storageUri.
type KServeDeploy struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	// CanaryTrafficPercent, when above 0, routes that share to the new
	// version while it is verified.
	CanaryTrafficPercent int `yaml:"canary_traffic_percent"`
	// Timeout bounds a deploy, promotion or rollback, until the
	// InferenceService is ready.
	Timeout time.Duration `yaml:"timeout"`
}

// VerifyConfig watches a freshly deployed version and rolls it back if it
// misbehaves.
type VerifyConfig struct {
	// Period is how long the new version is watched; zero skips
	// verification.
	Period time.Duration `yaml:"period"`
	// MaxDriftShare fails verification when the dataset drift share reaches
	// it.
	MaxDriftShare float64 `yaml:"max_drift_share"`
	// Rollback rolls back automatically when verification fails.
	Rollback bool `yaml:"rollback"`
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (p *Pipeline) SetDefaults() {
	p.Executor = ExecutorLocal
	p.Deadline = 6 * time.Hour
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (s *Step) SetDefaults() {
	s.Timeout = time.Hour
	s.Retries = 2
	s.Backoff = 30 * time.Second
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (k *KubernetesConfig) SetDefaults() {
	k.Namespace = "default"
	k.TTLAfterFinished = 24 * time.Hour
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *CommandDeploy) SetDefaults() { c.Timeout = 5 * time.Minute }

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (d *DeploymentDeploy) SetDefaults() { d.Timeout = 15 * time.Minute }

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (k *KServeDeploy) SetDefaults() { k.Timeout = 15 * time.Minute }

// Timeout bounds one deploy, rollback or promotion with the selected
// target.
func (d DeployConfig) Timeout() time.Duration {
	switch d.Target {
	case DeployKubernetesDeployment:
		return d.Deployment.Timeout
	case DeployKServe:
		return d.KServe.Timeout
	}
	return d.Command.Timeout
}

// Canary reports whether a deploy sends the new version only part of the
// traffic until verification passes and the Runner promotes it.
func (d DeployConfig) Canary() bool {
	return d.Target == DeployKServe && d.KServe.CanaryTrafficPercent > 0
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (v *VerifyConfig) SetDefaults() {
	v.MaxDriftShare = 0.5
	v.Rollback = true
}

// Validate checks one pipeline without contacting anything.
func (p Pipeline) Validate() error {
	var l field.List
	if err := validateName(p.Name); err != nil {
		l.Add("name", err)
	}
	if p.Model == "" {
		l.Add("model", errors.New("is required"))
	}
	switch p.Executor {
	case ExecutorLocal, ExecutorKubernetes:
	default:
		l.Addf("executor", "unknown executor %q (want local or kubernetes)", string(p.Executor))
	}
	if p.Executor == ExecutorKubernetes {
		l.Add("kubernetes", p.Kubernetes.Validate())
	}
	if p.Deadline <= 0 {
		l.Addf("deadline", "must be positive, got %s", p.Deadline)
	}
	l.Add("steps.train", p.Steps.Train.validateFor(p.Executor))
	l.Add("steps.evaluate", p.Steps.Evaluate.validateFor(p.Executor))
	l.Add("gate", p.Gate.Validate())
	l.Add("deploy", p.Deploy.Validate())
	l.Add("verify", p.Verify.Validate())
	if p.Deploy.Target == DeployKServe && p.Deploy.KServe.CanaryTrafficPercent > 0 && p.Verify.Period == 0 {
		l.Addf("verify.period", "a canary deploy needs a verify period to decide promotion")
	}
	return l.Err()
}

func (s Step) validateFor(ex ExecutorType) error {
	var l field.List
	switch ex {
	case ExecutorKubernetes:
		if s.Image == "" {
			l.Add("image", errors.New("is required for the kubernetes executor"))
		}
	case ExecutorLocal:
		if len(s.Command) == 0 {
			l.Add("command", errors.New("is required for the local executor"))
		}
		if s.Resources.GPU > 0 {
			l.Addf("resources.gpu", "GPUs are requested only by the kubernetes executor")
		}
	}
	for k := range s.Env {
		if !envName.MatchString(k) {
			l.Addf(field.NewPath("env").Key(k), "%q is not a valid environment variable name", k)
		}
	}
	for k, ref := range s.SecretEnv {
		p := field.NewPath("secret_env").Key(k)
		if !envName.MatchString(k) {
			l.Addf(p, "%q is not a valid environment variable name", k)
		}
		if _, dup := s.Env[k]; dup {
			l.Addf(p, "%q is also set in env", k)
		}
		l.Add(p, ref.Validate())
	}
	if s.Resources.GPU < 0 {
		l.Addf("resources.gpu", "must not be negative, got %d", s.Resources.GPU)
	}
	if s.Resources.GPUProduct != "" && s.Resources.GPU == 0 {
		l.Addf("resources.gpu_product", "applies only when resources.gpu is set")
	}
	if s.Timeout <= 0 {
		l.Addf("timeout", "must be positive, got %s", s.Timeout)
	}
	if s.Retries < 0 || s.Retries > 20 {
		l.Addf("retries", "must be between 0 and 20, got %d", s.Retries)
	}
	if s.Backoff < 0 {
		l.Addf("backoff", "must not be negative, got %s", s.Backoff)
	}
	for i, c := range s.PermanentFailureExitCodes {
		if c < 1 || c > 255 {
			l.Addf(field.NewPath("permanent_failure_exit_codes").Index(i), "must be an exit code from 1 to 255, got %d", c)
		}
	}
	return l.Err()
}

// Validate checks the Kubernetes placement.
func (k KubernetesConfig) Validate() error {
	var l field.List
	if err := validateDNSLabel(k.Namespace); err != nil {
		l.Add("namespace", err)
	}
	if k.TTLAfterFinished < 0 {
		l.Addf("ttl_after_finished", "must not be negative, got %s", k.TTLAfterFinished)
	}
	seen := map[string]int{}
	mounts := map[string]int{}
	for i, v := range k.Volumes {
		p := field.NewPath("volumes").Index(i)
		l.Add(p, v.Validate())
		if j, dup := seen[v.Name]; dup && v.Name != "" {
			l.Addf(p.Child("name"), "duplicate volume %q (also volumes[%d])", v.Name, j)
		}
		if j, dup := mounts[v.MountPath]; dup && v.MountPath != "" {
			l.Addf(p.Child("mount_path"), "%s is also mounted by volumes[%d]", v.MountPath, j)
		}
		seen[v.Name], mounts[v.MountPath] = i, i
	}
	for _, key := range slices.Sorted(maps.Keys(k.PodAnnotations)) {
		if err := validateAnnotationKey(key); err != nil {
			l.Add(field.NewPath("pod_annotations").Key(key), err)
		}
	}
	return l.Err()
}

// Validate checks one volume.
func (v Volume) Validate() error {
	var l field.List
	if err := validateDNSLabel(v.Name); err != nil {
		l.Add("name", err)
	}
	if !strings.HasPrefix(v.MountPath, "/") {
		l.Addf("mount_path", "must be an absolute path, got %q", v.MountPath)
	}
	n := 0
	for _, src := range []string{v.Claim, v.Secret, v.ConfigMap} {
		if src != "" {
			n++
		}
	}
	if n != 1 {
		l.Addf("claim", "set claim, secret or config_map, exactly one")
	}
	return l.Err()
}

// Validate checks every gate metric. A gate with no metrics is allowed; it
// rejects every challenger, which is stated when a run is judged.
func (g GateConfig) Validate() error {
	var l field.List
	seen := map[string]int{}
	for i, m := range g.Metrics {
		p := field.NewPath("metrics").Index(i)
		l.Add(p, m.Validate())
		if j, dup := seen[m.Metric]; dup && m.Metric != "" {
			l.Addf(p.Child("metric"), "duplicate metric %q (also metrics[%d])", m.Metric, j)
		}
		seen[m.Metric] = i
	}
	return l.Err()
}

// Validate checks one gate metric.
func (m GateMetric) Validate() error {
	var l field.List
	if m.Metric == "" {
		l.Add("metric", errors.New("is required"))
	}
	if m.Lower == nil && m.Upper == nil && m.Change == nil {
		l.Addf("metric", "set lower, upper or change, or the metric gates nothing")
	}
	for _, b := range []struct {
		name string
		v    *float64
	}{{"lower", m.Lower}, {"upper", m.Upper}} {
		if b.v != nil && (math.IsNaN(*b.v) || math.IsInf(*b.v, 0)) {
			l.Addf(field.NewPath(b.name), "must be a finite number")
		}
	}
	if m.Lower != nil && m.Upper != nil && *m.Lower > *m.Upper {
		l.Addf("upper", "is %v, below lower %v", *m.Upper, *m.Lower)
	}
	if m.Change != nil {
		l.Add("change", m.Change.Validate())
	}
	return l.Err()
}

// Validate checks the change threshold.
func (c ChangeThreshold) Validate() error {
	var l field.List
	switch c.Direction {
	case HigherIsBetter, LowerIsBetter:
	case "":
		l.Addf("direction", "is required (want higher_is_better or lower_is_better)")
	default:
		l.Addf("direction", "unknown direction %q (want higher_is_better or lower_is_better)", string(c.Direction))
	}
	if c.Absolute == nil && c.Relative == nil {
		l.Addf("absolute", "set absolute, relative or both")
	}
	if c.Absolute != nil && (math.IsNaN(*c.Absolute) || math.IsInf(*c.Absolute, 0)) {
		l.Addf("absolute", "must be a finite number")
	}
	if c.Relative != nil && (math.IsNaN(*c.Relative) || math.IsInf(*c.Relative, 0)) {
		l.Addf("relative", "must be a finite number")
	}
	return l.Err()
}

// Validate checks that the selected target is configured.
func (d DeployConfig) Validate() error {
	var l field.List
	switch d.Target {
	case DeployCommand:
		if len(d.Command.Command) == 0 {
			l.Add("command.command", errors.New("is required for the command target"))
		}
		if d.Command.Timeout <= 0 {
			l.Addf("command.timeout", "must be positive, got %s", d.Command.Timeout)
		}
	case DeployKubernetesDeployment:
		l.Add("deployment", d.Deployment.Validate())
	case DeployKServe:
		l.Add("kserve", d.KServe.Validate())
	case "":
		l.Addf("target", "is required (want command, kubernetes-deployment or kserve)")
	default:
		l.Addf("target", "unknown deploy target %q (want command, kubernetes-deployment or kserve)", string(d.Target))
	}
	return l.Err()
}

// Validate checks the Deployment target.
func (d DeploymentDeploy) Validate() error {
	var l field.List
	if err := validateDNSLabel(d.Namespace); err != nil {
		l.Add("namespace", err)
	}
	if d.Name == "" {
		l.Add("name", errors.New("is required"))
	}
	n := 0
	for _, set := range []bool{d.Env != "", d.Arg != "", d.Image} {
		if set {
			n++
		}
	}
	if n != 1 {
		l.Addf("env", "set env (a variable name), arg (an argument prefix) or image, exactly one")
	}
	if d.Env != "" && !envName.MatchString(d.Env) {
		l.Addf("env", "%q is not a valid environment variable name", d.Env)
	}
	if d.Timeout <= 0 {
		l.Addf("timeout", "must be positive, got %s", d.Timeout)
	}
	return l.Err()
}

// Validate checks the InferenceService target.
func (k KServeDeploy) Validate() error {
	var l field.List
	if err := validateDNSLabel(k.Namespace); err != nil {
		l.Add("namespace", err)
	}
	if k.Name == "" {
		l.Add("name", errors.New("is required"))
	}
	if k.CanaryTrafficPercent < 0 || k.CanaryTrafficPercent > 99 {
		l.Addf("canary_traffic_percent", "must be between 0 and 99, got %d", k.CanaryTrafficPercent)
	}
	if k.Timeout <= 0 {
		l.Addf("timeout", "must be positive, got %s", k.Timeout)
	}
	return l.Err()
}

// Validate checks the verification settings.
func (v VerifyConfig) Validate() error {
	var l field.List
	if v.Period < 0 {
		l.Addf("period", "must not be negative, got %s", v.Period)
	}
	if !(v.MaxDriftShare > 0 && v.MaxDriftShare <= 1) {
		l.Addf("max_drift_share", "must be in (0, 1], got %v", v.MaxDriftShare)
	}
	return l.Err()
}

var (
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// dnsSubdomain and qualifiedName are Kubernetes' rules for the prefix
	// and the name of an annotation key.
	dnsSubdomain  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	qualifiedName = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
)

// validateAnnotationKey accepts what the API server accepts as an
// annotation key: an optional DNS subdomain prefix of at most 253
// characters and a slash, then a name of at most 63 characters.
func validateAnnotationKey(key string) error {
	prefix, name, found := strings.Cut(key, "/")
	if !found {
		prefix, name = "", key
	}
	if found && (len(prefix) > 253 || !dnsSubdomain.MatchString(prefix)) {
		return fmt.Errorf("%q is not a valid annotation key: the prefix before '/' must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253)", key)
	}
	if len(name) > 63 || !qualifiedName.MatchString(name) {
		return fmt.Errorf("%q is not a valid annotation key: the name must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit", key)
	}
	return nil
}

func validateDNSLabel(s string) error {
	if s == "" {
		return errors.New("is required")
	}
	if len(s) > 63 || !dnsLabel.MatchString(s) {
		return fmt.Errorf("%q is not a valid Kubernetes name (lowercase letters, digits and '-', at most 63)", s)
	}
	return nil
}

// validateName accepts pipeline names that can become part of Kubernetes
// object names.
func validateName(s string) error {
	if err := validateDNSLabel(s); err != nil {
		return err
	}
	if len(s) > 40 || strings.Contains(s, "--") {
		return fmt.Errorf("%q must be at most 40 characters without \"--\", to leave room in Job names", s)
	}
	return nil
}
