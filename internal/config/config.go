package config

import (
	"path/filepath"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/config/field"
	"github.com/driftwatch/driftwatch/dashboards"
	"github.com/driftwatch/driftwatch/internal/leader"
	"github.com/driftwatch/driftwatch/internal/server"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/triggers"
)

// Config is the whole configuration file.
type Config struct {
	Server       server.ServerConfig         `yaml:"server"`
	Storage      StorageConfig               `yaml:"storage"`
	Prometheus   triggers.PrometheusConfig   `yaml:"prometheus"`
	Alertmanager triggers.AlertmanagerConfig `yaml:"alertmanager"`
	Grafana      dashboards.GrafanaConfig    `yaml:"grafana"`
	Models       []collectors.ModelConfig    `yaml:"models"`
	Triggers     triggers.Config             `yaml:"triggers"`
	Pipelines    []pipelines.Pipeline        `yaml:"pipelines"`
	// LeaderElection lets several replicas run, one of them leading.
	LeaderElection leader.Config `yaml:"leader_election"`
}

// StorageConfig says where durable state lives: trigger requests, runs and
// the model registry.
type StorageConfig struct {
	// Dir is created if missing. A relative path is taken from the working
	// directory.
	Dir string `yaml:"dir"`
	// CheckpointDir holds the Kafka monitors' window checkpoints, which
	// belong to one replica. Empty means <Dir>/checkpoints. A relative
	// path is taken from the working directory.
	CheckpointDir string `yaml:"checkpoint_dir"`
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *StorageConfig) SetDefaults() { c.Dir = "driftwatch-data" }

// Checkpoints returns the directory of the Kafka monitors' checkpoints.
func (c StorageConfig) Checkpoints() string {
	if c.CheckpointDir != "" {
		return c.CheckpointDir
	}
	return filepath.Join(c.Dir, "checkpoints")
}

// Model returns the model with the given name.
func (c *Config) Model(name string) (collectors.ModelConfig, bool) {
	for _, m := range c.Models {
		if m.Name == name {
			return m, true
		}
	}
	return collectors.ModelConfig{}, false
}

// Validate runs every section's validation and checks the references
// between sections. It does no I/O.
func (c *Config) Validate() error {
	var l field.List
	l.Add("server", c.Server.Validate())
	if c.Storage.Dir == "" {
		l.Addf("storage.dir", "must not be empty")
	}
	l.Add("leader_election", c.LeaderElection.Validate())
	if c.LeaderElection.Enabled && c.Storage.CheckpointDir == "" {
		for i, m := range c.Models {
			if m.Source.Type == collectors.SourceKafka {
				l.Addf("storage.checkpoint_dir", "must be set with leader_election.enabled: replicas share storage.dir, but each keeps its own checkpoints of the partitions it reads (models[%d] reads Kafka); use a directory of each replica's own, such as an emptyDir", i)
				break
			}
		}
	}
	l.Add("prometheus", c.Prometheus.Validate())
	l.Add("alertmanager", c.Alertmanager.Validate())
	l.Add("grafana", c.Grafana.Validate())
	if len(c.Models) == 0 {
		l.Addf("models", "at least one model is required")
	}
	models := map[string]int{}
	for i, m := range c.Models {
		p := field.NewPath("models").Index(i)
		l.Add(p, m.Validate())
		if j, dup := models[m.Name]; dup && m.Name != "" {
			l.Addf(p.Child("name"), "duplicate model %q (also models[%d])", m.Name, j)
		}
		models[m.Name] = i
	}
	l.Add("triggers", c.Triggers.Validate())
	pipes := map[string]int{}
	for i, pl := range c.Pipelines {
		p := field.NewPath("pipelines").Index(i)
		l.Add(p, pl.Validate())
		if j, dup := pipes[pl.Name]; dup && pl.Name != "" {
			l.Addf(p.Child("name"), "duplicate pipeline %q (also pipelines[%d])", pl.Name, j)
		}
		pipes[pl.Name] = i
		if _, ok := models[pl.Model]; pl.Model != "" && !ok {
			l.Addf(p.Child("model"), "unknown model %q (defined models: %s)", pl.Model, names(c.Models, func(m collectors.ModelConfig) string { return m.Name }))
		}
	}
	for i, r := range c.Triggers.Rules {
		p := field.NewPath("triggers").Child("rules").Index(i)
		if _, ok := pipes[r.Pipeline]; r.Pipeline != "" && !ok {
			l.Addf(p.Child("pipeline"), "unknown pipeline %q (defined pipelines: %s)", r.Pipeline, names(c.Pipelines, func(p pipelines.Pipeline) string { return p.Name }))
		}
		if r.Silence && c.Alertmanager.URL == "" && len(r.Match)+len(r.MatchRegex) > 0 {
			l.Addf(p.Child("silence"), "silences need alertmanager.url; set it or set silence to false")
		}
	}
	return l.Err()
}

func names[T any](items []T, name func(T) string) string {
	if len(items) == 0 {
		return "none"
	}
	out := ""
	for i, it := range items {
		if i > 0 {
			out += ", "
		}
		out += name(it)
	}
	return out
}
