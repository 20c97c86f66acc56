package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// datasourceVariable chooses the Prometheus datasource, by default the
// one grafana.datasource_uid names.
func datasourceVariable(uid string) *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder(varDatasource).
		Label("Data source").
		Type("prometheus").
		Current(option(uid))
}

// modelConstant pins a model dashboard to its model. It is hidden: the
// dashboard's features and thresholds are the model's own.
func modelConstant(model string) *dashboard.ConstantVariableBuilder {
	return dashboard.NewConstantVariableBuilder(varModel).
		Label("Model").
		Value(dashboard.StringOrMap{String: cog.ToPtr(model)})
}

// choice is a variable whose values are listed in the configuration,
// with several or all of them selectable and all selected by default.
func choice(name, label string, values []string) *dashboard.CustomVariableBuilder {
	return dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Values(dashboard.StringOrMap{String: cog.ToPtr(customValues(values))}).
		Multi(true).
		IncludeAll(true).
		Current(dashboard.VariableOption{
			Selected: cog.ToPtr(true),
			Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
			Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
		})
}

// customValues is the query of a custom variable: its values separated by
// commas, with commas inside a value escaped as Grafana reads them.
func customValues(values []string) string {
	escaped := make([]string, len(values))
	for i, v := range values {
		escaped[i] = strings.ReplaceAll(v, ",", `\,`)
	}
	return strings.Join(escaped, ",")
}

func option(value string) dashboard.VariableOption {
	return dashboard.VariableOption{
		Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr(value)},
		Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(value)},
	}
}
