package monitor

import (
	"context"
	"fmt"
	"time"
)

// Sync closes the time windows that quiet partitions have outlived (see
// the package documentation), makes every close durable by saving the
// checkpoint, publishes the closed windows, and returns for each partition
// the offset that is safe to commit. Call it before every commit, and at
// least every few seconds while the stream is quiet, so that idle windows
// close.
//
// caughtUp names the partitions that the source has read to their end, as
// far as it knows: their event time is presumed to advance with the wall
// clock while no event arrives. A source must not name a partition it has
// not fetched recently, as during an outage: its events for the quiet
// time are still to come, and closing their windows would make them late.
//
// When the checkpoint cannot be saved, Sync publishes nothing and returns
// the error; the closed windows wait for the next Sync, and no offset may
// be committed.
func (m *Monitor) Sync(ctx context.Context, caughtUp ...string) (map[string]int64, error) {
	now := m.now().UnixNano()
	up := m.caughtUp(caughtUp)
	m.closeDrift(m.drift.closeIdle(now, up, m.closedD[:0]))
	if m.join != nil {
		m.closeQuality(m.quality.closeIdle(now, up, m.closedQ[:0]))
	}
	return m.commit(ctx, false)
}

// caughtUp returns a test of partition indices for the named partitions.
func (m *Monitor) caughtUp(keys []string) func(p int) bool {
	if len(keys) == 0 {
		return nil
	}
	up := make([]bool, len(m.parts.keys))
	for _, key := range keys {
		if p, ok := m.parts.lookup(key); ok {
			up[p] = true
		}
	}
	return func(p int) bool { return p < len(up) && up[p] }
}

// Assign tells the monitor that the source reads the named partitions of
// stream st from now on, before their first events arrive. Until its
// first event, or until a Sync names it caught up, such a partition holds
// back the closing of time windows: its backlog may hold events for the
// open windows. Without Assign a partition counts from its first event,
// and events of a partition that starts far behind the others may be
// late. Count windows ignore it.
func (m *Monitor) Assign(st Stream, partitions ...string) {
	w := &m.drift.marks
	if st == StreamLabels {
		if m.join == nil {
			return
		}
		w = &m.quality.marks
	}
	for _, key := range partitions {
		w.assign(m.parts.register(key))
	}
}

// Flush closes and publishes every open window, partial ones included, as
// at the end of a replay file, and returns the offsets that are safe to
// commit: all of them. A live source does not Flush when it stops, but
// Syncs; see the package documentation.
func (m *Monitor) Flush(ctx context.Context) (map[string]int64, error) {
	m.closeDrift(m.drift.closeAll(m.closedD[:0]))
	if m.join != nil {
		m.closeQuality(m.quality.closeAll(m.closedQ[:0]))
	}
	return m.commit(ctx, true)
}

// commit saves the checkpoint and, when it is due or forced, the label
// join; then it publishes and returns the safe offsets.
func (m *Monitor) commit(ctx context.Context, forceJoin bool) (map[string]int64, error) {
	if err := m.checkpoint(ctx); err != nil {
		return nil, fmt.Errorf("sync model %q: %w", m.cfg.Name, err)
	}
	if err := m.saveJoin(ctx, forceJoin); err != nil {
		return nil, fmt.Errorf("sync model %q: %w", m.cfg.Name, err)
	}
	m.publish()
	return m.safeOffsets(), nil
}

// checkpoint saves how far the closed windows reach, if that moved.
func (m *Monitor) checkpoint(ctx context.Context) error {
	cp := Checkpoint{Drift: markOf(&m.drift, m.parts)}
	if m.join != nil {
		cp.Quality = markOf(&m.quality, m.parts)
	}
	if cp.Equal(m.saved) {
		return nil
	}
	if err := m.cp.Save(ctx, m.cfg.Name, cp); err != nil {
		return err
	}
	m.saved = cp
	return nil
}

func markTime(ns int64) time.Time {
	if ns == unbounded {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// safeOffsets returns, for each partition with a known position, the
// smallest offset of an event held in an open window or of a prediction
// that entered the label join since it was last saved, or the offset
// after the last event seen when there is none.
func (m *Monitor) safeOffsets() map[string]int64 {
	out := make(map[string]int64, len(m.parts.keys))
	for p, key := range m.parts.keys {
		off := m.parts.next[p]
		if off == noOffset {
			continue
		}
		for _, s := range m.drift.open {
			if s.holds(p) {
				off = min(off, s.held[p])
			}
		}
		for _, s := range m.quality.open {
			if s.holds(p) {
				off = min(off, s.held[p])
			}
		}
		if held := m.joinSave.held; p < len(held) && held[p] != noOffset {
			off = min(off, held[p])
		}
		out[key] = off
	}
	return out
}

// publish makes the pending windows and the current counters visible.
func (m *Monitor) publish() {
	for k := range m.pending.windows {
		for o, n := range m.pending.windows[k] {
			m.counts.windows[k][o] += n
		}
		m.counts.windowEvents[k] += m.pending.events[k]
	}
	if m.pending.lastDrift != nil {
		m.lastDrift, m.driftVersion = m.pending.lastDrift, m.pending.driftVersion
	}
	if m.pending.lastQuality != nil {
		m.lastQuality, m.qualityVersion = m.pending.lastQuality, m.pending.qualityVersion
	}
	for k, n := range m.pending.versionWindows {
		m.versionWindows[k] += n
	}
	m.pending = pending{}
	snap := &Snapshot{
		Model:   m.cfg.Name,
		Drift:   m.lastDrift,
		Quality: m.lastQuality,
		Version: m.version, DriftVersion: m.driftVersion, QualityVersion: m.qualityVersion,
		versionWindows: m.versionWindows,
		labels:         m.join != nil,
		streams:        m.streams(),
		counts:         m.counts.clone(),
	}
	if m.join != nil {
		snap.Buffered = m.join.len()
	}
	m.entry.snap.Store(snap)
}

// streams lists the streams the model reads.
func (m *Monitor) streams() []Stream {
	out := []Stream{StreamPredictions}
	if !m.featuresFromPredictions {
		out = append(out, StreamFeatures)
	}
	if m.join != nil {
		out = append(out, StreamLabels)
	}
	return out
}

// restoreMark applies the part of a mark that fits the windows: the
// window kind may have changed since the mark was saved.
func restoreMark[A any](w *windower[A], mk Mark, ps *partitions) {
	if w.timed() {
		if !mk.ClosedUntil.IsZero() {
			w.closedUntil = mk.ClosedUntil.UnixNano()
		}
		return
	}
	for key, off := range mk.Through {
		p := ps.register(key)
		for len(w.through) <= p {
			w.through = append(w.through, noOffset)
		}
		w.through[p] = off
	}
}

// markOf returns how far the closed windows of w reach.
func markOf[A any](w *windower[A], ps *partitions) Mark {
	if w.timed() {
		return Mark{ClosedUntil: markTime(w.closedUntil)}
	}
	w.moveThrough(ps.next)
	var through map[string]int64
	for p, off := range w.through {
		if off != noOffset {
			if through == nil {
				through = map[string]int64{}
			}
			through[ps.keys[p]] = off
		}
	}
	return Mark{Through: through}
}
