package silence

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/testenv"
)

// The alert names of the tests, as driftwatch's generated rules name them.
const (
	featureDrift = "DriftwatchFeatureDrift"
	datasetDrift = "DriftwatchDatasetDrift"
)

// TestAlertmanager runs against one private, real Alertmanager, shared by
// its subtests. Each subtest uses models of its own, so that they do not see
// each other's silences.
func TestAlertmanager(t *testing.T) {
	am := testenv.StartAlertmanager(t, testenv.NullAlertmanagerConfig)
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, am.URL) })
	t.Run("Matching", func(t *testing.T) { testMatching(t, am.URL) })
	t.Run("Unknown", func(t *testing.T) { testUnknown(t, am.URL) })
	t.Run("BearerToken", func(t *testing.T) { testBearerToken(t, am.URL) })
	t.Run("Rejected", func(t *testing.T) { testRejected(t, am.URL) })
}

// testLifecycle creates a silence, reads it back, and expires it twice.
func testLifecycle(t *testing.T, amURL string) {
	c := newClient(t, Options{URL: amURL})
	// Alertmanager keeps milliseconds.
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)

	id, err := c.SilenceModel(t.Context(), "lifecycle", []string{featureDrift, datasetDrift}, until, "run 42")
	require.NoError(t, err)
	require.NotEmpty(t, id)

	got, err := c.Get(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, StateActive, got.State)
	want := []Matcher{
		{Name: "model", Value: "lifecycle", IsEqual: true},
		{Name: "alertname", Value: datasetDrift + "|" + featureDrift, IsRegex: true, IsEqual: true},
	}
	if diff := cmp.Diff(want, got.Matchers); diff != "" {
		t.Errorf("matchers (-want +got):\n%s", diff)
	}
	require.True(t, until.Equal(got.EndsAt), "endsAt: want %s, got %s", until, got.EndsAt)
	require.Equal(t, DefaultCreatedBy, got.CreatedBy)
	require.Equal(t, "run 42", got.Comment)

	require.NoError(t, c.Expire(t.Context(), id))
	got, err = c.Get(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, StateExpired, got.State)

	// Expiring again is not an error: the run may end twice after a restart.
	require.NoError(t, c.Expire(t.Context(), id))

	require.Equal(t, 1.0, count(c, opCreate, resultSuccess))
	require.Equal(t, 2.0, count(c, opGet, resultSuccess))
	require.Equal(t, 2.0, count(c, opExpire, resultSuccess))
	require.Equal(t, 5.0, total(c))
}

// testMatching checks which alerts a model's silence mutes, twice: with the
// silence's matchers as `amtool silence query model=M` lists them, evaluated
// by Alertmanager's own matcher code, and by asking Alertmanager which live
// alerts the silence mutes.
func testMatching(t *testing.T, amURL string) {
	c := newClient(t, Options{URL: amURL})
	const model = "fraud.v2"
	odd := "Odd.Name|x" // metacharacters must match only themselves
	id, err := c.SilenceModel(t.Context(), model, []string{featureDrift, datasetDrift, odd}, time.Now().Add(time.Hour), "")
	require.NoError(t, err)

	cases := []struct {
		name   string
		labels map[string]string
		want   bool
	}{
		{"feature drift", map[string]string{"model": model, "alertname": featureDrift}, true},
		{"dataset drift", map[string]string{"model": model, "alertname": datasetDrift}, true},
		{"quoted name", map[string]string{"model": model, "alertname": odd}, true},
		{"other alert", map[string]string{"model": model, "alertname": "DriftwatchStalledInput"}, false},
		{"prefix of a name", map[string]string{"model": model, "alertname": "DriftwatchFeature"}, false},
		{"dot is not a wildcard", map[string]string{"model": model, "alertname": "OddXName|x"}, false},
		{"bar is not an alternative", map[string]string{"model": model, "alertname": "x"}, false},
		{"other model", map[string]string{"model": "fraud.v3", "alertname": featureDrift}, false},
		{"model dot is literal", map[string]string{"model": "fraudXv2", "alertname": featureDrift}, false},
	}

	listed := querySilences(t, amURL, `model="`+model+`"`)
	i := slices.IndexFunc(listed, func(s Silence) bool { return s.ID == id })
	require.GreaterOrEqual(t, i, 0, "silence %s is not listed for model %s", id, model)
	require.Equal(t, StateActive, listed[i].State)
	for _, tc := range cases {
		t.Run("matchers/"+tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, matches(t, listed[i].Matchers, tc.labels))
		})
	}

	var alerts []map[string]string
	for _, tc := range cases {
		alerts = append(alerts, tc.labels)
	}
	postAlerts(t, amURL, alerts)
	silencedBy := alertSilences(t, amURL)
	for _, tc := range cases {
		t.Run("alertmanager/"+tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, slices.Contains(silencedBy[tc.labels["model"]+"/"+tc.labels["alertname"]], id))
		})
	}
}

// testUnknown covers IDs Alertmanager does not know, or cannot parse.
func testUnknown(t *testing.T, amURL string) {
	const unknown = "00000000-0000-4000-8000-000000000000"
	c := newClient(t, Options{URL: amURL})

	require.NoError(t, c.Expire(t.Context(), unknown), "an unknown silence counts as expired")
	require.Equal(t, 1.0, count(c, opExpire, resultNotFound))

	_, err := c.Get(t.Context(), unknown)
	require.ErrorIs(t, err, ErrNotFound)
	require.Equal(t, 1.0, count(c, opGet, resultNotFound))

	// A malformed ID is a bug in the caller, not a missing silence.
	err = c.Expire(t.Context(), "not-a-uuid")
	require.ErrorContains(t, err, "alertmanager answered 422 Unprocessable Entity: silenceID in path must be of type uuid")
	require.NotErrorIs(t, err, ErrNotFound)
	require.Equal(t, 1.0, count(c, opExpire, resultClientError))
}

// testBearerToken puts a proxy that demands a token in front of
// Alertmanager.
func testBearerToken(t *testing.T, amURL string) {
	const token = "s3cret"
	target, err := url.Parse(amURL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		name, token, wantErr string
	}{
		{"right token", token, ""},
		{"no token", "", "alertmanager answered 401 Unauthorized: missing or wrong bearer token"},
		{"wrong token", "guess", "alertmanager answered 401 Unauthorized: missing or wrong bearer token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, Options{URL: srv.URL, BearerToken: tc.token})
			id, err := c.SilenceModel(t.Context(), "bearer", []string{featureDrift}, time.Now().Add(time.Hour), "")
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Equal(t, 1.0, count(c, opCreate, resultClientError))
				return
			}
			require.NoError(t, err)
			require.NoError(t, c.Expire(t.Context(), id))
			require.Equal(t, 1.0, count(c, opCreate, resultSuccess))
		})
	}
}

// testRejected sends silences that SilenceModel would refuse, to check that
// Alertmanager's explanation reaches the caller.
func testRejected(t *testing.T, amURL string) {
	now := time.Now()
	for _, tc := range []struct {
		name     string
		matchers []Matcher
		endsAt   time.Time
		wantErr  string
	}{
		{
			name:     "ends before it starts",
			matchers: []Matcher{{Name: "model", Value: "rejected", IsEqual: true}},
			endsAt:   now.Add(-time.Minute),
			wantErr:  "alertmanager answered 400 Bad Request: Failed to create silence: start time must be before end time",
		},
		{
			name:     "invalid regular expression",
			matchers: []Matcher{{Name: "alertname", Value: "(", IsRegex: true, IsEqual: true}},
			endsAt:   now.Add(time.Hour),
			wantErr:  "alertmanager answered 400 Bad Request",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, Options{URL: amURL})
			_, err := c.post(t.Context(), postable(tc.matchers, now, tc.endsAt, DefaultCreatedBy, "rejected"))
			require.ErrorContains(t, err, "POST /api/v2/silences: "+tc.wantErr)
			require.Equal(t, 1.0, count(c, opCreate, resultClientError))
		})
	}
}

// querySilences is `amtool silence query FILTER`: GET /api/v2/silences.
func querySilences(t *testing.T, amURL, filter string) []Silence {
	t.Helper()
	var gs models.GettableSilences
	getJSON(t, amURL+"/api/v2/silences?"+url.Values{"filter": {filter}}.Encode(), &gs)
	var out []Silence
	for _, g := range gs {
		s, err := fromGettable(g)
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}

// matches evaluates a silence's matchers on a label set with Alertmanager's
// matcher code, which anchors regular expressions as the server does.
func matches(t *testing.T, ms []Matcher, lset map[string]string) bool {
	t.Helper()
	for _, m := range ms {
		typ := map[[2]bool]labels.MatchType{
			{false, true}: labels.MatchEqual, {false, false}: labels.MatchNotEqual,
			{true, true}: labels.MatchRegexp, {true, false}: labels.MatchNotRegexp,
		}[[2]bool{m.IsRegex, m.IsEqual}]
		lm, err := labels.NewMatcher(typ, m.Name, m.Value)
		require.NoError(t, err)
		if !lm.Matches(lset[m.Name]) {
			return false
		}
	}
	return true
}

// postAlerts fires alerts with the given label sets.
func postAlerts(t *testing.T, amURL string, lsets []map[string]string) {
	t.Helper()
	var alerts models.PostableAlerts
	for _, l := range lsets {
		alerts = append(alerts, &models.PostableAlert{Alert: models.Alert{Labels: l}})
	}
	body, err := json.Marshal(alerts)
	require.NoError(t, err)
	resp, err := http.Post(amURL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// alertSilences maps each live alert, as "model/alertname", to the
// silences that Alertmanager says mute it.
func alertSilences(t *testing.T, amURL string) map[string][]string {
	t.Helper()
	var alerts models.GettableAlerts
	getJSON(t, amURL+"/api/v2/alerts", &alerts)
	out := map[string][]string{}
	for _, a := range alerts {
		out[a.Labels["model"]+"/"+a.Labels["alertname"]] = a.Status.SilencedBy
	}
	return out
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
}
