package source

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/monitor"
)

// replay runs a file source over the given files to the end.
func replay(t *testing.T, cfg collectors.ModelConfig, opts FileOptions) *env {
	t.Helper()
	e := newEnv(t, cfg, nil)
	opts.Model, opts.Monitor, opts.Logger, opts.Metrics = cfg, e.mon, discard(), e.metrics
	f, err := NewFile(opts)
	require.NoError(t, err)
	require.Error(t, f.Ready(), "not ready before Run")
	require.NoError(t, f.Run(context.Background()))
	require.NoError(t, f.Ready())
	require.True(t, f.Finished())
	require.Equal(t, 1.0, metric(t, e.reg, "driftwatch_source_replay_finished", "model", cfg.Name))
	return e
}

// TestFileReplay replays JSON Lines and CSV files with good and bad
// records, and checks what the monitor counted: every good record in a
// published window, every bad one rejected with its reason.
func TestFileReplay(t *testing.T) {
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	var preds, labels []string
	for i := range 150 {
		preds = append(preds, prediction(i, at(i)))
		if i%2 == 0 {
			labels = append(labels, label(i, at(i+5), "yes"))
		}
	}
	csvHeader := "id,timestamp,features.tenure,plan,prediction,score"
	csvRow := func(i int) string {
		return fmt.Sprintf("p%d,%s,%d,basic,no,0.1", i, at(i).Format(time.RFC3339), i%40)
	}
	tests := []struct {
		name        string
		format      collectors.FileFormat
		preds       []string
		maxLine     int
		accepted    uint64
		rejected    map[event.Reason]uint64
		labels      bool
		wantWindows uint64
	}{
		{
			name: "jsonl", preds: preds, labels: true, accepted: 150, wantWindows: 3,
		},
		{
			name: "jsonl with bad lines",
			preds: append(append([]string{
				`{"id":"p-1","timestamp":`, // cut short
				"",                         // blank lines are skipped
				"   ",                      //
				`[1,2]`,                    // not an object
				`{"id":"p-2","features":{"tenure":1},"prediction":"no"}`, // no timestamp
				prediction(1000, at(1)) + "\r",                           // CRLF ending
			}, preds...), `{"id":"p-3","model":"churn","timestamp":"2026-03-02T10:00:01Z","prediction":"no","padding":"`+strings.Repeat("x", 600)+`"}`),
			maxLine: 512, labels: true, accepted: 151, wantWindows: 3,
			rejected: map[event.Reason]uint64{
				event.ReasonMalformedJSON: 1, event.ReasonNotAnObject: 1, event.ReasonMissingField: 1, event.ReasonOversized: 1,
			},
		},
		{
			name: "csv", format: collectors.FormatCSV, accepted: 3, wantWindows: 1,
			preds: []string{csvHeader, csvRow(1), csvRow(2), `p3,"bad"quote,1,basic,no,0.1`, "p4,2026-03-02T10:00:04Z,1,basic", csvRow(5)},
			rejected: map[event.Reason]uint64{
				event.ReasonMalformedCSV: 2,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testModel(collectors.SourceFile, 0)
			ext := ".jsonl"
			if tc.format == collectors.FormatCSV {
				ext = ".csv"
			}
			cfg.Source.File.Path = writeFile(t, "predictions"+ext, tc.preds...)
			if tc.labels {
				cfg.Source.File.LabelsPath = writeFile(t, "labels.jsonl", labels...)
			}
			e := replay(t, cfg, FileOptions{MaxLineBytes: tc.maxLine})
			s := e.snap(t)
			require.Equal(t, tc.accepted, s.Events(monitor.StreamPredictions, monitor.Accepted))
			require.Equal(t, tc.accepted, s.WindowEvents(monitor.DriftWindow), "every accepted event is in a published window")
			require.Equal(t, tc.wantWindows, s.Windows(monitor.DriftWindow, monitor.WindowEvaluated))
			var total uint64
			for reason, n := range tc.rejected {
				require.Equal(t, n, s.Rejections(reason), "rejections for %s", reason)
				total += n
			}
			require.Equal(t, total, s.Events(monitor.StreamPredictions, monitor.Rejected))
			if tc.labels {
				require.Equal(t, uint64(75), s.Joins(monitor.JoinJoined))
			}
		})
	}
}

// TestFileMergesByEventTime replays predictions and labels whose label
// TTL is shorter than the replay: read one file after the other, every
// prediction would have expired before its label came; merged by time,
// every label meets its prediction.
func TestFileMergesByEventTime(t *testing.T) {
	cfg := testModel(collectors.SourceFile, 0)
	cfg.Label.TTL = time.Minute
	var preds, labels []string
	for i := range 120 {
		at := t0.Add(time.Duration(i) * 30 * time.Second) // an hour of events
		preds = append(preds, prediction(i, at))
		labels = append(labels, label(i, at.Add(10*time.Second), "no"))
	}
	cfg.Source.File.Path = writeFile(t, "predictions.jsonl", preds...)
	cfg.Source.File.LabelsPath = writeFile(t, "labels.jsonl", labels...)
	s := replay(t, cfg, FileOptions{}).snap(t)
	require.Equal(t, uint64(120), s.Joins(monitor.JoinJoined))
	require.Zero(t, s.Joins(monitor.JoinUnmatched))
	require.Equal(t, uint64(120), s.WindowEvents(monitor.QualityWindow))
}

// TestFileErrors checks the failures that stop a replay, as opposed to
// records that are rejected.
func TestFileErrors(t *testing.T) {
	tests := []struct {
		name  string
		path  func(t *testing.T) string
		want  string
		atNew bool
	}{
		{name: "missing file", path: func(t *testing.T) string { return t.TempDir() + "/nope.jsonl" }, want: "no such file or directory"},
		{name: "csv header without the prediction", path: func(t *testing.T) string {
			return writeFile(t, "p.csv", "id,timestamp,tenure,plan", "p1,2026-03-02T10:00:00Z,1,basic")
		}, want: `csv header: no column for the prediction or the score (want a column named "prediction" or "score")`},
		{name: "empty csv", path: func(t *testing.T) string { return writeFile(t, "p.csv") }, want: "it needs a header row"},
		{name: "unknown format", path: func(t *testing.T) string { return writeFile(t, "p.txt", "{}") }, want: "cannot tell the format", atNew: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testModel(collectors.SourceFile, 0)
			cfg.Source.File.Path = tc.path(t)
			e := newEnv(t, cfg, nil)
			f, err := NewFile(FileOptions{Model: cfg, Monitor: e.mon, Logger: discard(), Metrics: e.metrics})
			if tc.atNew {
				require.ErrorContains(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			err = f.Run(context.Background())
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, cfg.Source.File.Path)
			require.False(t, f.Finished())
		})
	}
}

func TestNewFileOptions(t *testing.T) {
	_, err := NewFile(FileOptions{Model: testModel(collectors.SourceKafka, 0), MaxLineBytes: -1})
	require.EqualError(t, err, `source: FileOptions.Monitor is required
source: FileOptions.Logger is required
source: FileOptions.Metrics is required
source: model "churn" has no file source
source: FileOptions.SyncInterval, MaxLineBytes and LogEvery must be positive`)
}

// TestFileCancel checks that a replay stops when its context ends, without
// flushing partial windows.
func TestFileCancel(t *testing.T) {
	cfg := testModel(collectors.SourceFile, 0)
	var preds []string
	for i := range 2000 {
		preds = append(preds, prediction(i, t0.Add(time.Duration(i)*time.Second)))
	}
	cfg.Source.File.Path = writeFile(t, "predictions.jsonl", preds...)
	e := newEnv(t, cfg, nil)
	f, err := NewFile(FileOptions{Model: cfg, Monitor: e.mon, Logger: discard(), Metrics: e.metrics})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, f.Run(ctx))
	require.False(t, f.Finished())
	require.Zero(t, metric(t, e.reg, "driftwatch_source_replay_finished", "model", "churn"))
}
