package dashboards

import (
	"errors"
	"fmt"

	"github.com/driftwatch/driftwatch/collectors"
)

// Input is the part of the configuration the dashboards are generated
// from.
type Input struct {
	// Grafana gives the panels' default datasource.
	Grafana GrafanaConfig
	// Models get a dashboard each, and a card in the fleet overview, in
	// this order.
	Models []collectors.ModelConfig
	// RunbookURL is prometheus.rules.runbook_url. Panels link the runbook
	// section of the alert that watches what they show, as the alerts'
	// runbook_url annotations do; empty leaves the links out.
	RunbookURL string
	// MinLabelJoinRate is prometheus.rules.min_label_join_rate, drawn as
	// the limit of the label join rate; 0 draws no limit.
	MinLabelJoinRate float64
}

// Dashboard is one generated dashboard.
type Dashboard struct {
	// UID identifies the dashboard in Grafana: FleetUID, or ModelUID of
	// its model.
	UID   string
	Title string
	// Model is the model the dashboard shows; empty for the fleet
	// overview.
	Model string
	// JSON is the dashboard model as Grafana's HTTP API and its
	// provisioning take it, without id or version, indented and ending in
	// a newline.
	JSON []byte
}

// The names of the alerts that package triggers/rules generates; panels
// link their runbook sections. A test keeps them equal to that package's.
const (
	alertFeatureDrift       = "DriftwatchFeatureDrift"
	alertDatasetDrift       = "DriftwatchDatasetDrift"
	alertQuality            = "DriftwatchQualityBelowThreshold"
	alertInputStalled       = "DriftwatchInputStalled"
	alertConsumerLagGrowing = "DriftwatchConsumerLagGrowing"
	alertLabelJoinRateLow   = "DriftwatchLabelJoinRateLow"
	// lagFloor is the consumer lag at or below which the lag alert stays
	// quiet (rules.LagFloor), drawn on the lag panels.
	lagFloor = 1000
)

// Generate builds the fleet overview, then one dashboard per model in the
// order of in.Models. The output depends only on the input, so it can be
// compared with golden files, and the UIDs only on the model names.
func Generate(in Input) ([]Dashboard, error) {
	if err := in.Grafana.Validate(); err != nil {
		return nil, fmt.Errorf("grafana: %w", err)
	}
	if len(in.Models) == 0 {
		return nil, errors.New("no models to show")
	}
	fleet, err := fleetDashboard(in)
	if err != nil {
		return nil, fmt.Errorf("fleet overview: %w", err)
	}
	out := []Dashboard{fleet}
	seen := map[string]string{FleetUID: "the fleet overview"}
	var errs []error
	for _, m := range in.Models {
		d, err := modelDashboard(in, m)
		if err != nil {
			errs = append(errs, fmt.Errorf("model %s: %w", m.Name, err))
			continue
		}
		if other, dup := seen[d.UID]; dup {
			errs = append(errs, fmt.Errorf("model %s: dashboard UID %s is also the UID of %s", m.Name, d.UID, other))
			continue
		}
		seen[d.UID] = "model " + m.Name
		out = append(out, d)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// modelTitle is the title of a model's dashboard. Grafana wants titles
// unique within a folder, and model names are unique.
func modelTitle(model string) string { return "driftwatch: " + model }

// fleetTitle is the title of the fleet overview.
const fleetTitle = "driftwatch: fleet overview"
