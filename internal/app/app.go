package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/collectors/source"
	"github.com/driftwatch/driftwatch/internal/leader"
	"github.com/driftwatch/driftwatch/internal/server"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/store"
	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/embedded"
)

// App is a configured driftwatch: build it with New, then Start and Stop
// it, or Run it.
type App struct {
	opts          Options
	log           *slog.Logger
	server        *server.Server
	store         *monitor.Store
	sourceMetrics *source.Metrics
	models        []*model
	db            *store.DB
	engine        *triggers.Engine
	evaluator     *embedded.Evaluator // nil when Alertmanager is configured
	runner        *pipelines.Runner   // nil when no pipeline is configured
	// routes is where the control half mounts the webhook and the API.
	routes  routes
	leading prometheus.Gauge

	// With leader election (leader.go): the Elector, the gate in front of
	// the webhook and the API, the current term (nil on a standby), and
	// the champions published to every replica. A term's publish is set.
	elector   *leader.Elector
	gate      *gate
	term      atomic.Pointer[App]
	champions *champions
	publish   *champions

	started  atomic.Bool
	cleanups cleanupStack
	// failed receives the error of every model that fails; replayed is
	// closed once every file source has replayed its files.
	failed   chan error
	replayed chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// New checks the options and builds the app: its server, its metrics, its
// trigger engine over the durable store in storage.dir, and for every model
// what can be checked before reading any data. The app holds the store's
// lock from New until Stop.
func New(opts Options) (*App, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	a := &App{opts: opts, log: opts.Logger, replayed: make(chan struct{})}
	var err error
	if a.store, err = monitor.NewStore(monitor.StoreOptions{Registerer: opts.Registry}); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if a.sourceMetrics, err = source.NewMetrics(opts.Registry); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if a.server, err = a.newServer(); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	a.routes = a.server
	if a.leading, err = newLeading(opts.Registry); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if err := a.newControl(); err != nil {
		return nil, err
	}
	var errs []error
	for _, cfg := range opts.Config.Models {
		m, err := a.newModel(cfg)
		if err != nil {
			for _, e := range unjoin(err) {
				errs = append(errs, fmt.Errorf("app: model %s: %w", cfg.Name, e))
			}
			continue
		}
		a.models = append(a.models, m)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(err, a.closeStore())
	}
	a.failed = make(chan error, len(a.models)+1)
	return a, nil
}

// newControl builds the control half, or with leader election the Elector
// that builds it in each term.
func (a *App) newControl() error {
	if a.opts.Config.LeaderElection.Enabled {
		if err := a.newElection(); err != nil {
			return fmt.Errorf("app: leader election: %w", err)
		}
		return nil
	}
	if err := a.newTriggers(); err != nil {
		return fmt.Errorf("app: %w", err)
	}
	if err := a.newPipelines(); err != nil {
		return errors.Join(fmt.Errorf("app: %w", err), a.db.Close())
	}
	return nil
}

// closeStore closes the store, if this app opened it.
func (a *App) closeStore() error {
	if a.db == nil {
		return nil
	}
	return a.db.Close()
}

// unjoin returns the errors joined in err, so that each gets its own
// prefix and line.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// newServer resolves the server's credentials and builds it.
func (a *App) newServer() (*server.Server, error) {
	cfg := a.opts.Config.Server
	var creds server.Credentials
	var err error
	if !cfg.Auth.BearerToken.IsZero() {
		if creds.BearerToken, err = a.opts.Secrets.Resolve(cfg.Auth.BearerToken); err != nil {
			return nil, fmt.Errorf("server.auth.bearer_token: %w", err)
		}
	}
	if cfg.Auth.Basic.Username != "" {
		creds.Username = cfg.Auth.Basic.Username
		if creds.Password, err = a.opts.Secrets.Resolve(cfg.Auth.Basic.Password); err != nil {
			return nil, fmt.Errorf("server.auth.basic.password: %w", err)
		}
	}
	return server.New(server.Options{
		Config: cfg, Credentials: creds, Logger: a.log, Gatherer: a.opts.Registry, Ready: a.Ready,
	})
}

// Start serves HTTP and starts every model. It returns once the server
// listens; the models start in the background, and Ready tells when they
// have. ctx is not kept: Stop ends what Start started. Start may be called
// once.
func (a *App) Start(ctx context.Context) error {
	if !a.started.CompareAndSwap(false, true) {
		return errors.New("app: Start was already called")
	}
	a.cleanups.push("store", func(context.Context) error { return a.closeStore() })
	if err := a.server.Start(); err != nil {
		return errors.Join(err, a.cleanups.run(context.Background(), a.log))
	}
	a.cleanups.push("http server", a.server.Stop)
	a.cleanups.push("monitors", func(context.Context) error {
		var errs []error
		for _, m := range a.models {
			errs = append(errs, m.closeMonitor())
			a.sourceMetrics.Forget(m.cfg.Name)
		}
		return errors.Join(errs...)
	})
	a.cleanups.push("dead letter writers", func(context.Context) error {
		var errs []error
		for _, m := range a.models {
			if m.deadLetter != nil {
				errs = append(errs, m.deadLetter.Close())
			}
		}
		return errors.Join(errs...)
	})
	if a.elector != nil {
		a.startElection()
	} else {
		a.leading.Set(1)
		a.startTriggers()
		a.startPipelines()
	}
	a.startModels(ctx)
	return nil
}

// startModels runs every model on its own goroutine and pushes the step
// that stops them all at once: Kafka sources commit and leave their groups
// in parallel.
func (a *App) startModels(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	replays := 0
	finished := make(chan struct{}, len(a.models))
	for _, m := range a.models {
		if m.file {
			replays++
		}
		wg.Go(func() {
			if err := a.runModel(ctx, m); err != nil {
				a.log.Error("model failed", "model", m.cfg.Name, "err", err)
				a.failed <- err
				return
			}
			if m.file && phase(m.phase.Load()) == phaseFinished {
				finished <- struct{}{}
			}
		})
	}
	go func() {
		for range replays {
			select {
			case <-finished:
			case <-ctx.Done():
				return
			}
		}
		if replays > 0 {
			close(a.replayed)
		}
	}()
	a.cleanups.push("sources", func(stopCtx context.Context) error {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return fmt.Errorf("sources still running: %w", stopCtx.Err())
		}
	})
}

// Stop stops the models, then closes their monitors and the server, in the
// reverse order of Start. ctx bounds the wait. Stop may be called more than
// once and returns the first call's result.
func (a *App) Stop(ctx context.Context) error {
	a.stopOnce.Do(func() {
		a.log.Info("stopping")
		a.stopErr = a.cleanups.run(ctx, a.log)
	})
	return a.stopErr
}

// Run starts the app and serves until ctx ends, a model fails or, with
// Options.ExitAfterReplay, every replay is over; then it stops the app,
// giving it Options.ShutdownTimeout. It returns the model's error, if one
// failed, and Stop's.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	var err error
	replayed := a.replayed
	if !a.opts.ExitAfterReplay {
		replayed = nil
	}
	select {
	case <-ctx.Done():
	case err = <-a.failed:
	case <-replayed:
		a.log.Info("every replay is over, exiting")
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.ShutdownTimeout)
	defer cancel()
	return errors.Join(err, a.Stop(stopCtx))
}

// Run builds an App from opts and runs it until ctx ends.
func Run(ctx context.Context, opts Options) error {
	a, err := New(opts)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// Ready returns nil when every model is monitored: its reference profile
// is loaded and its source has started. Otherwise it names each model that
// is not, and why. /readyz answers with it.
func (a *App) Ready() error {
	if !a.started.Load() {
		return errors.New("not started")
	}
	var errs []error
	for _, m := range a.models {
		if err := m.ready(); err != nil {
			errs = append(errs, fmt.Errorf("model %s: %w", m.cfg.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Addr returns the address the server listens on, or "" before Start.
func (a *App) Addr() string { return a.server.Addr() }
