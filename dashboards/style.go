package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// Colours of states, from Grafana's palette.
const (
	colorOK      = "green"
	colorBad     = "red"
	colorWarn    = "orange"
	colorNeutral = "blue"
	// colorEvent marks events that are neither good nor bad, such as a
	// deploy.
	colorEvent = "purple"
)

// step is a threshold: from value up, values take color.
type step struct {
	value float64
	color string
}

// thresholds colours values below the first step base, and values at or
// above each step its colour.
func thresholds(base string, steps ...step) *thresholdsBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(thresholdSteps(base, steps...).Steps)
}

// thresholdSteps are the same thresholds as a value, for field overrides.
func thresholdSteps(base string, steps ...step) dashboard.ThresholdsConfig {
	out := []dashboard.Threshold{{Color: base}} // a nil value is -Infinity
	for _, s := range steps {
		out = append(out, dashboard.Threshold{Value: cog.ToPtr(s.value), Color: s.color})
	}
	return dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: out}
}

// flagStates names the values of a 0/1 flag where 1 is the trouble, such
// as drifted or breached.
func flagStates(ok, bad string) []dashboard.ValueMapping {
	return twoStates(ok, colorOK, bad, colorBad)
}

// readyStates names the values of a 0/1 flag where 1 is the good state.
func readyStates() []dashboard.ValueMapping {
	return twoStates("Not ready", colorBad, "Ready", colorOK)
}

func twoStates(zero, zeroColor, one, oneColor string) []dashboard.ValueMapping {
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
		Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": {Text: cog.ToPtr(zero), Color: cog.ToPtr(zeroColor), Index: cog.ToPtr[int32](0)},
			"1": {Text: cog.ToPtr(one), Color: cog.ToPtr(oneColor), Index: cog.ToPtr[int32](1)},
		},
	}}}
}

// thresholdLine styles a series that is a threshold: a dashed red line
// without fill, so it reads as a limit rather than as data.
func thresholdLine() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": colorBad}},
		{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
		{Id: "custom.fillOpacity", Value: 0},
	}
}

// fixedColor gives the matched fields one colour.
func fixedColor(color string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": color}}}
}

// withUnit sets the unit of the matched fields.
func withUnit(unit string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "unit", Value: unit}}
}

// dashedThresholds draws a panel's thresholds as dashed lines.
func dashedThresholds() *common.GraphThresholdsStyleConfigBuilder {
	return common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)
}

// shadedThresholds draws a panel's thresholds as lines over areas in
// their colours, so the bad side of a limit shows.
func shadedThresholds() *common.GraphThresholdsStyleConfigBuilder {
	return common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLineAndArea)
}

// logScale is a base 10 logarithmic axis, for p-values.
func logScale() *common.ScaleDistributionConfigBuilder {
	return common.NewScaleDistributionConfigBuilder().Type(common.ScaleDistributionLog).Log(10)
}

// linkTo is a link to another dashboard or page, keeping the time range.
func linkTo(title, url string) *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder(title).Type(dashboard.DashboardLinkTypeLink).Url(url).KeepTime(true)
}

// dashboardURL is the path of a dashboard by UID, with the current time
// range, as panel links take it.
func dashboardURL(uid string) string { return "/d/" + uid + "?${__url_time_range}" }

// modelsMenu lists every model dashboard in a drop-down, by tag.
func modelsMenu() *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder("Models").
		Type(dashboard.DashboardLinkTypeDashboards).
		Tags([]string{tagModel}).
		AsDropdown(true).
		KeepTime(true)
}

// runbookURL links an alert's section of the runbook, as the alerting
// rules' runbook_url annotation does: the anchor is the alert name in
// lower case.
func runbookURL(base, alert string) string {
	base, _, _ = strings.Cut(base, "#")
	return base + "#" + strings.ToLower(alert)
}

// runbookLinks is a panel's link to the runbook section of the alert that
// watches what the panel shows, or none when no runbook is configured.
func runbookLinks(base, alert string) []cog.Builder[dashboard.DashboardLink] {
	if base == "" {
		return nil
	}
	return []cog.Builder[dashboard.DashboardLink]{
		dashboard.NewDashboardLinkBuilder("Runbook: " + alert).
			Type(dashboard.DashboardLinkTypeLink).
			Url(runbookURL(base, alert)).
			TargetBlank(true),
	}
}

// thresholdsBuilder is the SDK's builder of a panel's thresholds.
type thresholdsBuilder = dashboard.ThresholdsConfigBuilder

// cellColor colours a table cell's background by its thresholds or value
// mappings.
func cellColor() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "custom.cellOptions", Value: map[string]any{"type": "color-background"}}}
}
