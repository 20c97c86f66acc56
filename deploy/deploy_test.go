package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/leader"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

const (
	example       = "overlays/example"
	exampleConfig = example + "/driftwatch.yaml"
	image         = "ghcr.io/driftwatch/driftwatch:v0.1.0"
	// The namespaces of the example: driftwatch's own, the Jobs' and the
	// serving objects'.
	nsDriftwatch = "driftwatch"
	nsTraining   = "ml-training"
	nsServing    = "ml-serving"
)

// TestExampleConfig loads the example's configuration as driftwatch would,
// and checks that it fits the manifests: it listens on the pod's address,
// elects a leader on the Lease that the Role names, keeps its store on
// the shared volume and its checkpoints on the replica's own, and every
// secret it reads is a key of the generated Secret.
func TestExampleConfig(t *testing.T) {
	cfg, err := config.Load(exampleConfig)
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:9400", cfg.Server.Listen)
	require.True(t, cfg.LeaderElection.Enabled)
	require.Equal(t, "/var/lib/driftwatch", cfg.Storage.Dir, "the PersistentVolumeClaim's mount")
	require.True(t, strings.HasPrefix(cfg.Storage.CheckpointDir, "/var/lib/driftwatch-local/"), "the emptyDir's mount")

	var role rbacv1.Role
	decodeFile(t, "base/rbac.yaml", &role)
	var leaseNames []string
	for _, r := range role.Rules {
		if slices.Contains(r.Resources, "leases") && slices.Contains(r.Verbs, "update") {
			leaseNames = r.ResourceNames
		}
	}
	require.Equal(t, []string{cfg.LeaderElection.LeaseName}, leaseNames, "the Role may update the configured Lease")

	var kust struct {
		SecretGenerator []struct {
			Files []string `yaml:"files"`
		} `yaml:"secretGenerator"`
	}
	data, err := os.ReadFile(filepath.Join(example, "kustomization.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &kust))
	var keys []string
	for _, f := range kust.SecretGenerator[0].Files {
		key, _, _ := strings.Cut(f, "=")
		keys = append(keys, key)
	}
	refs := []string{cfg.Server.Auth.BearerToken.File, cfg.Models[0].Source.Kafka.SASL.Password.File}
	for _, r := range refs {
		require.Contains(t, keys, r, "a {file: %s} secret must sit beside driftwatch.yaml, from the Secret", r)
	}
}

// TestKustomizeBuild builds the example overlay with kubectl's Kustomize
// and checks what matters in the result: the objects, their namespaces,
// the Deployment's replicas, probes, security context, image and
// volumes, the Services' selectors, and the RBAC rules, which must be
// exactly these.
func TestKustomizeBuild(t *testing.T) {
	objs := build(t)
	var got []string
	for _, o := range objs {
		got = append(got, o.Kind+" "+o.Namespace+"/"+o.Name)
	}
	slices.Sort(got)
	want := []string{
		"ConfigMap driftwatch/driftwatch-config",
		"Deployment driftwatch/driftwatch",
		"Namespace /driftwatch",
		"PersistentVolumeClaim driftwatch/driftwatch-data",
		"PodDisruptionBudget driftwatch/driftwatch",
		"Role driftwatch/driftwatch",
		"Role ml-serving/driftwatch-serving",
		"Role ml-training/driftwatch-pipelines",
		"RoleBinding driftwatch/driftwatch",
		"RoleBinding ml-serving/driftwatch-serving",
		"RoleBinding ml-training/driftwatch-pipelines",
		"Secret driftwatch/driftwatch-secrets",
		"Service driftwatch/driftwatch",
		"Service driftwatch/driftwatch-leader",
		"ServiceAccount driftwatch/driftwatch",
		"ServiceMonitor driftwatch/driftwatch",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("objects (-want +got), generated names without their hash:\n%s", diff)
	}

	var dep appsv1.Deployment
	find(t, objs, "Deployment", "driftwatch").into(t, &dep)
	require.EqualValues(t, 2, *dep.Spec.Replicas)
	pod := dep.Spec.Template.Spec
	require.Equal(t, "driftwatch", pod.ServiceAccountName)
	require.True(t, *pod.SecurityContext.RunAsNonRoot)
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	require.Equal(t, image, c.Image)
	require.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
	require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
	require.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
	require.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
	require.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop)
	require.NotNil(t, c.Resources.Requests.Cpu())
	require.False(t, c.Resources.Limits.Memory().IsZero())
	require.Equal(t, []string{"run", "-c", "/etc/driftwatch/driftwatch.yaml", "--log-format", "json"}, c.Args)
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.ValueFrom.FieldRef.FieldPath)
	}
	require.Equal(t, []string{"POD_NAME=metadata.name", "POD_NAMESPACE=metadata.namespace"}, env)

	cm, secret := find(t, objs, "ConfigMap", "driftwatch-config"), find(t, objs, "Secret", "driftwatch-secrets")
	var volumes []string
	for _, v := range pod.Volumes {
		switch {
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					volumes = append(volumes, v.Name+": configmap "+s.ConfigMap.Name)
				}
				if s.Secret != nil {
					volumes = append(volumes, v.Name+": secret "+s.Secret.Name)
				}
			}
		case v.PersistentVolumeClaim != nil:
			volumes = append(volumes, v.Name+": claim "+v.PersistentVolumeClaim.ClaimName)
		case v.EmptyDir != nil:
			volumes = append(volumes, v.Name+": emptyDir")
		}
	}
	require.Equal(t, []string{
		"config: configmap " + cm.GeneratedName, "config: secret " + secret.GeneratedName,
		"data: claim driftwatch-data", "local: emptyDir", "tmp: emptyDir",
	}, volumes)
	var configMap corev1.ConfigMap
	cm.into(t, &configMap)
	file, err := os.ReadFile(exampleConfig)
	require.NoError(t, err)
	require.Equal(t, string(file), configMap.Data["driftwatch.yaml"], "the ConfigMap carries the configuration file as it is")

	var svc, leaderSvc corev1.Service
	find(t, objs, "Service", "driftwatch").into(t, &svc)
	find(t, objs, "Service", "driftwatch-leader").into(t, &leaderSvc)
	require.Equal(t, map[string]string{"app.kubernetes.io/name": "driftwatch"}, svc.Spec.Selector)
	require.Equal(t, map[string]string{"app.kubernetes.io/name": "driftwatch", leader.RoleLabel: leader.RoleLeader}, leaderSvc.Spec.Selector)
	require.EqualValues(t, 9400, svc.Spec.Ports[0].Port)

	// The RBAC rules, in full: nothing may be added without this test
	// saying so. The Jobs' and serving namespaces get what
	// docs/kubernetes.md#permissions says the executor and the deploy
	// targets use.
	rules := map[string][]string{}
	for _, o := range objs {
		if o.Kind != "Role" {
			continue
		}
		var r rbacv1.Role
		o.into(t, &r)
		for _, rule := range r.Rules {
			s := strings.Join(rule.APIGroups, ",") + " " + strings.Join(rule.Resources, ",") + " " + strings.Join(rule.Verbs, ",")
			if len(rule.ResourceNames) > 0 {
				s += " names=" + strings.Join(rule.ResourceNames, ",")
			}
			rules[r.Namespace+"/"+r.Name] = append(rules[r.Namespace+"/"+r.Name], s)
		}
	}
	wantRules := map[string][]string{
		"driftwatch/driftwatch": {
			"coordination.k8s.io leases create",
			"coordination.k8s.io leases get,update names=driftwatch",
			" pods patch",
			" events create",
		},
		"ml-training/driftwatch-pipelines": {
			"batch jobs get,watch,create,delete",
			" pods list",
			" pods/log get",
		},
		"ml-serving/driftwatch-serving": {
			"apps deployments get,watch,update",
			"serving.kserve.io inferenceservices get,watch,update",
		},
	}
	if diff := cmp.Diff(wantRules, rules); diff != "" {
		t.Errorf("RBAC rules (-want +got):\n%s", diff)
	}
	for _, o := range objs {
		if o.Kind != "RoleBinding" {
			continue
		}
		var rb rbacv1.RoleBinding
		o.into(t, &rb)
		require.Equal(t, []rbacv1.Subject{{Kind: "ServiceAccount", Name: "driftwatch", Namespace: nsDriftwatch}}, rb.Subjects, rb.Name)
	}
}

// object is one object of the built overlay.
type object struct {
	Kind, Namespace, Name string
	// GeneratedName is the name with the hash Kustomize adds to generated
	// ConfigMaps and Secrets; Name is without it.
	GeneratedName string
	raw           map[string]any
}

func (o object) into(t *testing.T, v any) {
	t.Helper()
	data, err := json.Marshal(o.raw)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v))
}

func find(t *testing.T, objs []object, kind, name string) object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s in the build", kind, name)
	return object{}
}

// build runs `kubectl kustomize` on the example overlay.
func build(t *testing.T) []object {
	t.Helper()
	out := kubectl(t, "kustomize", example)
	var objs []object
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var raw map[string]any
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		meta, _ := raw["metadata"].(map[string]any)
		o := object{Kind: raw["kind"].(string), GeneratedName: meta["name"].(string), raw: raw}
		o.Name = o.GeneratedName
		if o.Kind == "ConfigMap" || o.Kind == "Secret" {
			o.Name = o.GeneratedName[:strings.LastIndex(o.GeneratedName, "-")]
		}
		o.Namespace, _ = meta["namespace"].(string)
		objs = append(objs, o)
	}
	return objs
}

// kubectl runs the harness's kubectl, whose Kustomize is the one the
// tests rely on, and returns its standard output; standard error goes to
// the test log.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, err := runKubectl(t, args...)
	require.NoError(t, err, "kubectl %s: %s", strings.Join(args, " "), stderr)
	if stderr != "" {
		t.Logf("kubectl %s: %s", strings.Join(args, " "), stderr)
	}
	return out
}

func runKubectl(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return runKubectlIn(t, "", args...)
}

// kubectlIn is kubectl with stdin as its standard input.
func kubectlIn(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, stderr, err := runKubectlIn(t, stdin, args...)
	require.NoError(t, err, "kubectl %s: %s", strings.Join(args, " "), stderr)
	return out
}

func runKubectlIn(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	bin := testenv.Require(t, testenv.Kubectl)
	if args[0] != "kustomize" {
		args = append([]string{"--kubeconfig", testenv.RequireKubeconfig(t)}, args...)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// decodeFile decodes a YAML manifest of one object.
func decodeFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var raw map[string]any
	require.NoError(t, dec.Decode(&raw))
	js, err := json.Marshal(raw)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(js, v))
}

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o644) }
