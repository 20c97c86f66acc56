package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// The model registry's metrics: the champion, exported from the registry
// at each scrape, and the versions put into service.
const (
	metricChampion = "driftwatch_model_champion_info"
	metricDeploys  = "driftwatch_model_deploys_total"
)

// The kinds of driftwatch_model_deploys_total.
const (
	kindDeploy   = "deploy"
	kindRollback = "rollback"
)

// championPanels show which version of the model serves, since when, and
// the deploys and rollbacks that changed it. The dashboard also marks the
// deploys and rollbacks on every graph (deployAnnotations).
func championPanels(v *modelView) []panel {
	m := ofModel()
	champion := by("max", labels("version"), sel(metricChampion, m))
	return []panel{
		statPanel("Champion",
			"The version of the model that serves now, as the model registry records it: the one its latest deploy or rollback put into service. A model gets its first champion when a run deploys.",
			unitNone,
			instant("A", champion, "{{version}}")).
			Span(4).
			Height(graphH).
			TextMode(common.BigValueTextModeName).
			Thresholds(thresholds(colorNeutral)).
			NoValue("No champion"),
		stateTimelinePanel("Champion version history",
			"Which version was the champion when: one band per version, from the deploy or rollback that put it into service to the one that replaced it.",
			[]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
				Type: dashboard.MappingTypeValueToText,
				Options: map[string]dashboard.ValueMappingResult{
					"1": {Text: cog.ToPtr("champion"), Color: cog.ToPtr(colorNeutral), Index: cog.ToPtr[int32](0)},
				},
			}}},
			query(champion, "{{version}}")).
			Span(12).
			NoValue("No champion"),
		timeseriesPanel("Deploys and rollbacks",
			"Versions put into service in each interval: deploys of a new version by a run, and rollbacks to an earlier one, automatic or by hand. Intervals without any are left out.",
			unitCount,
			query(by("sum", labels("kind"), increase(sel(metricDeploys, m), rateInterval))+" > 0", "{{kind}}")).
			Span(thirdWidth).
			DrawStyle(common.GraphDrawStyleBars).
			NoValue("No deploys").
			OverrideByName(kindDeploy, fixedColor(colorEvent)).
			OverrideByName(kindRollback, fixedColor(colorBad)),
	}
}

// deployAnnotations mark the deploys and rollbacks of the models that
// models matches on every time series of a dashboard, each toggled on its
// own. A mark is an interval in which driftwatch_model_deploys_total grew:
// increase rather than changes, so that a restart of driftwatch, which
// resets the counter to zero, marks nothing.
func deployAnnotations(models string) []cog.Builder[dashboard.AnnotationQuery] {
	mark := func(name, kind, color, title, text string) cog.Builder[dashboard.AnnotationQuery] {
		expr := by("sum", labels("model", "kind"), increase(sel(metricDeploys, models, eq("kind", kind)), rateInterval)) + " > 0"
		return dashboard.NewAnnotationQueryBuilder().
			Name(name).
			Datasource(datasource()).
			Enable(true).
			IconColor(color).
			Target(prometheus.NewDataqueryBuilder().RefId("Anno").Expr(expr).Range()).
			TitleFormat(title).
			TextFormat(text).
			TagKeys("model,kind")
	}
	return []cog.Builder[dashboard.AnnotationQuery]{
		mark("Deploys", kindDeploy, colorEvent, "Deploy of {{model}}",
			"A run put a new version of {{model}} into service; the Champion panel of its dashboard names it."),
		mark("Rollbacks", kindRollback, colorBad, "Rollback of {{model}}",
			"{{model}} went back to an earlier version, after a failed deploy or verification or by hand; the Champion panel of its dashboard names it."),
	}
}

// outcomeStates colour a run's outcome as a table cell shows it.
func outcomeStates() []dashboard.ValueMapping {
	options := map[string]dashboard.ValueMappingResult{}
	for i, o := range []struct{ outcome, color string }{
		{"succeeded", colorOK}, {"rejected", colorNeutral}, {"failed", colorBad}, {"cancelled", colorNeutral}, {"rolled_back", colorWarn},
	} {
		options[o.outcome] = dashboard.ValueMappingResult{Color: cog.ToPtr(o.color), Index: cog.ToPtr(int32(i))}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: options}}}
}
