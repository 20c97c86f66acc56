package source

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/monitor"
)

// TestFeed pushes events into an embedded source: valid ones reach the
// monitor, bad ones are rejected with their reason, and the periodic sync
// publishes the windows.
func TestFeed(t *testing.T) {
	cfg := testModel(collectors.SourceEmbedded, 3)
	cfg.Source.File = collectors.FileSourceConfig{}
	e := newEnv(t, cfg, nil)
	f, err := NewFeed(FeedOptions{Model: cfg, Monitor: e.mon, Logger: discard(), Metrics: e.metrics, Now: func() time.Time { return *e.now }, SyncInterval: time.Millisecond})
	require.NoError(t, err)
	require.Error(t, f.Ready())
	require.Zero(t, metric(t, e.reg, "driftwatch_source_ready", "model", cfg.Name))
	require.Zero(t, testutil.CollectAndCount(e.metrics.replayFinished), "a feed replays nothing")
	for i := range 3 {
		o, err := f.Push(event.KindPrediction, []byte(prediction(i, t0.Add(time.Duration(i)*time.Second))))
		require.NoError(t, err)
		require.Equal(t, monitor.Accepted, o)
	}
	o, err := f.Push(event.KindPrediction, []byte(`{"id":`))
	require.Equal(t, monitor.Rejected, o)
	require.Equal(t, event.ReasonMalformedJSON, event.ReasonOf(err))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	require.Eventually(t, func() bool { return f.Ready() == nil && e.snap(t).WindowEvents(monitor.DriftWindow) == 3 }, 10*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, 1.0, metric(t, e.reg, "driftwatch_source_ready", "model", cfg.Name))
	s := e.snap(t)
	require.Equal(t, uint64(1), s.Rejections(event.ReasonMalformedJSON))

	_, err = NewFeed(FeedOptions{Model: testModel(collectors.SourceFile, 3), Monitor: e.mon, Logger: discard(), Metrics: e.metrics})
	require.ErrorContains(t, err, `model "churn" has no embedded source`)
}
