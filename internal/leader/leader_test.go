package leader_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/driftwatch/driftwatch/internal/leader"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// The tests here run against the harness cluster of scripts/kubernetes.sh,
// each in a namespace of its own. Bounds on waits only keep a broken test
// from hanging; nothing is timed.
const waitBound = 2 * time.Minute

// quick are election timings for tests: a standby that finds the Lease
// released takes it within a retry period.
func quick(ns string) leader.Config {
	return leader.Config{
		Enabled: true, Namespace: ns, LeaseName: "driftwatch",
		LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 250 * time.Millisecond,
	}
}

func cluster(t *testing.T) (*rest.Config, kubernetes.Interface) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", testenv.RequireKubeconfig(t))
	require.NoError(t, err)
	c, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	return cfg, c
}

// namespace creates a namespace for the test, deleted when it ends.
func namespace(t *testing.T, c kubernetes.Interface) string {
	t.Helper()
	name := fmt.Sprintf("dw-leader-%.30s-%06d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), rand.IntN(1_000_000))
	_, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return name
}

// leaders counts the candidates that lead at once, and remembers the
// most that ever did.
type leaders struct {
	now, most atomic.Int32
}

func (l *leaders) enter() {
	n := l.now.Add(1)
	for {
		m := l.most.Load()
		if n <= m || l.most.CompareAndSwap(m, n) {
			return
		}
	}
}

func (l *leaders) leave() { l.now.Add(-1) }

// candidate is one Elector running in the background.
type candidate struct {
	e      *leader.Elector
	terms  atomic.Int32
	stop   context.CancelFunc
	done   chan struct{}
	windUp chan struct{} // when not nil, a term waits for it after ctx ends
	// windingDown is closed when the first term's context ends, and
	// ended when its lead returns.
	windingDown, ended chan struct{}
	once1, once2       sync.Once
}

func start(t *testing.T, rc *rest.Config, cfg leader.Config, id, pod string, l *leaders, windUp chan struct{}) *candidate {
	t.Helper()
	e, err := leader.New(leader.Options{
		Config: cfg, Identity: id, PodName: pod, REST: rc,
		Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{e: e, stop: cancel, done: make(chan struct{}), windUp: windUp, windingDown: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(c.done)
		err := e.Run(ctx, func(ctx context.Context) {
			l.enter()
			c.terms.Add(1)
			<-ctx.Done()
			c.once1.Do(func() { close(c.windingDown) })
			if c.windUp != nil {
				<-c.windUp
			}
			l.leave()
			c.once2.Do(func() { close(c.ended) })
		})
		if err != nil {
			t.Errorf("%s: Run: %v", id, err)
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *candidate) close() {
	c.stop()
	<-c.done
}

func holder(t *testing.T, c kubernetes.Interface, ns string) string {
	t.Helper()
	l, err := c.CoordinationV1().Leases(ns).Get(context.Background(), "driftwatch", metav1.GetOptions{})
	require.NoError(t, err)
	return ptr.Deref(l.Spec.HolderIdentity, "")
}

func renewed(t *testing.T, c kubernetes.Interface, ns string) time.Time {
	t.Helper()
	l, err := c.CoordinationV1().Leases(ns).Get(context.Background(), "driftwatch", metav1.GetOptions{})
	require.NoError(t, err)
	return l.Spec.RenewTime.Time
}

func role(t *testing.T, c kubernetes.Interface, ns, pod string) string {
	t.Helper()
	p, err := c.CoreV1().Pods(ns).Get(context.Background(), pod, metav1.GetOptions{})
	require.NoError(t, err)
	return p.Labels[leader.RoleLabel]
}

// pod creates a pod for a candidate to label. Where it runs does not
// matter: only its labels are looked at.
func pod(t *testing.T, c kubernetes.Interface, ns, name string) {
	t.Helper()
	_, err := c.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{leader.RoleLabel: leader.RoleLeader}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "driftwatch", Image: "ghcr.io/driftwatch/driftwatch:test"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// TestOneLeaderAndHandover starts two candidates: exactly one leads and
// labels its pod; when it stops, it keeps the Lease until its term has
// wound down, then releases it, and the other takes over well within the
// lease duration.
func TestOneLeaderAndHandover(t *testing.T) {
	rc, c := cluster(t)
	ns := namespace(t, c)
	pod(t, c, ns, "driftwatch-a")
	pod(t, c, ns, "driftwatch-b")
	cfg := quick(ns)
	var l leaders
	windUp := make(chan struct{})
	a := start(t, rc, cfg, "driftwatch-a", "driftwatch-a", &l, windUp)
	require.Eventually(t, a.e.Leading, waitBound, 10*time.Millisecond, "the first candidate leads")
	b := start(t, rc, cfg, "driftwatch-b", "driftwatch-b", &l, nil)
	require.Eventually(t, func() bool { return b.e.Leader() == "driftwatch-a" }, waitBound, 10*time.Millisecond, "the second sees the first lead")
	require.Eventually(t, func() bool {
		return role(t, c, ns, "driftwatch-a") == leader.RoleLeader && role(t, c, ns, "driftwatch-b") == leader.RoleStandby
	}, waitBound, 20*time.Millisecond, "the pods are labelled by role; b's stale leader label is replaced")
	require.False(t, b.e.Leading())
	require.Equal(t, "driftwatch-a", holder(t, c, ns))

	// a stops, but its term has not wound down: it keeps renewing the
	// Lease, and b keeps waiting.
	go a.stop()
	<-a.windingDown
	before := renewed(t, c, ns)
	require.Eventually(t, func() bool { return renewed(t, c, ns).After(before) }, waitBound, 10*time.Millisecond,
		"the Lease is renewed while the term winds down")
	require.Equal(t, "driftwatch-a", holder(t, c, ns))
	require.False(t, b.e.Leading())
	close(windUp)
	<-a.done
	require.Eventually(t, b.e.Leading, cfg.LeaseDuration, 10*time.Millisecond, "the standby takes over within the lease duration")
	require.Equal(t, "driftwatch-b", holder(t, c, ns))
	require.Eventually(t, func() bool {
		return role(t, c, ns, "driftwatch-a") == leader.RoleStandby && role(t, c, ns, "driftwatch-b") == leader.RoleLeader
	}, waitBound, 20*time.Millisecond)
	require.EqualValues(t, 1, l.most.Load(), "never two leaders at once")
	require.EqualValues(t, 1, a.terms.Load())
	require.EqualValues(t, 1, b.terms.Load())

	lease, err := c.CoordinationV1().Leases(ns).Get(context.Background(), "driftwatch", metav1.GetOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 1, ptr.Deref(lease.Spec.LeaseTransitions, 0), "one hand-over")
	require.Eventually(t, func() bool {
		events, err := c.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.kind=Lease,involvedObject.name=driftwatch"})
		require.NoError(t, err)
		var msgs []string
		for _, e := range events.Items {
			msgs = append(msgs, e.Message)
		}
		s := strings.Join(msgs, "\n")
		return strings.Contains(s, "driftwatch-a became leader") && strings.Contains(s, "driftwatch-b became leader")
	}, waitBound, 50*time.Millisecond, "the elections are recorded as events on the Lease")
}

// TestExpiredLeaseIsTakenOver: a leader that died without releasing the
// Lease leaves it to expire, and a candidate then takes it.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	rc, c := cluster(t)
	ns := namespace(t, c)
	now := metav1.NewMicroTime(time.Now())
	_, err := c.CoordinationV1().Leases(ns).Create(context.Background(), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "driftwatch"},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: ptr.To("crashed"), LeaseDurationSeconds: ptr.To[int32](2),
			AcquireTime: &now, RenewTime: &now, LeaseTransitions: ptr.To[int32](3),
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	var l leaders
	a := start(t, rc, quick(ns), "driftwatch-a", "", &l, nil)
	require.Eventually(t, func() bool { return a.e.Leader() == "crashed" }, waitBound, 10*time.Millisecond, "the crashed leader is seen first")
	require.Eventually(t, a.e.Leading, waitBound, 10*time.Millisecond)
	require.Equal(t, "driftwatch-a", holder(t, c, ns))
}

// TestLostLeaseEndsTheTerm: when another holder takes the Lease (as after
// a partition from the API server), the leader's term ends within the
// renew deadline, and it campaigns again and leads once the Lease is free.
func TestLostLeaseEndsTheTerm(t *testing.T) {
	rc, c := cluster(t)
	ns := namespace(t, c)
	cfg := quick(ns)
	cfg.LeaseDuration, cfg.RenewDeadline = 4*time.Second, 2*time.Second
	var l leaders
	a := start(t, rc, cfg, "driftwatch-a", "", &l, nil)
	require.Eventually(t, a.e.Leading, waitBound, 10*time.Millisecond)

	leases := c.CoordinationV1().Leases(ns)
	require.Eventually(t, func() bool {
		lease, err := leases.Get(context.Background(), "driftwatch", metav1.GetOptions{})
		require.NoError(t, err)
		now := metav1.NewMicroTime(time.Now())
		lease.Spec.HolderIdentity, lease.Spec.RenewTime, lease.Spec.LeaseDurationSeconds = ptr.To("usurper"), &now, ptr.To[int32](3)
		_, err = leases.Update(context.Background(), lease, metav1.UpdateOptions{})
		return err == nil // a conflict with a renewal: read again
	}, waitBound, 10*time.Millisecond)
	select {
	case <-a.ended:
	case <-time.After(waitBound):
		t.Fatal("the term did not end after the Lease was lost")
	}
	require.Eventually(t, func() bool { return a.terms.Load() == 2 && a.e.Leading() }, waitBound, 10*time.Millisecond,
		"the candidate leads again once the usurper's Lease expires")
	require.EqualValues(t, 1, l.most.Load())
}

// testLog sends the Elector's log to the test's log.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
