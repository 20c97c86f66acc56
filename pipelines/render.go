package pipelines

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// TemplateData is what step arguments and environment values are
// templates over (Go text/template; a missing map key is an error).
// docs/pipelines.md documents every field.
type TemplateData struct {
	RunID    string
	Model    string
	Pipeline string
	Step     string
	Attempt  int
	Params   map[string]string
	// DataWindow is the training data's time range: params data_start and
	// data_end when given, else the model's last window.
	DataWindow TemplateWindow
	// Champion is the serving version; empty when there is none.
	Champion TemplateModel
	// Challenger is the train step's model (evaluate only).
	Challenger TemplateModel
	// ArtifactDir is a directory for the run's artifacts.
	ArtifactDir string
}

// TemplateWindow is a time range in templates.
type TemplateWindow struct {
	Start, End TemplateTime
}

// TemplateTime prints as RFC 3339 in UTC, and as "" when zero; methods of
// time.Time such as Format work on it too.
type TemplateTime struct{ time.Time }

// String formats t as RFC 3339 in UTC.
func (t TemplateTime) String() string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// TemplateModel is a model version in templates.
type TemplateModel struct {
	Version    string
	URI        string
	ProfileURI string
}

// DeployTemplateData is what the deploy command's arguments are templates
// over.
type DeployTemplateData struct {
	RunID    string
	Model    string
	Pipeline string
	// Kind is deploy or rollback.
	Kind       string
	Attempt    int
	Version    string
	URI        string
	ProfileURI string
}

// envPrefix starts the names of the variables driftwatch sets; a step's
// env may not set them.
const envPrefix = "DRIFTWATCH_"

// EnvResult names the variable that tells a step where to write its
// result. Executors set it, each to where it collects results from.
const EnvResult = "DRIFTWATCH_RESULT"

// stepEnv returns the variables driftwatch sets for every step.
func stepEnv(d TemplateData) map[string]string {
	params, _ := json.Marshal(nonNil(d.Params)) // A map of strings always encodes.
	env := map[string]string{
		"DRIFTWATCH_RUN_ID":           d.RunID,
		"DRIFTWATCH_MODEL":            d.Model,
		"DRIFTWATCH_PIPELINE":         d.Pipeline,
		"DRIFTWATCH_STEP":             d.Step,
		"DRIFTWATCH_ATTEMPT":          strconv.Itoa(d.Attempt),
		"DRIFTWATCH_PARAMS":           string(params),
		"DRIFTWATCH_ARTIFACT_DIR":     d.ArtifactDir,
		"DRIFTWATCH_DATA_START":       d.DataWindow.Start.String(),
		"DRIFTWATCH_DATA_END":         d.DataWindow.End.String(),
		"DRIFTWATCH_CHAMPION_VERSION": d.Champion.Version,
		"DRIFTWATCH_CHAMPION_URI":     d.Champion.URI,
	}
	if d.Step == StepEvaluate {
		env["DRIFTWATCH_CHALLENGER_URI"] = d.Challenger.URI
		env["DRIFTWATCH_CHALLENGER_VERSION"] = d.Challenger.Version
	}
	return env
}

// deployEnv returns the variables of a deploy command.
func deployEnv(d DeployTemplateData) map[string]string {
	return map[string]string{
		"DRIFTWATCH_RUN_ID":        d.RunID,
		"DRIFTWATCH_MODEL":         d.Model,
		"DRIFTWATCH_PIPELINE":      d.Pipeline,
		"DRIFTWATCH_DEPLOY_KIND":   d.Kind,
		"DRIFTWATCH_ATTEMPT":       strconv.Itoa(d.Attempt),
		"DRIFTWATCH_MODEL_VERSION": d.Version,
		"DRIFTWATCH_MODEL_URI":     d.URI,
		"DRIFTWATCH_PROFILE_URI":   d.ProfileURI,
	}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// render executes one template.
func render(name, text string, data any) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return b.String(), nil
}

// renderStep renders a step's arguments and environment: the step's own
// env over driftwatch's variables.
func renderStep(s Step, d TemplateData) (args []string, env map[string]string, err error) {
	var errs []error
	for i, a := range s.Args {
		v, err := render(fmt.Sprintf("args[%d]", i), a, d)
		errs = append(errs, err)
		args = append(args, v)
	}
	env = stepEnv(d)
	for k, text := range s.Env {
		v, err := render(fmt.Sprintf("env[%s]", k), text, d)
		errs = append(errs, err)
		env[k] = v
	}
	return args, env, errors.Join(errs...)
}

// renderPodAnnotations renders the values of kubernetes.pod_annotations
// for one attempt; nil when there are none.
func renderPodAnnotations(k KubernetesConfig, d TemplateData) (map[string]string, error) {
	if len(k.PodAnnotations) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(k.PodAnnotations))
	var errs []error
	for key, text := range k.PodAnnotations {
		v, err := render(fmt.Sprintf("kubernetes.pod_annotations[%s]", key), text, d)
		errs = append(errs, err)
		out[key] = v
	}
	return out, errors.Join(errs...)
}

// renderDeploy renders a deploy command.
func renderDeploy(c CommandDeploy, d DeployTemplateData) ([]string, error) {
	var out []string
	var errs []error
	for i, a := range c.Command {
		v, err := render(fmt.Sprintf("deploy.command.command[%d]", i), a, d)
		errs = append(errs, err)
		out = append(out, v)
	}
	return out, errors.Join(errs...)
}

// checkTemplates renders a pipeline's templates against sample data, so
// that a misspelt field fails when the Runner is built, not in the middle
// of a run. A parameter that a run may or may not carry can only be
// checked at run time.
func checkTemplates(p Pipeline) error {
	sample := TemplateData{
		RunID: "r", Model: p.Model, Pipeline: p.Name, Step: StepTrain, Attempt: 1, Params: map[string]string{},
		DataWindow:  TemplateWindow{Start: TemplateTime{time.Unix(0, 0)}, End: TemplateTime{time.Unix(1, 0)}},
		Champion:    TemplateModel{Version: "v", URI: "u", ProfileURI: "p"},
		Challenger:  TemplateModel{Version: "v", URI: "u", ProfileURI: "p"},
		ArtifactDir: "a",
	}
	var errs []error
	keep := func(path string, err error) {
		if err != nil && !strings.Contains(err.Error(), "map has no entry for key") {
			errs = append(errs, fmt.Errorf("pipelines: pipeline %s: %s.%w", p.Name, path, err))
		}
	}
	for name, s := range map[string]Step{StepTrain: p.Steps.Train, StepEvaluate: p.Steps.Evaluate} {
		sample.Step = name
		_, _, err := renderStep(s, sample)
		for _, e := range unjoin(err) {
			keep("steps."+name, e)
		}
		for k := range s.Env {
			if strings.HasPrefix(k, envPrefix) {
				errs = append(errs, fmt.Errorf("pipelines: pipeline %s: steps.%s.env[%s]: names starting with %s are set by driftwatch", p.Name, name, k, envPrefix))
			}
		}
		for k := range s.SecretEnv {
			if strings.HasPrefix(k, envPrefix) {
				errs = append(errs, fmt.Errorf("pipelines: pipeline %s: steps.%s.secret_env[%s]: names starting with %s are set by driftwatch", p.Name, name, k, envPrefix))
			}
		}
	}
	if p.Executor == ExecutorKubernetes {
		// The pod annotations are the pipeline's, rendered for each step;
		// each problem is reported once.
		seen := map[string]bool{}
		for _, name := range []string{StepTrain, StepEvaluate} {
			sample.Step = name
			_, err := renderPodAnnotations(p.Kubernetes, sample)
			for _, e := range unjoin(err) {
				if e != nil && !strings.Contains(e.Error(), "map has no entry for key") && !seen[e.Error()] {
					seen[e.Error()] = true
					errs = append(errs, fmt.Errorf("pipelines: pipeline %s: %w", p.Name, e))
				}
			}
		}
	}
	if p.Deploy.Target == DeployCommand {
		_, err := renderDeploy(p.Deploy.Command, DeployTemplateData{RunID: "r", Model: p.Model, Pipeline: p.Name, Kind: "deploy", Version: "v", URI: "u", ProfileURI: "p"})
		for _, e := range unjoin(err) {
			if e != nil {
				errs = append(errs, fmt.Errorf("pipelines: pipeline %s: %w", p.Name, e))
			}
		}
	}
	return errors.Join(errs...)
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
