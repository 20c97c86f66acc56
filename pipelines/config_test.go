package pipelines

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func ptr(v float64) *float64 { return &v }

func validPipeline() Pipeline {
	var p Pipeline
	p.SetDefaults()
	p.Name, p.Model = "churn-retrain", "churn"
	for _, s := range []*Step{&p.Steps.Train, &p.Steps.Evaluate} {
		s.SetDefaults()
		s.Command = []string{"./step"}
	}
	p.Deploy.Target = DeployCommand
	p.Deploy.Command.SetDefaults()
	p.Deploy.Command.Command = []string{"./deploy"}
	p.Verify.SetDefaults()
	p.Kubernetes.SetDefaults()
	return p
}

func TestPipelineValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Pipeline)
		want   string
	}{
		{name: "valid", mutate: func(*Pipeline) {}},
		{name: "gpu on local", mutate: func(p *Pipeline) { p.Steps.Train.Resources.GPU = 1 },
			want: "steps.train.resources.gpu: GPUs are requested only by the kubernetes executor"},
		{name: "kubernetes needs image", mutate: func(p *Pipeline) { p.Executor = ExecutorKubernetes },
			want: "steps.train.image: is required for the kubernetes executor\nsteps.evaluate.image: is required for the kubernetes executor"},
		{name: "gate bounds crossed", mutate: func(p *Pipeline) {
			p.Gate.Metrics = []GateMetric{{Metric: "auc", Lower: ptr(0.9), Upper: ptr(0.8)}}
		}, want: "gate.metrics[0].upper: is 0.8, below lower 0.9"},
		{name: "gate metric gates nothing", mutate: func(p *Pipeline) {
			p.Gate.Metrics = []GateMetric{{Metric: "auc"}}
		}, want: "gate.metrics[0].metric: set lower, upper or change, or the metric gates nothing"},
		{name: "change without direction", mutate: func(p *Pipeline) {
			p.Gate.Metrics = []GateMetric{{Metric: "auc", Change: &ChangeThreshold{Absolute: ptr(0)}}}
		}, want: "gate.metrics[0].change.direction: is required (want higher_is_better or lower_is_better)"},
		{name: "bad exit code and env name", mutate: func(p *Pipeline) {
			p.Steps.Evaluate.PermanentFailureExitCodes = []int{0}
			p.Steps.Evaluate.Env = map[string]string{"1BAD": "x"}
		}, want: "steps.evaluate.env[1BAD]: \"1BAD\" is not a valid environment variable name\nsteps.evaluate.permanent_failure_exit_codes[0]: must be an exit code from 1 to 255, got 0"},
		{name: "canary without verify", mutate: func(p *Pipeline) {
			p.Deploy = DeployConfig{Target: DeployKServe, KServe: KServeDeploy{Namespace: "serving", Name: "m", CanaryTrafficPercent: 10, Timeout: time.Minute}}
			p.Verify.Period = 0
		}, want: "verify.period: a canary deploy needs a verify period to decide promotion"},
		{name: "deployment target carries the uri once", mutate: func(p *Pipeline) {
			p.Deploy = DeployConfig{Target: DeployKubernetesDeployment, Deployment: DeploymentDeploy{Namespace: "serving", Name: "m", Env: "MODEL_URI", Image: true}}
		}, want: "deploy.deployment.env: set env (a variable name), arg (an argument prefix) or image, exactly one\ndeploy.deployment.timeout: must be positive, got 0s"},
		{name: "volumes", mutate: func(p *Pipeline) {
			p.Executor = ExecutorKubernetes
			p.Steps.Train.Image, p.Steps.Evaluate.Image = "train:1", "evaluate:1"
			p.Kubernetes.Volumes = []Volume{
				{Name: "data", MountPath: "/data", Claim: "training-data"},
				{Name: "data", MountPath: "relative", Claim: "c", Secret: "s"},
				{Name: "models", MountPath: "/data", ConfigMap: "cm"},
			}
		}, want: "kubernetes.volumes[1].mount_path: must be an absolute path, got \"relative\"\nkubernetes.volumes[1].claim: set claim, secret or config_map, exactly one\n" +
			"kubernetes.volumes[1].name: duplicate volume \"data\" (also volumes[0])\nkubernetes.volumes[2].mount_path: /data is also mounted by volumes[0]"},
		{name: "pod annotation keys", mutate: func(p *Pipeline) {
			p.Executor = ExecutorKubernetes
			p.Steps.Train.Image, p.Steps.Evaluate.Image = "train:1", "evaluate:1"
			p.Kubernetes.PodAnnotations = map[string]string{
				"sidecar.istio.io/inject": "false", "cluster-autoscaler.kubernetes.io/safe-to-evict": "false", "team": "risk",
				"Example.com/cost": "x", "example.com/": "x", "a/b/c": "x", "-lead": "x", strings.Repeat("n", 64): "x",
			}
		}, want: "kubernetes.pod_annotations[-lead]: \"-lead\" is not a valid annotation key: the name must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit\n" +
			"kubernetes.pod_annotations[Example.com/cost]: \"Example.com/cost\" is not a valid annotation key: the prefix before '/' must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253)\n" +
			"kubernetes.pod_annotations[a/b/c]: \"a/b/c\" is not a valid annotation key: the name must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit\n" +
			"kubernetes.pod_annotations[example.com/]: \"example.com/\" is not a valid annotation key: the name must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit\n" +
			"kubernetes.pod_annotations[" + strings.Repeat("n", 64) + "]: \"" + strings.Repeat("n", 64) + "\" is not a valid annotation key: the name must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"},
		{name: "name too long for job names", mutate: func(p *Pipeline) { p.Name = "a-very-long-pipeline-name-that-keeps-going-on" },
			want: "name: \"a-very-long-pipeline-name-that-keeps-going-on\" must be at most 40 characters without \"--\", to leave room in Job names"},
		{name: "zero deadline", mutate: func(p *Pipeline) { p.Deadline = 0 }, want: "deadline: must be positive, got 0s"},
		{name: "negative verify", mutate: func(p *Pipeline) { p.Verify.Period = -time.Second }, want: "verify.period: must not be negative, got -1s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := validPipeline()
			tc.mutate(&p)
			err := p.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
		})
	}
}
