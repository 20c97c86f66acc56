package dashboards_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
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
	Annotations struct {
		List []annotation `json:"list"`
	} `json:"annotations"`
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

// annotation is a Prometheus annotation query: every step at which its
// query returns a positive value is an event, titled and tagged from the
// series' labels.
type annotation struct {
	Name        string `json:"name"`
	Enable      bool   `json:"enable"`
	IconColor   string `json:"iconColor"`
	Target      target `json:"target"`
	TitleFormat string `json:"titleFormat"`
	TextFormat  string `json:"textFormat"`
	TagKeys     string `json:"tagKeys"`
}

// boardQuery is one query of a dashboard: a panel's or an annotation's.
type boardQuery struct {
	// where names the panel or annotation and the query's reference ID.
	where string
	expr  string
	// legend holds the {{label}} templates that name what the query
	// returns: a panel's legend, or an annotation's title, text and tags.
	legend string
}

// queries lists every query of a dashboard: those of its panels, then
// those of its annotations.
func (b board) queries() []boardQuery {
	var out []boardQuery
	for _, p := range b.Panels {
		for _, q := range p.Targets {
			out = append(out, boardQuery{where: fmt.Sprintf("panel %q, query %s", p.Title, q.RefID), expr: q.Expr, legend: q.LegendFormat})
		}
	}
	for _, a := range b.Annotations.List {
		legend := a.TitleFormat + " " + a.TextFormat
		for _, k := range strings.Split(a.TagKeys, ",") {
			if k != "" {
				legend += " {{" + k + "}}"
			}
		}
		out = append(out, boardQuery{where: fmt.Sprintf("annotation %q", a.Name), expr: a.Target.Expr, legend: legend})
	}
	return out
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
