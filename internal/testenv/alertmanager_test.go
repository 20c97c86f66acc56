package testenv

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStartAlertmanager(t *testing.T) {
	am := StartAlertmanager(t, NullAlertmanagerConfig)

	resp, err := http.Get(am.URL + "/api/v2/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var status struct {
		Cluster struct {
			Status string `json:"status"`
		} `json:"cluster"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&status))
	require.Equal(t, "disabled", status.Cluster.Status, "clustering must be off, so parallel instances never gossip")
}
