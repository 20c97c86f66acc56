package dashboards_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/dashboards"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/triggers/rules"
)

// TestAlertLinksLand follows the dashboard_url of every alert generated
// for the example configuration: it must open a generated dashboard that
// has the variables it sets, with a value that variable offers. The fleet
// overview's UID is what the example's prometheus.rules.dashboard_url
// names.
func TestAlertLinksLand(t *testing.T) {
	cfg, err := config.Load(exampleConfig)
	require.NoError(t, err)
	f, err := rules.Generate(rules.Input{Settings: cfg.Prometheus.Rules, Models: cfg.Models, Triggers: cfg.Triggers.Rules})
	require.NoError(t, err)
	boards := map[string]board{}
	for _, d := range generate(t, exampleConfig) {
		boards[d.UID] = decode(t, d)
	}
	alerts := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			link, ok := r.Annotations["dashboard_url"]
			if r.Alert == "" || !ok {
				continue
			}
			alerts++
			u, err := url.Parse(link)
			require.NoError(t, err)
			uid, ok := strings.CutPrefix(u.Path, "/d/")
			require.True(t, ok, "%s: %s is not a /d/UID link", r.Alert, link)
			b, ok := boards[strings.Split(uid, "/")[0]]
			require.True(t, ok, "%s links %s, which is not a generated dashboard", r.Alert, link)
			for name, values := range u.Query() {
				v, ok := strings.CutPrefix(name, "var-")
				if !ok {
					continue
				}
				require.Contains(t, offered(b, v), values[0], "%s links %s", r.Alert, link)
			}
		}
	}
	require.Positive(t, alerts)
}

// offered returns the values a dashboard's variable offers.
func offered(b board, name string) []string {
	for _, v := range b.Templating.List {
		if v.Name == name {
			q, _ := v.Query.(string)
			return strings.Split(q, ",")
		}
	}
	return nil
}

// TestRunbookLinks checks that panels link the runbook sections of the
// alerts that package triggers/rules generates, under the names it gives
// them, and that the link menus and the fleet's model cards lead to the
// model dashboards.
func TestRunbookLinks(t *testing.T) {
	cfg, err := config.Load(exampleConfig)
	require.NoError(t, err)
	alerts := map[string]bool{}
	for _, a := range []string{rules.FeatureDrift, rules.DatasetDrift, rules.QualityBelowThreshold, rules.InputStalled, rules.ConsumerLagGrowing, rules.LabelJoinRateLow} {
		alerts[cfg.Prometheus.Rules.RunbookURL+"#"+strings.ToLower(a)] = true
	}
	linked := map[string]bool{}
	cards := map[string]string{}
	for _, d := range generate(t, exampleConfig) {
		for _, p := range decode(t, d).Panels {
			for _, l := range p.Links {
				switch {
				case strings.HasPrefix(l.URL, cfg.Prometheus.Rules.RunbookURL):
					require.True(t, alerts[l.URL], "%s, panel %q links %s, which is no alert's section", d.UID, p.Title, l.URL)
					linked[l.URL] = true
				case strings.HasPrefix(l.URL, "/d/"):
					cards[p.Title] = l.URL
				}
			}
		}
	}
	require.Equal(t, alerts, linked, "every alert's runbook section is linked from some panel")
	for _, m := range cfg.Models {
		require.Equal(t, "/d/"+dashboards.ModelUID(m.Name)+"?${__url_time_range}", cards[m.Name], "the fleet card of %s", m.Name)
	}
}

// TestLagThresholdIsTheAlerts checks that the lag panels draw the lag
// below which the lag alert stays quiet.
func TestLagThresholdIsTheAlerts(t *testing.T) {
	for _, d := range generate(t, exampleConfig) {
		if d.Model != "demand-forecast" {
			continue
		}
		var b struct {
			Panels []struct {
				Title       string `json:"title"`
				FieldConfig struct {
					Defaults struct {
						Thresholds struct {
							Steps []struct {
								Value *float64 `json:"value"`
							} `json:"steps"`
						} `json:"thresholds"`
					} `json:"defaults"`
				} `json:"fieldConfig"`
			} `json:"panels"`
		}
		require.NoError(t, json.Unmarshal(d.JSON, &b))
		found := 0
		for _, p := range b.Panels {
			if p.Title == "Consumer lag by partition" || p.Title == "Consumer lag" {
				steps := p.FieldConfig.Defaults.Thresholds.Steps
				require.Len(t, steps, 2, p.Title)
				require.Equal(t, float64(rules.LagFloor), *steps[1].Value, p.Title)
				found++
			}
		}
		require.Equal(t, 2, found)
	}
}
