package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// panel is any panel builder, as a dashboard row takes them.
type panel = cog.Builder[dashboard.Panel]

// queryBuilder is any query builder, as panels take them.
type queryBuilder = cog.Builder[variants.Dataquery]

// Grafana units the panels use.
const (
	unitRatio     = "percentunit" // 0 to 1, shown as a percentage
	unitSeconds   = "s"
	unitPerSecond = "cps" // counts per second
	unitNone      = "none"
	unitCount     = "short"
)

// Panel sizes in grid units: the grid is 24 columns wide.
const (
	fullWidth  = 24
	halfWidth  = 12
	thirdWidth = 8
	graphH     = 8
	statH      = 4
)

// datasource is every panel's datasource: the dashboard's datasource
// variable.
func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + varDatasource + "}")}
}

// query is a range query for a time series panel; legend names each
// series, as in "{{feature}}".
func query(expr, legend string) queryBuilder {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend).Range()
}

// refQuery is a range query with a fixed reference ID, for panels whose
// overrides style one of their queries.
func refQuery(ref, expr, legend string) queryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).LegendFormat(legend).Range()
}

// instant is an instant query, for stat panels.
func instant(ref, expr, legend string) queryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).LegendFormat(legend).Instant()
}

// tableQuery is an instant query in table format: one row per series,
// its labels as columns and its value in "Value #REF".
func tableQuery(ref, expr string) queryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).Instant().Format(prometheus.PromQueryFormatTable)
}

// timeseriesPanel is a line graph with the house defaults: a legend
// below, a tooltip listing every series, and no points.
func timeseriesPanel(title, description, unit string, queries ...queryBuilder) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(datasource()).
		Targets(queries).
		Unit(unit).
		Span(halfWidth).
		Height(graphH).
		LineWidth(1).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
}

// statPanel shows the latest value of each query on a background
// coloured by its thresholds.
func statPanel(title, description, unit string, queries ...queryBuilder) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(datasource()).
		Targets(queries).
		Unit(unit).
		Height(statH).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

// tablePanel is a table of instant queries merged into one row per label
// set, with the columns renamed and ordered by columns and sorted by the
// column named sortBy, largest first. Columns are given as the query's
// reference ID or a label name, and the title to show.
func tablePanel(title, description string, columns []column, sortBy string, queries ...queryBuilder) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(datasource()).
		Targets(queries).
		Span(halfWidth).
		Height(graphH).
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(organize(columns)).
		SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName(sortBy).Desc(true),
		})
}

// column is a column of a table panel: a label name or a query's "Value
// #REF", and its title.
type column struct {
	field, title string
}

// valueColumn is the column of the query with reference ID ref.
func valueColumn(ref, title string) column { return column{field: "Value #" + ref, title: title} }

// hiddenColumn hides the values of the query with reference ID ref, a
// query that is there for its labels, such as an info metric's.
func hiddenColumn(ref string) column { return column{field: "Value #" + ref} }

// organize orders and renames the given columns of a merged table and
// hides the time column and the columns without a title. Table queries
// aggregate by exactly the labels they show, so no other column appears.
func organize(columns []column) dashboard.DataTransformerConfig {
	index := map[string]any{}
	rename := map[string]any{}
	exclude := map[string]any{"Time": true}
	for i, c := range columns {
		index[c.field] = i
		if c.title == "" {
			exclude[c.field] = true
			continue
		}
		rename[c.field] = c.title
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"indexByName":   index,
		"renameByName":  rename,
		"excludeByName": exclude,
	}}
}

// stateTimelinePanel shows a 0/1 flag per series as a band of states.
func stateTimelinePanel(title, description string, states []dashboard.ValueMapping, queries ...queryBuilder) *statetimeline.PanelBuilder {
	return statetimeline.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(datasource()).
		Targets(queries).
		Span(halfWidth).
		Height(graphH).
		Mappings(states).
		ShowValue(common.VisibilityModeNever).
		MergeValues(true).
		FillOpacity(80).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(false))
}
