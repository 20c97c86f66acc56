package kubernetes

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/driftwatch/driftwatch/pipelines"
)

func TestRolloutStatus(t *testing.T) {
	dep := func(gen, observed int64, s appsv1.DeploymentStatus, conds ...appsv1.DeploymentCondition) *appsv1.Deployment {
		s.ObservedGeneration, s.Conditions = observed, conds
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "srv", Namespace: "serving", Generation: gen},
			Spec:       appsv1.DeploymentSpec{Replicas: ptr[int32](3), ProgressDeadlineSeconds: ptr[int32](120)},
			Status:     s,
		}
	}
	tests := []struct {
		name    string
		d       *appsv1.Deployment
		done    bool
		msg     string
		wantErr string
	}{
		{name: "not observed", d: dep(2, 1, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}),
			msg: "waiting for the deployment controller to see the change"},
		{name: "updating", d: dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, AvailableReplicas: 3}), msg: "1 of 3 new replicas updated"},
		{name: "old replicas", d: dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 3, AvailableReplicas: 3}), msg: "1 old replicas pending termination"},
		{name: "not available", d: dep(2, 2, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 2}), msg: "2 of 3 updated replicas available"},
		{name: "done", d: dep(2, 2, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), done: true,
			msg: "rolled out: 3 of 3 replicas updated and available"},
		{name: "deadline exceeded", d: dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, AvailableReplicas: 3},
			appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: "False", Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "srv-1" has timed out progressing.`}),
			wantErr: `deployment serving/srv exceeded its progress deadline of 2m0s: ReplicaSet "srv-1" has timed out progressing.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done, msg, err := rolloutStatus(tc.d)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.done, done)
			require.Equal(t, tc.msg, msg)
		})
	}
}

func TestReadiness(t *testing.T) {
	isvc := func(gen int64, status map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "churn", "namespace": "serving", "generation": gen}, "status": status}}
		return u
	}
	ready := []any{map[string]any{"type": "Ready", "status": "True"}}
	tests := []struct {
		name    string
		u       *unstructured.Unstructured
		done    bool
		msg     string
		wantErr string
	}{
		{name: "not observed", u: isvc(3, map[string]any{"observedGeneration": int64(2), "conditions": ready}), msg: "waiting for KServe to see the change"},
		{name: "not ready", u: isvc(3, map[string]any{"observedGeneration": int64(3), "conditions": []any{map[string]any{"type": "Ready", "status": "Unknown", "reason": "RevisionMissing"}}}),
			msg: "not ready yet: RevisionMissing"},
		{name: "revision not ready", u: isvc(3, map[string]any{"observedGeneration": int64(3), "conditions": ready,
			"components": map[string]any{"predictor": map[string]any{"latestCreatedRevision": "churn-predictor-00003", "latestReadyRevision": "churn-predictor-00002"}}}),
			msg: "waiting for predictor revision churn-predictor-00003 to be ready"},
		{name: "ready with a canary", u: isvc(3, map[string]any{"observedGeneration": int64(3), "conditions": ready,
			"components": map[string]any{"predictor": map[string]any{"latestCreatedRevision": "r3", "latestReadyRevision": "r3", "traffic": []any{
				map[string]any{"revisionName": "r2", "percent": int64(90)}, map[string]any{"revisionName": "r3", "percent": int64(10)}}}}}),
			done: true, msg: "ready; traffic: r2 90%, r3 10%"},
		{name: "failed to load", u: isvc(3, map[string]any{"observedGeneration": int64(3), "modelStatus": map[string]any{"transitionStatus": "BlockedByFailedLoad",
			"lastFailureInfo": map[string]any{"reason": "ModelLoadFailed", "message": "no such key"}}}),
			wantErr: "inferenceservice serving/churn: the model did not load (BlockedByFailedLoad): ModelLoadFailed no such key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done, msg, err := readiness(tc.u)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.done, done)
			require.Equal(t, tc.msg, msg)
		})
	}
}

func TestRecordDeploy(t *testing.T) {
	req := pipelines.DeployRequest{Name: "r2-deploy-1", Version: pipelines.ModelRef{Version: "v2", URI: "s3://m/v2"}, Log: &bytes.Buffer{}}
	// A version driftwatch deployed is named as replaced.
	anns, res := recordDeploy(map[string]string{annotationVersion: "v1", annotationURI: "s3://m/v1"}, req, "s3://m/v1")
	require.Equal(t, pipelines.Deployed{Replaced: "s3://m/v1", ReplacedVersion: "v1"}, res)
	require.Equal(t, map[string]string{
		annotationVersion: "v2", annotationURI: "s3://m/v2", annotationReplacedVersion: "v1", annotationReplacedURI: "s3://m/v1", annotationDeploy: "r2-deploy-1",
	}, anns)
	// The same deploy again (after a restart) still knows what it replaced.
	_, again := recordDeploy(anns, req, "s3://m/v2")
	require.Equal(t, res, again)
	// What someone else changed by hand has no version.
	_, res = recordDeploy(map[string]string{annotationVersion: "v1", annotationURI: "s3://m/v1"}, req, "s3://m/hotfix")
	require.Equal(t, pipelines.Deployed{Replaced: "s3://m/hotfix"}, res)
	// Deploying what serves replaces nothing.
	_, res = recordDeploy(nil, req, "s3://m/v2")
	require.Equal(t, pipelines.Deployed{}, res)
}
