package kubernetes_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"

	"github.com/driftwatch/driftwatch/pipelines"
	kube "github.com/driftwatch/driftwatch/pipelines/kubernetes"
)

var crds = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRD installs testdata/inferenceservice-crd.yaml into the harness
// apiserver, once for all tests and test runs, and waits until it is
// established.
func installCRD(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	f, err := os.Open("testdata/inferenceservice-crd.yaml")
	require.NoError(t, err)
	defer f.Close()
	var crd unstructured.Unstructured
	require.NoError(t, yaml.NewYAMLOrJSONDecoder(f, 4096).Decode(&crd.Object))
	_, err = dyn.Resource(crds).Create(context.Background(), &crd, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		got, err := dyn.Resource(crds).Get(context.Background(), crd.GetName(), metav1.GetOptions{})
		if err != nil {
			return false
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			if m := c.(map[string]any); m["type"] == "Established" && m["status"] == "True" {
				return true
			}
		}
		return false
	}, waitBound, 100*time.Millisecond, "the InferenceService CRD is never established")
}

// fakeKServe plays KServe's controller for the InferenceServices of a
// namespace: when one's spec changes it creates a predictor revision and
// reports it ready, with the traffic split of canaryTrafficPercent, unless
// its storageUri names a broken model, which fails to load.
type fakeKServe struct {
	dyn  dynamic.Interface
	ns   string
	mu   sync.Mutex
	seen map[string]int64
}

func startFakeKServe(t *testing.T, dyn dynamic.Interface, ns string) {
	k := &fakeKServe{dyn: dyn, ns: ns, seen: map[string]int64{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			k.reconcile(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (k *fakeKServe) reconcile(ctx context.Context) {
	isvcs := k.dyn.Resource(kube.InferenceServices).Namespace(k.ns)
	list, err := isvcs.List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, isvc := range list.Items {
		observed, _, _ := unstructured.NestedInt64(isvc.Object, "status", "observedGeneration")
		if observed >= isvc.GetGeneration() {
			continue
		}
		k.setStatus(&isvc)
		_, _ = isvcs.UpdateStatus(ctx, &isvc, metav1.UpdateOptions{})
	}
}

func (k *fakeKServe) setStatus(isvc *unstructured.Unstructured) {
	gen := isvc.GetGeneration()
	uri := ""
	for _, key := range []string{"model", "sklearn"} {
		if v, ok, _ := unstructured.NestedString(isvc.Object, "spec", "predictor", key, "storageUri"); ok {
			uri = v
		}
	}
	k.mu.Lock()
	prev := k.seen[isvc.GetName()]
	k.mu.Unlock()
	rev := func(n int64) string { return fmt.Sprintf("%s-predictor-%05d", isvc.GetName(), n) }
	status := map[string]any{"observedGeneration": gen}
	if strings.Contains(uri, "broken") {
		status["conditions"] = []any{map[string]any{"type": "Ready", "status": "False", "reason": "RevisionFailed"}}
		status["modelStatus"] = map[string]any{"transitionStatus": "BlockedByFailedLoad",
			"lastFailureInfo": map[string]any{"reason": "ModelLoadFailed", "message": "cannot read " + uri}}
		status["components"] = map[string]any{"predictor": map[string]any{"latestCreatedRevision": rev(gen), "latestReadyRevision": rev(prev)}}
	} else {
		traffic := []any{map[string]any{"revisionName": rev(gen), "percent": int64(100), "latestRevision": true}}
		if pct, ok, _ := unstructured.NestedInt64(isvc.Object, "spec", "predictor", "canaryTrafficPercent"); ok && prev > 0 {
			traffic = []any{
				map[string]any{"revisionName": rev(prev), "percent": 100 - pct, "tag": "prev", "latestRevision": false},
				map[string]any{"revisionName": rev(gen), "percent": pct, "latestRevision": true},
			}
		} else {
			k.mu.Lock()
			k.seen[isvc.GetName()] = gen
			k.mu.Unlock()
		}
		status["conditions"] = []any{map[string]any{"type": "Ready", "status": "True"}}
		status["modelStatus"] = map[string]any{"transitionStatus": "UpToDate"}
		status["components"] = map[string]any{"predictor": map[string]any{"latestCreatedRevision": rev(gen), "latestReadyRevision": rev(gen), "traffic": traffic}}
	}
	isvc.Object["status"] = status
}

// inferenceService creates an InferenceService with the predictor schema
// of KServe 0.8 and later (predictor.model), or the older one
// (predictor.sklearn).
func inferenceService(t *testing.T, dyn dynamic.Interface, ns, name, mode string, oldSchema bool) {
	t.Helper()
	predictor := map[string]any{"model": map[string]any{"modelFormat": map[string]any{"name": "sklearn"}, "storageUri": "s3://models/churn/v0"}}
	if oldSchema {
		predictor = map[string]any{"sklearn": map[string]any{"storageUri": "s3://models/churn/v0"}}
	}
	isvc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"predictor": predictor},
	}}
	if mode != "" {
		isvc.SetAnnotations(map[string]string{"serving.kserve.io/deploymentMode": mode})
	}
	_, err := dyn.Resource(kube.InferenceServices).Namespace(ns).Create(context.Background(), isvc, metav1.CreateOptions{})
	require.NoError(t, err)
}

func kserveRequest(ns, name, kind, version string, canary int, log *bytes.Buffer) pipelines.DeployRequest {
	target := pipelines.KServeDeploy{Namespace: ns, Name: name, CanaryTrafficPercent: canary}
	target.SetDefaults()
	return pipelines.DeployRequest{
		Name: "run-" + version + "-" + kind + "-1", RunID: "run-" + version, Model: "churn", Pipeline: "churn-retrain", Kind: kind, Attempt: 1,
		Version: pipelines.ModelRef{Version: version, URI: "s3://models/churn/" + version},
		Config:  pipelines.DeployConfig{Target: pipelines.DeployKServe, KServe: target},
		Log:     log,
	}
}

func TestKServeTarget(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	installCRD(t, dyn)
	ns := namespace(t, c)
	startFakeKServe(t, dyn, ns)

	// predictor reads what the test's InferenceService serves: storageUri
	// and canaryTrafficPercent (-1 when unset).
	predictor := func(t *testing.T, name string) (string, int64, map[string]string) {
		isvc, err := dyn.Resource(kube.InferenceServices).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
		require.NoError(t, err)
		uri, _, _ := unstructured.NestedString(isvc.Object, "spec", "predictor", "model", "storageUri")
		if old, ok, _ := unstructured.NestedString(isvc.Object, "spec", "predictor", "sklearn", "storageUri"); ok {
			uri = old
		}
		pct, ok, _ := unstructured.NestedInt64(isvc.Object, "spec", "predictor", "canaryTrafficPercent")
		if !ok {
			pct = -1
		}
		return uri, pct, isvc.GetAnnotations()
	}
	type step struct {
		kind, version string
		canary        int
		wantErr       string
		wantURI       string
		wantCanary    int64
	}
	tests := []struct {
		name      string
		mode      string
		oldSchema bool
		steps     []step
	}{
		{name: "deploy", steps: []step{
			{kind: "deploy", version: "v1", wantURI: "s3://models/churn/v1", wantCanary: -1},
			{kind: "rollback", version: "v0", wantURI: "s3://models/churn/v0", wantCanary: -1},
		}},
		{name: "older predictor schema", oldSchema: true, steps: []step{
			{kind: "deploy", version: "v1", wantURI: "s3://models/churn/v1", wantCanary: -1},
		}},
		{name: "canary promoted", mode: "Serverless", steps: []step{
			{kind: "deploy", version: "v1", canary: 25, wantURI: "s3://models/churn/v1", wantCanary: 25},
			{kind: "promote", version: "v1", canary: 25, wantURI: "s3://models/churn/v1", wantCanary: -1},
		}},
		{name: "canary rolled back", steps: []step{
			{kind: "deploy", version: "v1", canary: 10, wantURI: "s3://models/churn/v1", wantCanary: 10},
			{kind: "rollback", version: "v0", canary: 10, wantURI: "s3://models/churn/v0", wantCanary: -1},
		}},
		{name: "promote refuses what is not the canary", steps: []step{
			{kind: "promote", version: "v1", canary: 10, wantErr: "permanent failure: inferenceservice NS/churn serves \"s3://models/churn/v0\", not version v1 (\"s3://models/churn/v1\"), so there is no canary of it to promote",
				wantURI: "s3://models/churn/v0", wantCanary: -1},
		}},
		{name: "model that does not load is undone", steps: []step{
			{kind: "deploy", version: "v1-broken", canary: 10, wantErr: "inferenceservice NS/churn: the model did not load (BlockedByFailedLoad): ModelLoadFailed cannot read s3://models/churn/v1-broken; undone: s3://models/churn/v0 serves again",
				wantURI: "s3://models/churn/v0", wantCanary: -1},
		}},
		{name: "no canary in raw deployment mode", mode: "RawDeployment", steps: []step{
			{kind: "deploy", version: "v1", canary: 10, wantErr: "permanent failure: KServe rolls out canaries only in Serverless mode, and InferenceService NS/churn is in RawDeployment mode; set deploy.kserve.canary_traffic_percent to 0",
				wantURI: "s3://models/churn/v0", wantCanary: -1},
			{kind: "deploy", version: "v1", wantURI: "s3://models/churn/v1", wantCanary: -1},
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := fmt.Sprintf("churn-%d", i)
			inferenceService(t, dyn, ns, name, tc.mode, tc.oldSchema)
			k, err := kube.NewKServeDeployer(options(t, cfg, nil))
			require.NoError(t, err)
			for _, s := range tc.steps {
				var log bytes.Buffer
				req := kserveRequest(ns, name, s.kind, s.version, s.canary, &log)
				var res pipelines.Deployed
				if s.kind == "promote" {
					res, err = k.Promote(context.Background(), req)
				} else {
					res, err = k.Deploy(context.Background(), req)
				}
				if s.wantErr != "" {
					require.ErrorContains(t, err, strings.ReplaceAll(s.wantErr, "NS/churn", ns+"/"+name))
				} else {
					require.NoError(t, err, log.String())
				}
				uri, pct, anns := predictor(t, name)
				require.Equal(t, s.wantURI, uri, "%s %s", s.kind, s.version)
				require.Equal(t, s.wantCanary, pct, "%s %s", s.kind, s.version)
				if s.wantErr == "" && s.kind != "promote" {
					require.Equal(t, s.version, anns["driftwatch.dev/model-version"])
					require.Equal(t, s.wantURI, anns["driftwatch.dev/model-uri"])
					require.Equal(t, res.Replaced, anns["driftwatch.dev/replaced-model-uri"])
					require.Contains(t, log.String(), "ready")
				}
			}
		})
	}
}
