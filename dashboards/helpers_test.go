package dashboards_test

import (
	"encoding/json"
	"flag"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/dashboards"
	"github.com/driftwatch/driftwatch/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata and the pictures under docs/img")

// exampleConfig is the path of the complete example configuration.
const exampleConfig = "../testdata/config/example.yaml"

// input is the part of cfg the dashboards are generated from, as
// driftwatch dashboards passes it.
func input(cfg *config.Config) dashboards.Input {
	return dashboards.Input{
		Grafana:          cfg.Grafana,
		Models:           cfg.Models,
		RunbookURL:       cfg.Prometheus.Rules.RunbookURL,
		MinLabelJoinRate: cfg.Prometheus.Rules.MinLabelJoinRate,
	}
}

// generate loads a configuration and generates its dashboards.
func generate(t *testing.T, path string) []dashboards.Dashboard {
	t.Helper()
	cfg, err := config.Load(path)
	require.NoError(t, err)
	ds, err := dashboards.Generate(input(cfg))
	require.NoError(t, err)
	return ds
}

// board is the part of Grafana's dashboard JSON the tests read.
type board struct {
	UID        string   `json:"uid"`
	Title      string   `json:"title"`
	Tags       []string `json:"tags"`
	Panels     []panel  `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Links []struct {
		Title string `json:"title"`
		Type  string `json:"type"`
		URL   string `json:"url"`
	} `json:"links"`
}

type panel struct {
	ID      int      `json:"id"`
	Type    string   `json:"type"`
	Title   string   `json:"title"`
	Repeat  string   `json:"repeat"`
	GridPos gridPos  `json:"gridPos"`
	Targets []target `json:"targets"`
	Links   []struct {
		Title string `json:"title"`
		URL   string `json:"url"`
	} `json:"links"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

type gridPos struct {
	H, W, X, Y int
}

type target struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
	Instant      bool   `json:"instant"`
	Format       string `json:"format"`
}

type variable struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Query      any    `json:"query"`
	IncludeAll bool   `json:"includeAll"`
	Multi      bool   `json:"multi"`
}

// decode reads the parts of a generated dashboard the tests check.
func decode(t *testing.T, d dashboards.Dashboard) board {
	t.Helper()
	var b board
	require.NoError(t, json.Unmarshal(d.JSON, &b), d.UID)
	return b
}
