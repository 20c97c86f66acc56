package monitor

import (
	"time"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift"
)

// Observe applies one decoded event read at pos and returns what became of
// it. It never blocks: windows that the event closes are evaluated at
// once, and their results wait for the next Sync to be published.
func (m *Monitor) Observe(ev *event.Event, pos Position) Outcome {
	o, _ := m.ObserveReason(ev, pos)
	return o
}

// ObserveReason is Observe that also says why an event was rejected: the
// reason it was counted under, or "" when it was not rejected. Sources use
// it to log and dead-letter the event under the same reason.
func (m *Monitor) ObserveReason(ev *event.Event, pos Position) (Outcome, event.Reason) {
	p := m.parts.see(pos)
	st := streamIndex(ev.Kind)
	t := ev.Time.UnixNano()
	now := m.now().UnixNano()
	if m.skew >= 0 && t > now+m.skew {
		m.reject(st, ReasonFutureTimestamp)
		return Rejected, ReasonFutureTimestamp
	}
	var o int
	var err error
	if ev.Kind == event.KindLabel {
		o, err = m.observeLabel(ev, p, pos.Offset, t, now)
	} else {
		o, err = m.observeDrift(ev, p, pos.Offset, t, now)
	}
	if err != nil {
		m.log.Error("event dropped: cannot open a window", "error", err)
		m.reject(st, ReasonOther)
		return Rejected, ReasonOther
	}
	m.counts.events[st][o]++
	return outcomes[o], ""
}

// Reject counts an event that could not be decoded, read at pos. Its
// offset counts as done: nothing waits for it.
func (m *Monitor) Reject(k event.Kind, reason event.Reason, pos Position) {
	m.parts.see(pos)
	m.reject(streamIndex(k), reason)
}

func (m *Monitor) reject(st int, reason event.Reason) {
	i, ok := m.reasons[reason]
	if !ok {
		i = m.reasons[ReasonOther]
	}
	m.counts.rejections[i]++
	m.counts.events[st][outcomeRejected]++
}

// observeDrift adds a prediction or features event to its drift window,
// and holds a prediction for its label. A prediction late for its drift
// window still waits for its label: after a restart it is one that was
// read before, whose drift window was published but whose place in the
// label join was not saved.
func (m *Monitor) observeDrift(ev *event.Event, p int, offset, t, now int64) (int, error) {
	o, err := m.windowDrift(ev, p, offset, t, now)
	if err == nil && m.join != nil && ev.Kind == event.KindPrediction && len(ev.ID) > 0 {
		w := m.pairing.prediction(ev)
		w.other = m.otherVersion(ev)
		if m.join.add(ev.ID, w) {
			m.joinSave.hold(p, offset)
		}
	}
	return o, err
}

// windowDrift adds a prediction or features event to its drift window.
func (m *Monitor) windowDrift(ev *event.Event, p int, offset, t, now int64) (int, error) {
	ok, closed := m.drift.advance(t, now, p, offset, m.closedD[:0])
	m.closeDrift(closed)
	if !ok {
		return outcomeLate, nil
	}
	s, closed, err := m.drift.slotFor(t, m.closedD[:0])
	m.closeDrift(closed)
	if err != nil {
		return 0, err
	}
	if s == nil {
		return outcomeLate, nil
	}
	m.add(s.acc, ev)
	m.closeDrift(m.drift.record(s, p, offset, m.closedD[:0]))
	return outcomeAccepted, nil
}

// add feeds an event's values to a drift window.
func (m *Monitor) add(w *drift.Window, ev *event.Event) {
	if ev.Kind == event.KindFeatures || m.featuresFromPredictions {
		for i, c := range m.columns {
			if c.disabled {
				continue
			}
			v := event.Value{Missing: true}
			if i < len(ev.Features) {
				v = ev.Features[i]
			}
			switch {
			case c.numeric && v.Missing:
				w.Numeric(c.index).AddMissing()
			case c.numeric:
				w.Numeric(c.index).Add(v.Num)
			default:
				w.Categorical(c.index).AddBytes(v.Text) // empty is missing
			}
		}
	}
	if ev.Kind == event.KindPrediction {
		if a := w.PredictionNumeric(); a != nil {
			if ev.Prediction.Missing {
				a.AddMissing()
			} else {
				a.Add(ev.Prediction.Num)
			}
		} else if a := w.PredictionCategorical(); a != nil {
			a.AddBytes(ev.Prediction.Text)
		}
	}
	w.AddEvents(1)
}

// observeLabel joins a label event to its prediction and adds the pair to
// the quality window of the label's time.
func (m *Monitor) observeLabel(ev *event.Event, p int, offset, t, now int64) (int, error) {
	if m.join == nil {
		return outcomeAccepted, nil // the model does not join labels
	}
	ok, closed := m.quality.advance(t, now, p, offset, m.closedQ[:0])
	m.closeQuality(closed)
	if !ok {
		return outcomeLate, nil
	}
	m.joinSave.changed = true // the match moves the join's clock
	w, o := m.join.match(ev.ID, t)
	if w == nil {
		m.counts.join[o]++
		return outcomeAccepted, nil
	}
	if w.other {
		w.joined = restoredJoin
		m.counts.join[joinOtherVersion]++
		return outcomeAccepted, nil
	}
	s, closed, err := m.quality.slotFor(t, m.closedQ[:0])
	m.closeQuality(closed)
	if err != nil {
		return 0, err
	}
	if s == nil {
		return outcomeLate, nil
	}
	w.joined = s.serial
	m.counts.join[joinJoined]++
	m.counts.delay.observe(max(float64(t-w.time)/1e9, 0))
	m.pairing.add(s.acc, w, &ev.Label)
	m.closeQuality(m.quality.record(s, p, offset, m.closedQ[:0]))
	return outcomeAccepted, nil
}

// closeDrift evaluates closed drift windows and releases them.
func (m *Monitor) closeDrift(closed []*slot[*drift.Window]) {
	for _, s := range closed {
		w := s.acc
		w.Start, w.End = time.Unix(0, s.start).UTC(), time.Unix(0, s.end).UTC()
		r, err := m.eval.Evaluate(w)
		outcome := windowEvaluated
		switch {
		case err != nil:
			outcome = windowFailed
			m.log.Error("drift window not evaluated", "start", w.Start, "end", w.End, "error", err)
			r = drift.Report{Model: m.cfg.Name, Start: w.Start, End: w.End, Events: w.Events(), Skipped: true}
		case r.Skipped:
			outcome = windowSkipped
		}
		m.log.Debug("drift window closed", "start", w.Start, "end", w.End, "events", s.events,
			"outcome", windowOutcomes[outcome], "drifted_features", r.Dataset.Drifted)
		m.pending.windows[kindDrift][outcome]++
		m.pending.events[kindDrift] += uint64(s.events)
		m.pending.lastDrift = &r
		m.pending.driftVersion = m.version
		m.pending.versionWindows[kindDrift]++
		m.drift.release(s)
	}
	m.closedD = closed[:0]
}

// closeQuality evaluates closed quality windows and releases them.
func (m *Monitor) closeQuality(closed []*slot[*qualityAcc]) {
	for _, s := range closed {
		r, err := m.pairing.evaluate(s.acc, s.events)
		r.Start, r.End = time.Unix(0, s.start).UTC(), time.Unix(0, s.end).UTC()
		outcome := windowEvaluated
		switch {
		case err != nil:
			outcome = windowFailed
			m.log.Error("quality window not evaluated", "start", r.Start, "end", r.End, "error", err)
		case r.Skipped:
			outcome = windowSkipped
		}
		m.log.Debug("quality window closed", "start", r.Start, "end", r.End, "pairs", s.events, "outcome", windowOutcomes[outcome])
		m.pending.windows[kindQuality][outcome]++
		m.pending.events[kindQuality] += uint64(s.events)
		m.pending.lastQuality = &r
		m.pending.qualityVersion = m.version
		m.pending.versionWindows[kindQuality]++
		m.joinSave.windowClosed = true
		m.quality.release(s)
	}
	m.closedQ = closed[:0]
}
