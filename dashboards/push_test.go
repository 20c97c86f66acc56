package dashboards_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/dashboards"
	"github.com/driftwatch/driftwatch/dashboards/grafanatest"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

const token = "glsa_test"

func pushOptions(g *grafanatest.Server) dashboards.PushOptions {
	return dashboards.PushOptions{URL: g.URL, Token: token, Folder: "driftwatch"}
}

func changes(results []dashboards.PushResult) map[string]dashboards.Change {
	out := map[string]dashboards.Change{}
	for _, r := range results {
		out[r.UID] = r.Change
	}
	return out
}

func all(ds []dashboards.Dashboard, c dashboards.Change) map[string]dashboards.Change {
	out := map[string]dashboards.Change{}
	for _, d := range ds {
		out[d.UID] = c
	}
	return out
}

// TestPushIsIdempotent pushes the example's dashboards to a Grafana three
// times: the first push creates the folder and the dashboards, the second
// changes nothing, and after someone edits one in Grafana the third
// restores that one only.
func TestPushIsIdempotent(t *testing.T) {
	g := grafanatest.New(token)
	defer g.Close()
	ds := generate(t, exampleConfig)
	ctx := context.Background()

	results, err := dashboards.Push(ctx, ds, pushOptions(g))
	require.NoError(t, err)
	require.Equal(t, all(ds, dashboards.Created), changes(results))
	require.Equal(t, []grafanatest.Folder{{ID: 1, UID: dashboards.FolderUID("driftwatch"), Title: "driftwatch"}}, g.Folders())
	for _, d := range ds {
		model, folder, version, ok := g.Dashboard(d.UID)
		require.True(t, ok, d.UID)
		require.Equal(t, dashboards.FolderUID("driftwatch"), folder)
		require.Equal(t, int64(1), version)
		require.Equal(t, d.Title, model["title"])
	}

	results, err = dashboards.Push(ctx, ds, pushOptions(g))
	require.NoError(t, err)
	require.Equal(t, all(ds, dashboards.Unchanged), changes(results))
	_, _, version, _ := g.Dashboard(dashboards.FleetUID)
	require.Equal(t, int64(1), version, "an unchanged dashboard is not saved again")

	g.Edit(dashboards.FleetUID, func(m map[string]any) { m["title"] = "edited by hand" })
	results, err = dashboards.Push(ctx, ds, pushOptions(g))
	require.NoError(t, err)
	want := all(ds, dashboards.Unchanged)
	want[dashboards.FleetUID] = dashboards.Updated
	if diff := cmp.Diff(want, changes(results)); diff != "" {
		t.Errorf("third push (-want +got):\n%s", diff)
	}
	model, _, version, _ := g.Dashboard(dashboards.FleetUID)
	require.Equal(t, ds[0].Title, model["title"])
	require.Equal(t, int64(3), version)
	require.Len(t, g.Folders(), 1, "the folder is reused")
}

// TestPushFolders checks that Push uses a folder with the configured
// title that someone else made, and moves a dashboard that sits in
// another folder.
func TestPushFolders(t *testing.T) {
	g := grafanatest.New(token)
	defer g.Close()
	g.AddFolder("ops", "operations")
	g.AddFolder("made-by-hand", "driftwatch")
	ds := generate(t, exampleConfig)
	ctx := context.Background()

	opts := pushOptions(g)
	opts.Folder = "operations"
	_, err := dashboards.Push(ctx, ds[:1], opts)
	require.NoError(t, err)
	_, folder, _, _ := g.Dashboard(ds[0].UID)
	require.Equal(t, "ops", folder)

	results, err := dashboards.Push(ctx, ds[:1], pushOptions(g))
	require.NoError(t, err)
	require.Equal(t, dashboards.Updated, results[0].Change, "moved to the driftwatch folder")
	_, folder, _, _ = g.Dashboard(ds[0].UID)
	require.Equal(t, "made-by-hand", folder)
	require.Len(t, g.Folders(), 2, "no folder was created")
}

func TestPushErrors(t *testing.T) {
	g := grafanatest.New(token)
	defer g.Close()
	ds := generate(t, exampleConfig)
	tests := []struct {
		name    string
		opts    func(o *dashboards.PushOptions)
		ds      []dashboards.Dashboard
		wantErr string
	}{
		{name: "wrong token", opts: func(o *dashboards.PushOptions) { o.Token = "nope" }, ds: ds,
			wantErr: "GET /api/folders/" + dashboards.FolderUID("driftwatch") + ": 401 Unauthorized: invalid API key"},
		{name: "not a URL", opts: func(o *dashboards.PushOptions) { o.URL = "grafana:3000" }, ds: ds,
			wantErr: `grafana URL "grafana:3000" is not an http(s) URL with a host`},
		{name: "no folder", opts: func(o *dashboards.PushOptions) { o.Folder = "" }, ds: ds, wantErr: "grafana folder must not be empty"},
		{name: "nothing listens", opts: func(o *dashboards.PushOptions) {
			o.URL = "http://" + testenv.FreeAddr(t)
			o.Client = &http.Client{}
		}, ds: ds, wantErr: "connection refused"},
		{name: "a dashboard Grafana rejects", ds: []dashboards.Dashboard{ds[1], {UID: "untitled", JSON: []byte(`{"uid":"untitled"}`)}},
			wantErr: "dashboard untitled: POST /api/dashboards/db: 400 Bad Request: Dashboard title cannot be empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := pushOptions(g)
			if tc.opts != nil {
				tc.opts(&opts)
			}
			results, err := dashboards.Push(context.Background(), tc.ds, opts)
			require.ErrorContains(t, err, tc.wantErr)
			if tc.name == "a dashboard Grafana rejects" {
				require.Equal(t, map[string]dashboards.Change{ds[1].UID: dashboards.Created}, changes(results), "the others are pushed")
			}
		})
	}
}
