package leader

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// RoleLabel is the pod label that tells the leader from the standbys; a
// Service that selects RoleLabel=RoleLeader reaches the leader only.
const (
	RoleLabel   = "driftwatch.dev/role"
	RoleLeader  = "leader"
	RoleStandby = "standby"
)

// backgroundTimeout bounds the labels and events sent in the background.
const backgroundTimeout = 10 * time.Second

// kube is what the Elector does in the cluster besides client-go's
// election: the Lease lock, releasing it, labelling the pod and recording
// events.
type kube struct {
	lock     *resourcelock.LeaseLock
	core     coreclient.CoreV1Interface
	identity string
	pod, ns  string // the pod to label; pod is empty when unknown
	log      *slog.Logger

	// labels are applied in order, one at a time, in the background, so
	// that a slow API server never holds up a term.
	mu      sync.Mutex
	pending string
	busy    bool
	bg      sync.WaitGroup
}

func newKube(opts Options, id string, log *slog.Logger) (*kube, error) {
	rc, ns := opts.REST, opts.Config.Namespace
	if ns == "" {
		ns = opts.PodNamespace
	}
	if rc == nil || ns == "" {
		cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{})
		if rc == nil {
			var err error
			if rc, err = cc.ClientConfig(); err != nil {
				return nil, fmt.Errorf("no cluster credentials (no usable $KUBECONFIG or ~/.kube/config, and not in a pod): %w", err)
			}
		}
		if ns == "" {
			var err error
			if ns, _, err = cc.Namespace(); err != nil || ns == "" {
				return nil, fmt.Errorf("no namespace for the lease: set leader_election.namespace or $POD_NAMESPACE (%v)", err)
			}
		}
	}
	// As client-go's NewFromKubeconfig does: one hung request must not
	// outlast the renew deadline.
	rc = rest.CopyConfig(rc)
	rc.Timeout = max(time.Second, opts.Config.RenewDeadline/2)
	rc = rest.AddUserAgent(rc, "driftwatch-leader-election")
	coord, err := coordinationclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("building the client: %w", err)
	}
	core, err := coreclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("building the client: %w", err)
	}
	k := &kube{core: core, identity: id, pod: opts.PodName, ns: opts.PodNamespace, log: log}
	if k.ns == "" {
		k.ns = ns
	}
	k.lock = &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: ns, Name: opts.Config.LeaseName},
		Client:     coord,
		LockConfig: resourcelock.ResourceLockConfig{Identity: id, EventRecorder: k},
	}
	return k, nil
}

// release empties the Lease if id still holds it and reports whether it
// did. The update carries the resourceVersion just read, so it fails
// rather than undo another candidate's acquisition.
func (k *kube) release(ctx context.Context) (bool, error) {
	rec, _, err := k.lock.Get(ctx)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if rec.HolderIdentity != k.identity {
		return false, nil
	}
	now := metav1.NewTime(time.Now())
	return true, k.lock.Update(ctx, resourcelock.LeaderElectionRecord{
		LeaderTransitions: rec.LeaderTransitions, LeaseDurationSeconds: 1, RenewTime: now, AcquireTime: now,
	})
}

// label sets the pod's role label in the background; the last role asked
// for wins. Failures are logged: the standbys' 503 answers still send
// clients to the leader.
func (k *kube) label(role string) {
	if k.pod == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending = role
	if k.busy {
		return
	}
	k.busy = true
	k.bg.Go(k.applyLabels)
}

func (k *kube) applyLabels() {
	for {
		k.mu.Lock()
		role := k.pending
		if role == "" {
			k.busy = false
			k.mu.Unlock()
			return
		}
		k.pending = ""
		k.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
		patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, RoleLabel, role)
		_, err := k.core.Pods(k.ns).Patch(ctx, k.pod, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "driftwatch"})
		cancel()
		if err != nil {
			k.log.Warn("could not label the pod", "pod", k.ns+"/"+k.pod, "role", role, "err", err)
			continue
		}
		k.log.Debug("labelled the pod", "pod", k.ns+"/"+k.pod, "role", role)
	}
}

// Eventf records client-go's election events ("became leader", "stopped
// leading") as Events on the Lease, in the background. It implements
// resourcelock.EventRecorder.
func (k *kube) Eventf(obj runtime.Object, eventType, reason, message string, args ...any) {
	lease, ok := obj.(*coordinationv1.Lease)
	if !ok {
		return
	}
	if len(args) > 0 {
		message = fmt.Sprintf(message, args...)
	}
	now := metav1.NewTime(time.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: lease.Name + "-", Namespace: lease.Namespace},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: coordinationv1.SchemeGroupVersion.String(), Kind: "Lease",
			Namespace: lease.Namespace, Name: lease.Name, UID: lease.UID, ResourceVersion: lease.ResourceVersion,
		},
		Reason: reason, Message: message, Type: eventType, Count: 1,
		FirstTimestamp: now, LastTimestamp: now,
		Source:              corev1.EventSource{Component: "driftwatch"},
		ReportingController: "driftwatch.dev/leader-election", ReportingInstance: k.identity,
	}
	k.bg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
		defer cancel()
		if _, err := k.core.Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
			k.log.Debug("could not record an event", "reason", reason, "message", message, "err", err)
		}
	})
}

// wait waits for the labels and events sent in the background.
func (k *kube) wait() { k.bg.Wait() }

var _ resourcelock.EventRecorder = (*kube)(nil)
