package deploy_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/driftwatch/driftwatch/internal/leader"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// The tests here apply deploy/ to the harness cluster of
// scripts/kubernetes.sh: a real API server with its admission chain
// (Pod Security included) and the RBAC authorizer. They use the example's
// namespaces, and delete those they created.

// waitBound bounds every wait; nothing is timed by it.
const waitBound = 2 * time.Minute

// prepare installs the ServiceMonitor CRD and creates the example's
// namespaces: driftwatch's own from the overlay, with its Pod Security
// labels, and the Jobs' and serving namespaces, which the platform
// provides. A server-side dry run persists nothing, so objects in a
// namespace that it would create are rejected.
func prepare(t *testing.T) {
	t.Helper()
	testenv.RequireKubeconfig(t)
	kubectl(t, "apply", "--server-side", "-f", "testdata/crds/servicemonitor.yaml")
	kubectl(t, "wait", "--for=condition=Established", "--timeout=2m", "crd/servicemonitors.monitoring.coreos.com")
	for _, ns := range []string{nsDriftwatch, nsTraining, nsServing} {
		// A namespace that an earlier run deleted may still be going.
		kubectl(t, "wait", "--for=delete", "--timeout=2m", "namespace/"+ns)
		if _, _, err := runKubectl(t, "get", "namespace", ns); err == nil {
			continue
		}
		if ns == nsDriftwatch {
			kubectl(t, "apply", "-f", example+"/namespace.yaml")
		} else {
			kubectl(t, "create", "namespace", ns)
		}
		t.Cleanup(func() { _, _, _ = runKubectl(t, "delete", "namespace", ns, "--wait=false") })
	}
}

// TestServerSideDryRun applies the example overlay with
// `kubectl apply --dry-run=server -k`: the API server admits every object
// (schemas, the ServiceMonitor CRD's included, strict field validation,
// RBAC escalation checks), and Pod Security reports no violation of the
// restricted standard by the Deployment's pods.
func TestServerSideDryRun(t *testing.T) {
	prepare(t)
	out, stderr, err := runKubectl(t, "apply", "--dry-run=server", "-k", example)
	require.NoError(t, err, "%s%s", out, stderr)
	require.NotContains(t, stderr, "Warning", "no warnings, Pod Security's included")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(build(t)), out)
	for _, l := range lines {
		require.True(t, strings.HasSuffix(l, "(server dry run)"), l)
	}
}

// TestRBACIsEnoughAndNoMore applies the example's service account and
// RBAC for real and asks the API server's authorizer what driftwatch's
// service account may do; then it runs a leader Elector as that account,
// which takes the Lease, labels its pod and records its events.
func TestRBACIsEnoughAndNoMore(t *testing.T) {
	prepare(t)
	var rbac []string
	for _, o := range build(t) {
		switch o.Kind {
		case "ServiceAccount", "Role", "RoleBinding":
			rbac = append(rbac, o.Kind+"/"+o.Name)
		}
	}
	require.Len(t, rbac, 7)
	out := kubectl(t, "kustomize", example)
	applyFiltered(t, out, "ServiceAccount", "Role", "RoleBinding")
	sa := "system:serviceaccount:" + nsDriftwatch + ":driftwatch"
	tests := []struct {
		ns, verb, group, resource, name string
		want                            bool
	}{
		{nsDriftwatch, "create", "coordination.k8s.io", "leases", "", true},
		{nsDriftwatch, "update", "coordination.k8s.io", "leases", "driftwatch", true},
		{nsDriftwatch, "update", "coordination.k8s.io", "leases", "someone-elses", false},
		{nsDriftwatch, "delete", "coordination.k8s.io", "leases", "driftwatch", false},
		{nsDriftwatch, "patch", "", "pods", "", true},
		{nsDriftwatch, "delete", "", "pods", "", false},
		{nsDriftwatch, "create", "", "events", "", true},
		{nsDriftwatch, "get", "", "secrets", "", false},
		{nsDriftwatch, "create", "batch", "jobs", "", false},
		{nsTraining, "create", "batch", "jobs", "", true},
		{nsTraining, "delete", "batch", "jobs", "", true},
		{nsTraining, "watch", "batch", "jobs", "", true},
		{nsTraining, "list", "", "pods", "", true},
		{nsTraining, "get", "", "pods/log", "", true},
		{nsTraining, "create", "", "pods", "", false},
		{nsTraining, "create", "", "secrets", "", false},
		{nsTraining, "update", "apps", "deployments", "", false},
		{nsServing, "update", "apps", "deployments", "", true},
		{nsServing, "watch", "apps", "deployments", "", true},
		{nsServing, "update", "serving.kserve.io", "inferenceservices", "", true},
		{nsServing, "delete", "apps", "deployments", "", false},
		{nsServing, "create", "batch", "jobs", "", false},
		{"default", "get", "", "pods", "", false},
	}
	for _, tc := range tests {
		resource, sub, _ := strings.Cut(tc.resource, "/")
		review := fmt.Sprintf(`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{
			"user":%q,"groups":["system:serviceaccounts","system:serviceaccounts:%s","system:authenticated"],
			"resourceAttributes":{"namespace":%q,"verb":%q,"group":%q,"resource":%q,"subresource":%q,"name":%q}}}`,
			sa, nsDriftwatch, tc.ns, tc.verb, tc.group, resource, sub, tc.name)
		got := kubectlIn(t, review, "create", "-f", "-", "-o", "jsonpath={.status.allowed}")
		require.Equal(t, tc.want, got == "true", "%s may %s %s.%s %s in %s", sa, tc.verb, tc.resource, tc.group, tc.name, tc.ns)
	}

	pod := "driftwatch-rbac-test"
	kubectl(t, "run", pod, "-n", nsDriftwatch, "--image", image, "--restart=Never", "--labels", leader.RoleLabel+"="+leader.RoleStandby,
		"--overrides", `{"spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":65532,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"`+pod+`","image":"`+image+`","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}`)
	t.Cleanup(func() { _, _, _ = runKubectl(t, "delete", "pod", pod, "-n", nsDriftwatch, "--wait=false") })
	rc, err := clientcmd.BuildConfigFromFlags("", testenv.RequireKubeconfig(t))
	require.NoError(t, err)
	rc.Impersonate.UserName = sa
	var lc leader.Config
	lc.SetDefaults()
	lc.Enabled, lc.Namespace, lc.RetryPeriod = true, nsDriftwatch, 250*time.Millisecond
	e, err := leader.New(leader.Options{Config: lc, PodName: pod, REST: rc, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	led := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- e.Run(ctx, func(ctx context.Context) {
			close(led)
			<-ctx.Done()
		})
	}()
	select {
	case <-led:
	case <-time.After(waitBound):
		t.Fatal("driftwatch's service account could not take the Lease")
	}
	require.Eventually(t, func() bool {
		return kubectl(t, "get", "pod", pod, "-n", nsDriftwatch, "-o", "jsonpath={.metadata.labels.driftwatch\\.dev/role}") == leader.RoleLeader
	}, waitBound, 50*time.Millisecond, "it labels its pod")
	require.Eventually(t, func() bool {
		return strings.Contains(kubectl(t, "get", "events", "-n", nsDriftwatch, "--field-selector", "involvedObject.kind=Lease", "-o", "jsonpath={.items[*].message}"), pod+" became leader")
	}, waitBound, 50*time.Millisecond, "it records its election")
	cancel()
	require.NoError(t, <-done)
	require.Empty(t, kubectl(t, "get", "lease", "driftwatch", "-n", nsDriftwatch, "-o", "jsonpath={.spec.holderIdentity}"), "it released the Lease")
	kubectl(t, "delete", "lease", "driftwatch", "-n", nsDriftwatch)
}

// applyFiltered applies, for real, the objects of the given kinds from a
// multi-document manifest.
func applyFiltered(t *testing.T, manifest string, kinds ...string) {
	t.Helper()
	var keep []string
	for _, doc := range strings.Split(manifest, "\n---\n") {
		for _, k := range kinds {
			if strings.Contains("\n"+doc, "\nkind: "+k+"\n") {
				keep = append(keep, doc)
			}
		}
	}
	f := t.TempDir() + "/rbac.yaml"
	require.NoError(t, writeFile(f, strings.Join(keep, "\n---\n")))
	kubectl(t, "apply", "-f", f)
}
