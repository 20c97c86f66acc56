package leader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
)

// Options configure New. Config must be enabled and valid.
type Options struct {
	Config Config
	// Identity names this candidate in the Lease and must differ between
	// candidates. Empty means PodName, or else the host name with a random
	// suffix.
	Identity string
	// PodName and PodNamespace name the pod this candidate runs in. With a
	// PodName, the Elector labels the pod RoleLabel=RoleLeader while it
	// leads and RoleStandby otherwise. PodNamespace also names the Lease's
	// namespace when Config.Namespace is empty.
	PodName, PodNamespace string
	// REST reaches the cluster. Nil finds it the way kubectl does, as
	// pipelines/kubernetes.LoadConfig does: the files in $KUBECONFIG, else
	// ~/.kube/config, else inside a pod its service account.
	REST   *rest.Config
	Logger *slog.Logger
}

// Elector campaigns for the Lease and runs the caller's lead function
// while it holds it. Build it with New and call Run once.
type Elector struct {
	cfg      Config
	identity string
	log      *slog.Logger
	kube     *kube

	ran     atomic.Bool
	leading atomic.Bool
	holder  atomic.Pointer[string]
}

// New checks the options and builds the clients. It does not contact the
// cluster.
func New(opts Options) (*Elector, error) {
	if opts.Logger == nil {
		return nil, errors.New("leader: Options.Logger is required")
	}
	if !opts.Config.Enabled {
		return nil, errors.New("leader: leader election is not enabled")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("leader: %w", err)
	}
	id := opts.Identity
	if id == "" {
		id = opts.PodName
	}
	if id == "" {
		var err error
		if id, err = randomIdentity(); err != nil {
			return nil, fmt.Errorf("leader: %w", err)
		}
	}
	e := &Elector{cfg: opts.Config, identity: id}
	e.log = opts.Logger.With("component", "leader-election", "identity", id)
	var err error
	if e.kube, err = newKube(opts, id, e.log); err != nil {
		return nil, fmt.Errorf("leader: %w", err)
	}
	return e, nil
}

// randomIdentity is the host name, which is the pod's name inside a pod,
// with a random suffix, so that two processes on one host never share an
// identity (and so both lead).
func randomIdentity() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("no identity: %w", err)
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("no identity: %w", err)
	}
	return host + "_" + hex.EncodeToString(b), nil
}

// Identity returns this candidate's name in the Lease.
func (e *Elector) Identity() string { return e.identity }

// Lease returns the namespace/name of the Lease.
func (e *Elector) Lease() string { return e.kube.lock.Describe() }

// Leading reports whether lead is running: this candidate holds the
// Lease, or is winding its term down.
func (e *Elector) Leading() bool { return e.leading.Load() }

// Leader returns the identity of the holder of the Lease as last seen,
// or "" when none has been seen. It is for messages, not decisions.
func (e *Elector) Leader() string {
	if h := e.holder.Load(); h != nil {
		return *h
	}
	return ""
}

// Run campaigns until ctx ends. Each time it wins, it calls lead with a
// context that ends when this candidate stops leading, because ctx ended
// or a renewal failed for RenewDeadline, and waits for lead to return
// before it gives the Lease up. After a lost term it campaigns again. It
// returns nil when ctx ends, and an error only when the election cannot
// be set up. Run may be called once.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	if !e.ran.CompareAndSwap(false, true) {
		return errors.New("leader: Run was already called")
	}
	defer e.kube.wait()
	// A pod that restarted may still carry the leader label of its
	// previous life.
	e.kube.label(RoleStandby)
	for ctx.Err() == nil {
		if err := e.term(ctx, lead); err != nil {
			return err
		}
	}
	return nil
}

// term campaigns once: it waits until it holds the Lease or ctx ends,
// runs lead while it holds it, and gives it up after lead returns.
//
// client-go's elector runs under a context of its own, ended only after
// lead has returned: when ctx ends, the Lease is renewed while lead winds
// down and then released, so that no other replica leads before this one
// has closed the store. client-go's own ReleaseOnCancel would release it
// before lead returns.
func (e *Elector) term(ctx context.Context, lead func(ctx context.Context)) error {
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	won := make(chan context.Context, 1)
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:          e.kube.lock,
		LeaseDuration: e.cfg.LeaseDuration,
		RenewDeadline: e.cfg.RenewDeadline,
		RetryPeriod:   e.cfg.RetryPeriod,
		Name:          e.cfg.LeaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) { won <- lctx },
			OnStoppedLeading: func() {},
			OnNewLeader:      e.observe,
		},
	})
	if err != nil {
		return fmt.Errorf("leader: %w", err)
	}
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		le.Run(runCtx)
	}()
	e.log.Info("campaigning for the lease", "lease", e.Lease())
	select {
	case lctx := <-won:
		e.lead(ctx, lctx, lead)
	case <-ctx.Done():
	}
	stopRun()
	<-ran
	e.release()
	return nil
}

// lead runs one term of lead, under a context that ends when ctx ends or
// the leadership (lctx) does.
func (e *Elector) lead(ctx, lctx context.Context, lead func(ctx context.Context)) {
	tctx, cancel := context.WithCancel(lctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	e.leading.Store(true)
	e.log.Info("leading", "lease", e.Lease())
	e.kube.label(RoleLeader)
	start := time.Now()
	lead(tctx)
	e.leading.Store(false)
	e.kube.label(RoleStandby)
	if ctx.Err() == nil {
		e.log.Warn("lost the lease; campaigning again", "lease", e.Lease(), "led_for", time.Since(start).Round(time.Millisecond))
		return
	}
	e.log.Info("stopped leading", "lease", e.Lease(), "led_for", time.Since(start).Round(time.Millisecond))
}

// observe records a new holder of the Lease.
func (e *Elector) observe(id string) {
	e.holder.Store(&id)
	if id != "" && id != e.identity {
		e.log.Info("another replica leads", "leader", id)
	}
}

// release gives the Lease up if this candidate still holds it, as
// client-go's ReleaseOnCancel does: an empty holder with a one-second
// duration, which a standby takes at its next try.
func (e *Elector) release() {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
	defer cancel()
	released, err := e.kube.release(ctx)
	switch {
	case err != nil:
		e.log.Warn("could not release the lease; it expires by itself", "lease", e.Lease(), "err", err)
	case released:
		e.log.Info("released the lease", "lease", e.Lease())
	}
}
