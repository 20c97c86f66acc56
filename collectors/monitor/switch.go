package monitor

import (
	"errors"
	"fmt"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift"
)

// Switch makes the monitor judge the model's events against a new model
// version and the reference profile of its training data, as after a
// deploy: drift measured against the old training data would otherwise
// persist after a retrain that answered it.
//
// The windows open at the switch are closed at once and published with the
// next Sync, as windows of the old version; partial ones are skipped when
// they hold fewer than window.min_events events. The closed-until mark does
// not move, so events of the new version in the same time range open new
// windows rather than arriving late. Predictions waiting for labels were
// made by the old version: their labels still count in the join metrics,
// but the pairs are left out of the new version's quality windows (join
// outcome other_version), and so are pairs of predictions whose
// model_version field names another version.
//
// The profile must hold the configured features, as at New. On error
// nothing changes.
func (m *Monitor) Switch(version string, p *drift.Profile) error {
	if version == "" {
		return errors.New("switch model version: the version is empty")
	}
	if errs := checkProfile(m.cfg, p); len(errs) > 0 {
		return fmt.Errorf("switch model %q to version %s: %w", m.cfg.Name, version, errors.Join(errs...))
	}
	eval, err := drift.NewEvaluator(p, evaluateOptions(m.cfg))
	if err != nil {
		return fmt.Errorf("switch model %q to version %s: %w", m.cfg.Name, version, err)
	}
	wopts := drift.WindowOptions{SampleSize: m.cfg.Reference.SampleSize, Seed: m.seed}
	probe, err := drift.NewWindow(p, wopts)
	if err != nil {
		return fmt.Errorf("switch model %q to version %s: %w", m.cfg.Name, version, err)
	}

	m.closeDrift(m.drift.closeOpen(m.closedD[:0]))
	if m.join != nil {
		m.closeQuality(m.quality.closeOpen(m.closedQ[:0]))
		m.join.retire()
		m.joinSave.changed = true
	}
	m.eval, m.profile = eval, p
	m.setColumns(p)
	// Released windows were sized for the old profile.
	m.drift.free = append(m.drift.free[:0], &slot[*drift.Window]{acc: probe})
	m.drift.newAcc = func() (*drift.Window, error) { return drift.NewWindow(p, wopts) }
	old := m.version
	m.version = version
	m.versionWindows = [len(windowKinds)]uint64{}
	m.pending.versionWindows = [len(windowKinds)]uint64{}
	m.log.Info("model version switched", "from", old, "to", version)
	return nil
}

// Version returns the model version the monitor judges events against.
func (m *Monitor) Version() string { return m.version }

// otherVersion reports whether a prediction names a model version other
// than the current one. A prediction without a version is the current
// version's.
func (m *Monitor) otherVersion(ev *event.Event) bool {
	return len(ev.ModelVersion) > 0 && m.version != "" && string(ev.ModelVersion) != m.version
}

// closeOpen closes every open window without moving the closed-until mark
// of time windows, so that later events for the same time range open new
// windows.
func (w *windower[A]) closeOpen(closed []*slot[A]) []*slot[A] {
	if !w.timed() {
		return w.closeAll(closed)
	}
	closed = append(closed, w.open...)
	clear(w.open)
	w.open = w.open[:0]
	return closed
}

// retire marks every prediction held as made by a version that is no
// longer current.
func (j *joiner) retire() {
	for i := j.head; i < len(j.queue); i++ {
		j.queue[i].other = true
	}
}
