package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/internal/leader"
	"github.com/driftwatch/driftwatch/pipelines/kubernetes"
	"github.com/driftwatch/driftwatch/store"
	"github.com/driftwatch/driftwatch/triggers/webhook"
)

// An app has two halves. The monitor half (the models' sources and
// monitors, /metrics and the probes) runs on every replica: Kafka's
// consumer groups split the partitions between them. The control half
// (the durable store, the trigger engine and its schedules, the embedded
// evaluator or the Alertmanager silences, the pipeline runner, the
// webhook and the API) must run on one replica at a time, since the store
// is a single file that one process holds.
//
// Without leader election, New builds both halves and Start runs them.
// With it, Start runs the monitor half and campaigns for the Lease; each
// time this replica wins, lead opens a term: a second App that shares the
// monitor half and builds the control half with the same newTriggers and
// newPipelines a single replica uses, on a registry it can take back and a
// mux of its own that the gate serves. When the term ends, lead stops the
// control half and closes the store before the Elector gives up the Lease.

// routes is where the control half mounts its webhook and API: the
// server, or a term's mux behind the gate.
type routes interface {
	Handle(pattern string, h http.Handler)
}

// newLeading registers the gauge that tells whether this replica runs the
// control half.
func newLeading(reg prometheus.Registerer) (prometheus.Gauge, error) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "driftwatch_leader_is_leader",
		Help: "1 while this replica runs the control half (the store, triggers, pipelines, webhook and API): always without leader election, while it leads with it; 0 otherwise.",
	})
	if err := reg.Register(g); err != nil {
		return nil, err
	}
	return g, nil
}

// newElection builds the Elector and mounts the gate in front of the
// webhook and the API, for an app with leader election.
func (a *App) newElection() error {
	cfg := a.opts.Config
	kubernetes.RouteClientLogs(a.log)
	e, err := leader.New(leader.Options{
		Config: cfg.LeaderElection, PodName: a.opts.PodName, PodNamespace: a.opts.PodNamespace, Logger: a.log,
	})
	if err != nil {
		return err
	}
	a.elector = e
	other := func() string {
		if l := e.Leader(); l != e.Identity() {
			return l
		}
		return ""
	}
	a.gate = &gate{leader: other, retryAfter: strconv.Itoa(int(math.Ceil(max(time.Second, cfg.LeaderElection.RetryPeriod).Seconds())))}
	a.server.Handle(webhook.AlertmanagerPath, a.gate)
	a.server.Handle("/api/", a.gate)
	a.champions = newChampions(cfg.Storage.Dir, a.log.With("component", "champions"))
	return nil
}

// startElection campaigns until Stop, and follows the champions the
// leader publishes.
func (a *App) startElection() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.elector.Run(ctx, a.lead); err != nil {
			a.fail(fmt.Errorf("app: leader election: %w", err))
		}
	})
	wg.Go(func() { a.champions.follow(ctx, a.opts.Config.LeaderElection.RetryPeriod, a.switchModel) })
	a.cleanups.push("leader election", func(stopCtx context.Context) error {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return fmt.Errorf("still leading: %w", stopCtx.Err())
		}
	})
}

// lead runs the control half for one term, until ctx ends.
func (a *App) lead(ctx context.Context) {
	t, err := a.openTerm(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.fail(fmt.Errorf("app: leading: %w", err))
		}
		return
	}
	t.startTriggers()
	t.startPipelines()
	a.term.Store(t)
	a.gate.open(t.routes.(*http.ServeMux))
	a.leading.Set(1)
	a.log.Info("leading: running the trigger engine, the pipelines, the webhook and the API", "lease", a.elector.Lease())
	<-ctx.Done()
	a.leading.Set(0)
	a.gate.close()
	a.term.Store(nil)
	stopCtx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownTimeout)
	defer cancel()
	if err := t.cleanups.run(stopCtx, a.log); err != nil {
		a.log.Error("the control half did not stop cleanly", "err", err)
	}
	t.opts.Registry.(*termRegistry).unregister()
	a.log.Info("the control half stopped and the store is closed")
}

// openTerm builds the control half of a term. It waits for the store,
// which the previous leader may still hold while it winds down: bbolt's
// file lock is the fence behind the Lease.
func (a *App) openTerm(ctx context.Context) (*App, error) {
	reg := &termRegistry{Registry: a.opts.Registry}
	opts := a.opts
	opts.Registry = reg
	mux := http.NewServeMux()
	t := &App{opts: opts, log: a.log, store: a.store, models: a.models, routes: mux, publish: a.champions}
	for {
		err := t.newTriggers()
		if err == nil {
			break
		}
		reg.unregister()
		if !errors.Is(err, store.ErrLocked) {
			return nil, err
		}
		a.log.Warn("waiting for the previous leader to close the store", "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(a.opts.Config.LeaderElection.RetryPeriod):
		}
	}
	t.cleanups.push("store", func(context.Context) error { return t.db.Close() })
	if err := t.newPipelines(); err != nil {
		err = errors.Join(err, t.cleanups.run(context.Background(), a.log))
		reg.unregister()
		return nil, err
	}
	if t.runner != nil {
		if err := a.champions.seed(a.opts.Config.Models, t.runner.Registry()); err != nil {
			a.log.Warn("could not publish the registry's champions", "err", err)
		}
	}
	return t, nil
}

// control returns the App that runs the control half now: a itself
// without leader election, the current term with it, or nil on a standby.
func (a *App) control() *App {
	if a.elector == nil {
		return a
	}
	return a.term.Load()
}

// Leading reports whether this replica runs the control half.
func (a *App) Leading() bool { return a.control() != nil }

// fail stops Run with err, as a failed model does.
func (a *App) fail(err error) {
	a.log.Error("failed", "err", err)
	select {
	case a.failed <- err:
	default:
	}
}

// gate serves the webhook and the API of the current term, and answers
// 503 Service Unavailable with Retry-After while this replica does not
// lead: Alertmanager retries on 5xx, and the CLI says who leads.
type gate struct {
	// leader names the leader as last seen, or "".
	leader     func() string
	retryAfter string
	mux        atomic.Pointer[http.ServeMux]
}

func (g *gate) open(mux *http.ServeMux) { g.mux.Store(mux) }
func (g *gate) close()                  { g.mux.Store(nil) }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if mux := g.mux.Load(); mux != nil {
		mux.ServeHTTP(w, r)
		return
	}
	msg := "this driftwatch replica does not lead; try again"
	if l := g.leader(); l != "" {
		msg += " (the leader is " + l + ")"
	}
	w.Header().Set("Retry-After", g.retryAfter)
	http.Error(w, msg, http.StatusServiceUnavailable)
}

// termRegistry registers a term's metrics on the app's registry and
// unregisters them when the term ends, so that the next term can register
// its own and a standby exports none of them.
type termRegistry struct {
	Registry
	mu         sync.Mutex
	collectors []prometheus.Collector
}

func (r *termRegistry) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, c)
	return nil
}

func (r *termRegistry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r *termRegistry) unregister() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.collectors {
		r.Registry.Unregister(c)
	}
	r.collectors = nil
}
