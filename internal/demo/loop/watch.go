package loop

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/internal/app"
	"github.com/driftwatch/driftwatch/internal/demo"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/triggers"
)

// watcher turns what driftwatch publishes into the timeline, and decides
// whether the loop closed.
type watcher struct {
	d       *run
	a       *app.App
	shiftAt time.Time

	// What has been told already.
	driftWindows   uint64
	qualityWindows uint64
	drifting       bool
	driftKey       string // the version and drifted features last told
	breached       bool
	decisions      int
	runs           map[string]int // transitions told, by run
	verdicts       map[string]bool
	told           map[triggers.Outcome]bool // suppressions told once

	// The loop's progress.
	detected   bool   // drift or decay after the shift
	deployed   string // the version a verified run deployed
	verifiedAt time.Time
	resolved   bool // drift windows of the new version do not drift
	recovered  bool // its quality windows are above their thresholds
}

func newWatcher(d *run, a *app.App, shiftAt time.Time) *watcher {
	return &watcher{d: d, a: a, shiftAt: shiftAt, runs: map[string]int{}, verdicts: map[string]bool{}, told: map[triggers.Outcome]bool{}}
}

// poll tells what changed, and reports whether the loop has closed.
func (w *watcher) poll() (bool, error) {
	if s, ok := w.a.Snapshot(demo.ModelName); ok {
		w.monitor(s)
	}
	w.triggers()
	if err := w.pipelines(); err != nil {
		return false, err
	}
	if w.deployed != "" && w.resolved && w.recovered && time.Since(w.verifiedAt) >= 0 {
		w.d.say("the loop closed: %s serves, its inputs match its training data and its quality is back above the thresholds", w.deployed)
		return true, nil
	}
	return false, nil
}

// monitor tells about new drift and quality windows.
func (w *watcher) monitor(s *monitor.Snapshot) {
	if n := s.Windows(monitor.DriftWindow, monitor.WindowEvaluated); n != w.driftWindows && s.Drift != nil && !s.Drift.Skipped {
		w.driftWindows = n
		var drifted []string
		for _, f := range s.Drift.Features {
			if f.Drift {
				drifted = append(drifted, f.Feature)
			}
		}
		slices.Sort(drifted)
		ds := s.Drift.Dataset
		key := s.DriftVersion + ":" + strings.Join(drifted, ",")
		switch {
		case len(drifted) > 0 && key != w.driftKey:
			w.drifting = true
			if time.Now().After(w.shiftAt) {
				w.detected = true
			}
			w.d.say("drift: %d of %d features drifted against %s's training data (%s); share %.2f, threshold %.2f",
				ds.Drifted, ds.Features, s.DriftVersion, strings.Join(drifted, ", "), ds.Share, ds.Threshold)
		case len(drifted) == 0 && w.drifting:
			w.drifting = false
			w.d.say("drift resolved: no feature drifts against %s's training data", s.DriftVersion)
		}
		w.driftKey = key
		if len(drifted) == 0 && w.deployed != "" && s.DriftVersion == w.deployed {
			w.resolved = true
		}
	}
	if n := s.Windows(monitor.QualityWindow, monitor.WindowEvaluated); n != w.qualityWindows && s.Quality != nil && !s.Quality.Skipped {
		w.qualityWindows = n
		var bad, all []string
		for _, m := range s.Quality.Metrics {
			if !m.Defined {
				continue
			}
			all = append(all, fmt.Sprintf("%s %.3f", m.Metric, m.Value))
			if m.Breached {
				bad = append(bad, fmt.Sprintf("%s %.3f (threshold %.2f)", m.Metric, m.Value, m.Threshold))
			}
		}
		switch {
		case len(bad) > 0 && !w.breached:
			w.breached = true
			if time.Now().After(w.shiftAt) {
				w.detected = true
			}
			w.d.say("quality: %s falls behind: %s", s.QualityVersion, strings.Join(bad, ", "))
		case len(bad) == 0 && w.breached && s.QualityVersion == w.deployed:
			w.breached = false
			w.d.say("quality recovered with %s: %s", s.QualityVersion, strings.Join(all, ", "))
		}
		if len(bad) == 0 && w.deployed != "" && s.QualityVersion == w.deployed {
			w.recovered = true
		}
	}
}

// triggers tells the trigger engine's decisions that requested,
// suppressed or cancelled runs; duplicates of an alert are left out.
func (w *watcher) triggers() {
	ds, err := w.a.Engine().Decisions(context.Background(), 10000)
	if err != nil || len(ds) <= w.decisions {
		return
	}
	slices.SortStableFunc(ds, func(a, b triggers.Decision) int { return a.At.Compare(b.At) })
	for _, dec := range ds[w.decisions:] {
		switch dec.Outcome {
		case triggers.OutcomeDeduplicated, triggers.OutcomeUnmatched, triggers.OutcomeResolved:
			continue
		case triggers.OutcomeStarted, triggers.OutcomeQueued:
			w.d.say("trigger: %s fired → run %s requested", alertOf(dec), dec.RunID)
		default:
			if w.told[dec.Outcome] {
				continue
			}
			w.told[dec.Outcome] = true
			w.d.say("trigger: %s fired, %s: %s", alertOf(dec), dec.Outcome, dec.Reason)
		}
	}
	w.decisions = len(ds)
}

// alertOf names the alert behind a decision, from its dedup key
// (group key, fingerprint, start), or says "a trigger".
func alertOf(d triggers.Decision) string {
	for _, name := range []string{"DriftwatchDatasetDrift", "DriftwatchQualityBelowThreshold", "DriftwatchFeatureDrift"} {
		if strings.Contains(d.Key, name) || strings.Contains(d.Reason, name) {
			return name
		}
	}
	return "a trigger"
}

// pipelines tells each run's progress.
func (w *watcher) pipelines() error {
	runs, err := w.a.Runner().Runs(pipelines.RunFilter{Model: demo.ModelName})
	if err != nil {
		return err
	}
	slices.Reverse(runs) // oldest first
	for _, r := range runs {
		for _, tr := range r.History[w.runs[r.ID]:] {
			w.transition(r, tr)
		}
		w.runs[r.ID] = len(r.History)
	}
	return nil
}

// transition tells one state change of a run.
func (w *watcher) transition(r pipelines.Run, tr pipelines.Transition) {
	id := r.ID
	switch tr.To {
	case pipelines.StateQueued:
		w.d.say("run %s: queued (%s)", id, r.Reason)
	case pipelines.StateTraining:
		w.d.say("run %s: training a challenger on recent labelled data", id)
	case pipelines.StateEvaluating:
		if c := r.Challenger; c != nil {
			w.d.say("run %s: trained %s; evaluating it against the champion on the same holdout", id, c.Version)
		}
	case pipelines.StateGating:
		if c := r.Challenger; c != nil {
			w.d.say("run %s: challenger %s, champion %s", id, metrics(c.Metrics), metrics(c.ChampionMetrics))
		}
	case pipelines.StateDeploying:
		if v := r.Verdict; v != nil && !w.verdicts[id] {
			w.verdicts[id] = true
			w.d.say("run %s: the gate passes the challenger (%d checks)", id, v.Checked)
		}
		w.d.say("run %s: deploying", id)
	case pipelines.StateVerifying:
		w.d.say("run %s: deployed; the monitor now judges events against %s's training data; verifying for %s", id, versionOf(r), w.d.scaled(verifyFor))
	case pipelines.StateSucceeded:
		w.deployed, w.verifiedAt = versionOf(r), time.Now()
		w.d.say("run %s: verified; %s is the champion (%s)", id, w.deployed, tr.Note)
	case pipelines.StateRejected:
		var why []string
		if r.Verdict != nil {
			for _, f := range r.Verdict.Failures {
				why = append(why, f.Message)
			}
		}
		w.d.say("run %s: the gate keeps the champion: %s", id, strings.Join(why, "; "))
	case pipelines.StateRollingBack, pipelines.StateRolledBack:
		w.d.say("run %s: %s (%s)", id, tr.To, tr.Note)
	case pipelines.StateFailed, pipelines.StateCancelled:
		w.d.say("run %s: %s in %s: %s", id, tr.To, r.FailedStep, r.Error)
	}
}

// missing says what the loop still lacked when time ran out.
func (w *watcher) missing() string {
	switch {
	case !w.detected:
		return "no drift or decay was detected after the shift"
	case len(w.runs) == 0:
		return "no run was requested"
	case w.deployed == "":
		return "no retrained model was deployed and verified"
	case !w.resolved:
		return "drift against the new version's training data did not resolve"
	case !w.recovered:
		return "quality did not recover"
	}
	return "nothing"
}

func versionOf(r pipelines.Run) string {
	if r.Challenger != nil {
		return r.Challenger.Version
	}
	return "?"
}

// metrics prints a metric map in a stable order.
func metrics(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.3f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
