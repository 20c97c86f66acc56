package monitor

import "math"

// marks tracks the event-time progress of each partition that feeds a
// time windower, and the low watermark: the smallest watermark among the
// live partitions. Windows close as the low watermark passes them, never
// as one partition runs ahead: a consumer reads its partitions at
// different speeds, most of all after a restart or a rebalance, when one
// partition's backlog may be hours behind another's. Closing by the
// fastest partition would make the slower ones' events late, and lose
// them.
//
// A partition is live from its assignment (Monitor.Assign) or its first
// event until it is revoked. A live partition without an event holds the
// low watermark back, since its backlog may start anywhere, unless the
// source reports it read to its end.
type marks struct {
	parts []mark // by partition index
	// low is the low watermark over the live partitions; valid is false
	// while some live partition has no event, or none is live.
	low   int64
	valid bool
}

// mark is one partition's progress.
type mark struct {
	live bool
	// seen reports that an event arrived on time since the partition
	// became live; watermark is the largest event time of those, and
	// arrival the wall-clock time of the latest.
	seen      bool
	watermark int64
	arrival   int64
}

func (ms *marks) at(p int) *mark {
	for len(ms.parts) <= p {
		ms.parts = append(ms.parts, mark{})
	}
	return &ms.parts[p]
}

// assign makes partition p live before its first event, so that it holds
// the low watermark back until that event arrives. A partition that is
// live already keeps its watermark.
func (ms *marks) assign(p int) {
	if m := ms.at(p); !m.live {
		*m = mark{live: true}
		ms.recompute()
	}
}

// forget drops partition p, as when it is revoked: it no longer holds the
// low watermark back.
func (ms *marks) forget(p int) {
	if p < len(ms.parts) && ms.parts[p].live {
		ms.parts[p] = mark{}
		ms.recompute()
	}
}

// observe notes an event at event time t from partition p, arriving at
// wall time now, which is not late. It returns the low watermark and
// whether it rose.
func (ms *marks) observe(p int, t, now int64) (int64, bool) {
	m := ms.at(p)
	wasLive := m.live
	m.live, m.arrival = true, now
	if m.seen && t <= m.watermark {
		return ms.low, false
	}
	above := ms.valid && wasLive && m.seen && m.watermark > ms.low
	m.seen, m.watermark = true, t
	if above {
		return ms.low, false // p was not the lowest, and rising keeps it so
	}
	old, oldValid := ms.low, ms.valid
	ms.recompute()
	return ms.low, ms.valid && (!oldValid || ms.low > old)
}

// recompute sets the low watermark from the partitions' marks.
func (ms *marks) recompute() {
	ms.low, ms.valid = ms.lowest(0, nil)
}

// lowest returns the low watermark, with the watermark of each partition
// for which caughtUp returns true projected to now: the source has read
// it to its end, so while no event arrives its event time is presumed to
// advance with the wall clock from its last arrival, and a caught-up
// partition without an event holds nothing back. It reports false when
// no partition sets the low watermark, or a live partition without an
// event that is not caught up holds it back.
func (ms *marks) lowest(now int64, caughtUp func(p int) bool) (int64, bool) {
	low, found := int64(math.MaxInt64), false
	for p := range ms.parts {
		m := &ms.parts[p]
		if !m.live {
			continue
		}
		up := caughtUp != nil && caughtUp(p)
		if !m.seen {
			if up {
				continue
			}
			return 0, false
		}
		wm := m.watermark
		if up && now > m.arrival {
			wm += now - m.arrival
			if wm < m.watermark { // overflow
				wm = math.MaxInt64
			}
		}
		low, found = min(low, wm), true
	}
	return low, found
}
