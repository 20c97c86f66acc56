package grafanatest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// call sends a request with the right token unless auth is given, and
// returns the status and the decoded answer.
func call(t *testing.T, s *Server, method, path, body string, auth ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer tok")
	if len(auth) > 0 {
		req.Header.Set("Authorization", auth[0])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(data) > 0 && data[0] == '{' {
		require.NoError(t, json.Unmarshal(data, &out))
	}
	return resp.StatusCode, out
}

// TestGrafanaAnswers checks the answers that package dashboards relies
// on, in the order a user of the API meets them.
func TestGrafanaAnswers(t *testing.T) {
	s := New("tok")
	defer s.Close()
	steps := []struct {
		name, method, path, body string
		auth                     []string
		wantStatus               int
		want                     map[string]any
	}{
		{name: "no token", method: "GET", path: "/api/folders", auth: []string{""}, wantStatus: 401, want: map[string]any{"message": "invalid API key"}},
		{name: "missing folder", method: "GET", path: "/api/folders/f1", wantStatus: 404},
		{name: "create folder", method: "POST", path: "/api/folders", body: `{"uid":"f1","title":"driftwatch"}`, wantStatus: 200,
			want: map[string]any{"id": 1.0, "uid": "f1", "title": "driftwatch"}},
		{name: "same title", method: "POST", path: "/api/folders", body: `{"uid":"f2","title":"driftwatch"}`, wantStatus: 409},
		{name: "same uid", method: "POST", path: "/api/folders", body: `{"uid":"f1","title":"other"}`, wantStatus: 409},
		{name: "untitled folder", method: "POST", path: "/api/folders", body: `{"uid":"f3"}`, wantStatus: 400},
		{name: "missing dashboard", method: "GET", path: "/api/dashboards/uid/d1", wantStatus: 404, want: map[string]any{"message": "Dashboard not found"}},
		{name: "create dashboard", method: "POST", path: "/api/dashboards/db", body: `{"dashboard":{"uid":"d1","title":"One"},"folderUid":"f1"}`, wantStatus: 200,
			want: map[string]any{"id": 2.0, "uid": "d1", "url": "/d/d1/one", "status": "success", "version": 1.0, "slug": "one"}},
		{name: "stale version", method: "POST", path: "/api/dashboards/db", body: `{"dashboard":{"uid":"d1","title":"One","version":0},"folderUid":"f1"}`,
			wantStatus: 412, want: map[string]any{"message": "The dashboard has been changed by someone else", "status": "version-mismatch"}},
		{name: "current version", method: "POST", path: "/api/dashboards/db", body: `{"dashboard":{"uid":"d1","title":"One","version":1},"folderUid":"f1"}`,
			wantStatus: 200, want: map[string]any{"id": 2.0, "uid": "d1", "url": "/d/d1/one", "status": "success", "version": 2.0, "slug": "one"}},
		{name: "same title in the folder", method: "POST", path: "/api/dashboards/db", body: `{"dashboard":{"uid":"d2","title":"One"},"folderUid":"f1"}`,
			wantStatus: 412, want: map[string]any{"message": "A dashboard with the same name in the folder already exists", "status": "name-exists"}},
		{name: "overwrite", method: "POST", path: "/api/dashboards/db", body: `{"dashboard":{"uid":"d1","title":"One","panels":[]},"folderUid":"f1","overwrite":true}`,
			wantStatus: 200, want: map[string]any{"id": 2.0, "uid": "d1", "url": "/d/d1/one", "status": "success", "version": 3.0, "slug": "one"}},
		{name: "unknown folder", method: "POST", path: "/api/dashboards/db", body: `{"dashboard":{"uid":"d3","title":"Three"},"folderUid":"nope"}`, wantStatus: 400},
		{name: "get dashboard", method: "GET", path: "/api/dashboards/uid/d1", wantStatus: 200, want: map[string]any{
			"dashboard": map[string]any{"id": 2.0, "uid": "d1", "title": "One", "version": 3.0, "panels": []any{}},
			"meta": map[string]any{"type": "db", "isFolder": false, "canSave": true, "slug": "one", "url": "/d/d1/one", "version": 3.0,
				"folderUid": "f1", "folderTitle": "driftwatch"},
		}},
	}
	for _, st := range steps {
		status, got := call(t, s, st.method, st.path, st.body, st.auth...)
		require.Equal(t, st.wantStatus, status, st.name)
		if st.want != nil {
			require.Equal(t, st.want, got, st.name)
		}
	}
}

func TestListFoldersPages(t *testing.T) {
	s := New("tok")
	defer s.Close()
	for _, title := range []string{"c", "a", "b"} {
		s.AddFolder("uid-"+title, title)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{query: "", want: []string{"a", "b", "c"}},
		{query: "?limit=2&page=1", want: []string{"a", "b"}},
		{query: "?limit=2&page=2", want: []string{"c"}},
		{query: "?limit=2&page=3", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL+"/api/folders"+tc.query, nil)
			req.Header.Set("Authorization", "Bearer tok")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var fs []Folder
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&fs))
			titles := []string{}
			for _, f := range fs {
				titles = append(titles, f.Title)
			}
			require.Equal(t, tc.want, titles)
		})
	}
}
