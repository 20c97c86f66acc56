package testenv

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStartPrometheus checks that a rule file passed with the config is
// found through a relative rule_files entry.
func TestStartPrometheus(t *testing.T) {
	const config = `global: {evaluation_interval: 1s}
rule_files: [rules/driftwatch.yml]
`
	const rules = `groups:
  - name: driftwatch
    rules:
      - record: driftwatch:up
        expr: vector(1)
`
	prom := StartPrometheus(t, config, map[string][]byte{"rules/driftwatch.yml": []byte(rules)})

	resp, err := http.Get(prom.URL + "/api/v1/rules")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		Data struct {
			Groups []struct {
				Name string `json:"name"`
			} `json:"groups"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Len(t, body.Data.Groups, 1)
	require.Equal(t, "driftwatch", body.Data.Groups[0].Name)
	require.FileExists(t, prom.LogPath)
}
