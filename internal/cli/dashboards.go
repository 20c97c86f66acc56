package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/driftwatch/driftwatch/config/secret"
	"github.com/driftwatch/driftwatch/dashboards"
	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/internal/config"
)

// grafanaTokenEnv is the environment variable that holds the Grafana token when
// grafana.token is not set.
const grafanaTokenEnv = "GRAFANA_TOKEN"

// DashboardsCmd generates the Grafana dashboards for the configured
// models. docs/dashboards.md describes them and the three ways to
// provision them.
type DashboardsCmd struct {
	Config     string `short:"c" required:"" type:"path" placeholder:"FILE" help:"Configuration file that declares the models and the grafana settings."`
	Out        string `placeholder:"DIR" help:"Directory to write one UID.json file per dashboard into, or with --configmaps one UID.yaml file per ConfigMap. Existing files are replaced atomically."`
	ConfigMaps bool   `name:"configmaps" help:"Write Kubernetes ConfigMaps labelled grafana_dashboard: \"1\" for Grafana's dashboard sidecar, into --out or to standard output."`
	Namespace  string `placeholder:"NAME" help:"Namespace of the ConfigMaps (default: none, so kubectl's -n applies)."`
	GrafanaURL string `name:"grafana-url" placeholder:"URL" help:"Push the dashboards to this Grafana through its HTTP API, into the grafana.folder folder, with the grafana.token token or $GRAFANA_TOKEN, and print what changed."`
}

// Run loads the configuration, generates the dashboards and writes or
// pushes them.
func (c *DashboardsCmd) Run(env *Env) error {
	modes := 0
	for _, on := range []bool{c.Out != "" && !c.ConfigMaps, c.ConfigMaps, c.GrafanaURL != ""} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return &exitError{code: ExitUsage, msg: "driftwatch: dashboards: choose one of --out DIR, --configmaps [--out DIR] and --grafana-url URL"}
	}
	cfg, err := config.Load(c.Config)
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			return &exitError{code: ExitError, msg: fmt.Sprintf("%s\n%s: %d problem(s)", cerr, c.Config, len(cerr.Problems))}
		}
		return c.fail(err)
	}
	ds, err := dashboards.Generate(dashboards.Input{
		Grafana:          cfg.Grafana,
		Models:           cfg.Models,
		RunbookURL:       cfg.Prometheus.Rules.RunbookURL,
		MinLabelJoinRate: cfg.Prometheus.Rules.MinLabelJoinRate,
	})
	if err != nil {
		return c.fail(err)
	}
	switch {
	case c.GrafanaURL != "":
		return c.push(env, cfg, ds)
	case c.ConfigMaps:
		return c.writeConfigMaps(env, cfg, ds)
	}
	return c.writeFiles(env, ds, func(d dashboards.Dashboard) (string, []byte, error) { return d.UID + ".json", d.JSON, nil })
}

// writeConfigMaps writes one ConfigMap per dashboard into --out, or all of
// them to standard output as one YAML stream.
func (c *DashboardsCmd) writeConfigMaps(env *Env, cfg *config.Config, ds []dashboards.Dashboard) error {
	opts := dashboards.ConfigMapOptions{Namespace: c.Namespace, Folder: cfg.Grafana.Folder}
	encode := func(d dashboards.Dashboard) (string, []byte, error) {
		data, err := dashboards.ConfigMap(d, opts)
		return d.UID + ".yaml", data, err
	}
	if c.Out != "" {
		return c.writeFiles(env, ds, encode)
	}
	for i, d := range ds {
		_, data, err := encode(d)
		if err != nil {
			return c.fail(err)
		}
		if i > 0 {
			data = append([]byte("---\n"), data...)
		}
		if _, err := env.Stdout.Write(data); err != nil {
			return err
		}
	}
	return nil
}

// writeFiles writes each dashboard's encoding into --out, creating it.
func (c *DashboardsCmd) writeFiles(env *Env, ds []dashboards.Dashboard, encode func(dashboards.Dashboard) (string, []byte, error)) error {
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return c.fail(err)
	}
	for _, d := range ds {
		name, data, err := encode(d)
		if err != nil {
			return c.fail(err)
		}
		path := filepath.Join(c.Out, name)
		if err := atomicfile.Write(path, data); err != nil {
			return c.fail(err)
		}
		env.Logger.Info("wrote dashboard", "uid", d.UID, "file", path)
	}
	return nil
}

// push sends the dashboards to Grafana and prints one line per dashboard:
// created, updated or unchanged.
func (c *DashboardsCmd) push(env *Env, cfg *config.Config, ds []dashboards.Dashboard) error {
	token, err := grafanaToken(cfg, filepath.Dir(c.Config))
	if err != nil {
		return c.fail(err)
	}
	results, err := dashboards.Push(env.Ctx, ds, dashboards.PushOptions{URL: c.GrafanaURL, Token: token, Folder: cfg.Grafana.Folder})
	for _, r := range results {
		fmt.Fprintf(env.Stdout, "%-9s %s  %s\n", r.Change, r.UID, r.Title)
	}
	if err != nil {
		return c.fail(err)
	}
	return nil
}

// grafanaToken resolves grafana.token, or falls back to $GRAFANA_TOKEN.
// With neither, it returns no token, for a Grafana URL that carries basic
// auth credentials.
func grafanaToken(cfg *config.Config, dir string) (string, error) {
	if !cfg.Grafana.Token.IsZero() {
		token, err := secret.Resolver{Dir: dir}.Resolve(cfg.Grafana.Token)
		if err != nil {
			return "", fmt.Errorf("grafana.token: %w", err)
		}
		return token, nil
	}
	return os.Getenv(grafanaTokenEnv), nil
}

func (c *DashboardsCmd) fail(err error) error {
	return &exitError{code: ExitError, msg: "driftwatch: dashboards: " + err.Error()}
}
