package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// switches records the switches of a replica's monitors.
type switches struct {
	got  []string
	fail error
}

func (s *switches) switchTo(_ context.Context, model, version, _ string) error {
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, model+"="+version)
	return nil
}

// TestChampionsFollowTheLeader: the leader's switches are published, a
// standby follows each once, a failed switch is retried, and a replica
// that starts later begins with the published champion.
func TestChampionsFollowTheLeader(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	leaderC, standbyC := newChampions(dir, log), newChampions(dir, log)
	var onLeader, onStandby switches
	ctx := t.Context()

	standbyC.sync(ctx, onStandby.switchTo)
	require.Empty(t, onStandby.got, "nothing published yet")

	require.NoError(t, leaderC.switchAndPublish(ctx, "churn", "v2", "/profiles/v2.json", onLeader.switchTo))
	leaderC.sync(ctx, onLeader.switchTo)
	require.Equal(t, []string{"churn=v2"}, onLeader.got, "the leader switched once, and does not follow itself")

	onStandby.fail = errors.New("its source is not running")
	standbyC.sync(ctx, onStandby.switchTo)
	onStandby.fail = nil
	standbyC.sync(ctx, onStandby.switchTo)
	standbyC.sync(ctx, onStandby.switchTo)
	require.Equal(t, []string{"churn=v2"}, onStandby.got, "the standby follows once, after its failed try")

	require.NoError(t, leaderC.switchAndPublish(ctx, "fraud", "v7", "file:///profiles/fraud-v7.json", onLeader.switchTo))
	require.NoError(t, leaderC.switchAndPublish(ctx, "churn", "v1", "/profiles/v1.json", onLeader.switchTo), "a rollback")
	standbyC.sync(ctx, onStandby.switchTo)
	if diff := cmp.Diff([]string{"churn=v2", "churn=v1", "fraud=v7"}, onStandby.got); diff != "" {
		t.Errorf("standby switches (-want +got):\n%s", diff)
	}

	got, err := newChampions(dir, log).read()
	require.NoError(t, err)
	require.Equal(t, map[string]champion{
		"churn": {Version: "v1", ProfileURI: "/profiles/v1.json"},
		"fraud": {Version: "v7", ProfileURI: "file:///profiles/fraud-v7.json"},
	}, got)
}

func TestChampionsLeaderSwitchFails(t *testing.T) {
	dir := t.TempDir()
	c := newChampions(dir, slog.New(slog.DiscardHandler))
	s := switches{fail: errors.New("no such model")}
	require.ErrorContains(t, c.switchAndPublish(t.Context(), "churn", "v2", "/p.json", s.switchTo), "no such model")
	_, err := os.Stat(filepath.Join(dir, ChampionsFile))
	require.ErrorIs(t, err, os.ErrNotExist, "a switch that failed here is not published")
}

func TestChampionsRejectsAnotherFormat(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ChampionsFile), []byte(`{"version":2,"models":{}}`), 0o644))
	_, err := newChampions(dir, slog.New(slog.DiscardHandler)).read()
	require.ErrorContains(t, err, "format version 2, want 1")
}

// TestGate: a standby answers the webhook and the API with 503 and
// Retry-After, naming the leader; a leader serves its term's routes.
func TestGate(t *testing.T) {
	leader := ""
	g := &gate{leader: func() string { return leader }, retryAfter: "2"}
	serve := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/v1/runs", nil))
		return w
	}

	w := serve()
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.Equal(t, "2", w.Header().Get("Retry-After"))
	require.Equal(t, "this driftwatch replica does not lead; try again\n", w.Body.String())

	leader = "driftwatch-7d9f-abcde"
	require.Contains(t, serve().Body.String(), "(the leader is driftwatch-7d9f-abcde)")

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/runs", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	g.open(mux)
	require.Equal(t, http.StatusCreated, serve().Code)
	g.close()
	require.Equal(t, http.StatusServiceUnavailable, serve().Code)
}
