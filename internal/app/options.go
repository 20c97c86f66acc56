package app

import (
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/config/secret"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/pipelines"
)

// Registry is where the app registers its metrics and what /metrics
// serves; *prometheus.Registry implements it. A registry serves one App:
// a second App needs a registry of its own.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// DefaultShutdownTimeout bounds how long Run waits for Stop.
const DefaultShutdownTimeout = 30 * time.Second

// Options are the configuration and the dependencies of an App. Config,
// Logger and Registry are required.
type Options struct {
	// Config is the loaded and validated configuration.
	Config *config.Config
	// ConfigDir is the configuration file's directory, which relative data
	// paths are taken from. Empty means the working directory.
	ConfigDir string
	Logger    *slog.Logger
	Registry  Registry
	// Now is the wall clock of the monitors and sources. It defaults to
	// time.Now. Network timeouts and backoffs always use real time.
	Now func() time.Time
	// Secrets resolves the server credentials and Kafka passwords. The
	// zero value reads the process environment and the file system. Its
	// Dir defaults to ConfigDir.
	Secrets secret.Resolver
	// ExitAfterReplay makes Run return once every file source has
	// replayed its files, instead of serving until its context ends. At
	// least one model must read from files.
	ExitAfterReplay bool
	// ShutdownTimeout bounds how long Run waits for Stop (default
	// DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// SyncInterval is how often sources sync their monitor while idle
	// (default source.DefaultSyncInterval).
	SyncInterval time.Duration
	// EmbeddedInterval is how often the embedded alert evaluator, used
	// when no Alertmanager is configured, evaluates the alert rules
	// (default embedded.DefaultInterval).
	EmbeddedInterval time.Duration
	// Executors add pipeline executors to the local one, which is always
	// there.
	Executors map[pipelines.ExecutorType]pipelines.Executor
	// VerifyInterval is how often the verify phase of a run polls what
	// the monitor sees of the new version (default
	// pipelines.DefaultVerifyInterval).
	VerifyInterval time.Duration
	// Kafka tunes every model's consumer and dead letter writer: fetch
	// sizes, heartbeats and backoffs. Its Logger, Now and Secrets are
	// replaced by the app's.
	Kafka kafkasource.Options
	// PodName and PodNamespace name the pod driftwatch runs in, as the
	// downward API gives them; empty means $POD_NAME and $POD_NAMESPACE.
	// With leader election, PodName is this replica's identity in the
	// Lease, and the leader labels its pod (internal/leader).
	PodName, PodNamespace string
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Secrets.Dir == "" {
		o.Secrets.Dir = o.ConfigDir
	}
	if o.PodName == "" {
		o.PodName = os.Getenv("POD_NAME")
	}
	if o.PodNamespace == "" {
		o.PodNamespace = os.Getenv("POD_NAMESPACE")
	}
	return o
}

// validate reports every problem with the options at once.
func (o Options) validate() error {
	var errs []error
	if o.Config == nil {
		errs = append(errs, errors.New("app: Options.Config is required"))
	}
	if o.Logger == nil {
		errs = append(errs, errors.New("app: Options.Logger is required"))
	}
	if o.Registry == nil {
		errs = append(errs, errors.New("app: Options.Registry is required"))
	}
	if o.ShutdownTimeout < 0 || o.SyncInterval < 0 {
		errs = append(errs, errors.New("app: Options.ShutdownTimeout and SyncInterval must not be negative"))
	}
	if o.Config != nil && o.ExitAfterReplay && !hasFileSource(o.Config) {
		errs = append(errs, errors.New("app: Options.ExitAfterReplay needs a model whose source is a file"))
	}
	return errors.Join(errs...)
}

func hasFileSource(cfg *config.Config) bool {
	for _, m := range cfg.Models {
		if m.Source.Type == collectors.SourceFile {
			return true
		}
	}
	return false
}
