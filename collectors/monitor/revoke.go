package monitor

import "github.com/driftwatch/driftwatch/drift"

// Revoke forgets the given partitions, as when a rebalance takes them
// away: every open window holding one of their events is discarded
// unpublished, and their positions are dropped, so no offset of theirs is
// returned until they are read again. The events are read again from the
// last committed offsets, by this monitor or by the partitions' new owner,
// and counted then.
//
// A discarded window may also hold events of partitions that were not
// named. Those partitions are revoked too, since their events in the
// window would be lost otherwise, and Revoke returns them: the source must
// read them again from their last committed offsets. Sources that revoke
// every partition at once, as every Kafka rebalance does, get nil.
//
// Predictions waiting for labels stay: when their partition is read again,
// the second copy of each is ignored. Labels of a discarded quality window
// let their predictions wait again, so that they join once more when read
// again; the join counters count them twice.
func (m *Monitor) Revoke(partitions ...string) []string {
	revoked := map[int]bool{}
	for _, key := range partitions {
		if p, ok := m.parts.lookup(key); ok {
			revoked[p] = true
		}
	}
	holdsRevoked := func(held []int64) bool {
		for p, off := range held {
			if off != noOffset && revoked[p] {
				return true
			}
		}
		return false
	}
	var extra []string
	for changed := true; changed; {
		changed = false
		for _, held := range m.heldTables() {
			if !holdsRevoked(held) {
				continue
			}
			for p, off := range held {
				if off != noOffset && !revoked[p] {
					revoked[p], changed = true, true
					extra = append(extra, m.parts.keys[p])
				}
			}
		}
	}
	m.discard(func(held []int64) bool { return holdsRevoked(held) })
	for p := range revoked {
		m.parts.forget(p)
		m.drift.marks.forget(p)
		m.quality.marks.forget(p)
		m.joinSave.forget(p)
	}
	if len(extra) > 0 {
		m.log.Warn("revoking more partitions than asked, because their events share windows with the revoked ones", "partitions", extra)
	}
	return extra
}

// heldTables returns the offset table of every open window.
func (m *Monitor) heldTables() [][]int64 {
	var out [][]int64
	for _, s := range m.drift.open {
		out = append(out, s.held)
	}
	for _, s := range m.quality.open {
		out = append(out, s.held)
	}
	return out
}

// discard drops the open windows whose offset table matches, unpublished,
// and lets the predictions joined into a dropped quality window wait for
// their labels again.
func (m *Monitor) discard(match func(held []int64) bool) {
	for _, s := range m.drift.discard(func(s *slot[*drift.Window]) bool { return match(s.held) }, nil) {
		m.pending.windows[kindDrift][windowDiscarded]++
		m.drift.release(s)
	}
	for _, s := range m.quality.discard(func(s *slot[*qualityAcc]) bool { return match(s.held) }, nil) {
		m.pending.windows[kindQuality][windowDiscarded]++
		m.join.unjoin(s.serial)
		m.joinSave.changed = true
		m.quality.release(s)
	}
}
