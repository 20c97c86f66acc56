package monitor

import (
	"cmp"
	"log/slog"
	"math"
	"slices"
	"time"
)

// This file cuts one stream of events into tumbling windows, by event time
// or by count. It knows nothing of what a window accumulates: the drift
// windows hold a *drift.Window, the quality windows joined pairs.

// noOffset marks a partition that has no event in a window, and a
// partition whose position is unknown.
const noOffset = -1

// unbounded is the closed-until mark of a stream without a checkpoint:
// nothing has been published, so no event is late.
const unbounded = math.MinInt64

// slot is one open window: its bounds, its accumulator, and for each
// partition the smallest offset among the events it holds.
type slot[A any] struct {
	// start and end bound a time window [start, end), in Unix nanoseconds.
	// A count window has no bounds of its own: they are the earliest and
	// latest event times it holds.
	start, end int64
	events     int64
	held       []int64 // by partition index; noOffset when none
	serial     uint64  // unique per windower, for the label join
	acc        A
}

// hold records that the window holds the event at offset of partition p.
func (s *slot[A]) hold(p int, offset int64) {
	for len(s.held) <= p {
		s.held = append(s.held, noOffset)
	}
	if h := s.held[p]; h == noOffset || offset < h {
		s.held[p] = offset
	}
}

// holds reports whether the window holds an event of partition p.
func (s *slot[A]) holds(p int) bool { return p < len(s.held) && s.held[p] != noOffset }

// windower cuts one stream into tumbling windows. A time windower assigns
// an event at time t to [floor(t/size)*size, +size) and closes windows as
// its watermark passes them (see closeThrough); a count windower keeps one
// window open and closes it when it holds count events. Closed windows go
// to the caller, which evaluates them and hands them back with release.
type windower[A any] struct {
	name     string // "drift" or "quality", for logs
	log      *slog.Logger
	size     int64 // nanoseconds; 0 for count windows
	lateness int64
	count    int64
	maxOpen  int
	idle     bool // close time windows by the wall clock when quiet
	newAcc   func() (A, error)
	resetAcc func(A)

	open   []*slot[A] // sorted by start
	free   []*slot[A]
	serial uint64

	// marks are the watermarks of the partitions that feed the windows,
	// by partition index (see watermarks.go).
	marks marks
	// closedUntil is the end of the latest closed time window: every
	// window ending at or before it is closed, so events before it are
	// late.
	closedUntil int64
	// through is the count windows' equivalent, per partition: the offset
	// before which every event of the stream is in a closed window, as of
	// the last checkpoint; events before it are late. dirty reports that a
	// window closed since through was last moved.
	through []int64
	dirty   bool
}

func (w *windower[A]) timed() bool { return w.size > 0 }

// advance notes an event at event time t, read from partition p at offset,
// that arrives at wall time now. It returns false when the event is late:
// its window was closed already. An event on time moves the watermark, and
// the windows that the watermark passes are appended to closed.
func (w *windower[A]) advance(t, now int64, p int, offset int64, closed []*slot[A]) (bool, []*slot[A]) {
	if !w.timed() {
		return p >= len(w.through) || offset >= w.through[p], closed
	}
	if t < w.closedUntil {
		return false, closed
	}
	if low, moved := w.marks.observe(p, t, now); moved {
		closed = w.closeThrough(floorTo(low-w.lateness, w.size), closed)
	}
	return true, closed
}

// slotFor returns the window of an event at time t, which advance found on
// time, opening the window if needed. It returns nil when the event is
// late after all, because the bound on open windows closed its window.
func (w *windower[A]) slotFor(t int64, closed []*slot[A]) (*slot[A], []*slot[A], error) {
	if !w.timed() {
		return w.placeCounted(t, closed)
	}
	start := floorTo(t, w.size)
	i, found := slices.BinarySearchFunc(w.open, start, func(s *slot[A], start int64) int {
		return cmp.Compare(s.start, start)
	})
	if found {
		return w.open[i], closed, nil
	}
	if len(w.open) >= w.maxOpen {
		if i == 0 {
			// The new window would be the oldest one open, and so the
			// first to close: it is closed at once and the event is late.
			return nil, closed, nil
		}
		oldest := w.open[0]
		w.log.Warn("too many open windows: closing the oldest before its allowed lateness has passed",
			"window", w.name, "start", time.Unix(0, oldest.start).UTC(), "open", len(w.open))
		closed = w.closeThrough(oldest.end, closed)
		i--
	}
	s, err := w.get()
	if err != nil {
		return nil, closed, err
	}
	s.start, s.end = start, start+w.size
	w.open = slices.Insert(w.open, i, s)
	return s, closed, nil
}

// placeCounted returns the open count window, widened to cover t.
func (w *windower[A]) placeCounted(t int64, closed []*slot[A]) (*slot[A], []*slot[A], error) {
	if len(w.open) == 0 {
		s, err := w.get()
		if err != nil {
			return nil, closed, err
		}
		s.start, s.end = t, t
		w.open = append(w.open, s)
	}
	s := w.open[0]
	s.start, s.end = min(s.start, t), max(s.end, t)
	return s, closed, nil
}

// record counts an event of partition p at offset into s, which slotFor
// returned, and closes a count window that is now full.
func (w *windower[A]) record(s *slot[A], p int, offset int64, closed []*slot[A]) []*slot[A] {
	s.events++
	s.hold(p, offset)
	if !w.timed() && s.events >= w.count {
		w.open = w.open[:0]
		w.dirty = true
		closed = append(closed, s)
	}
	return closed
}

// closeThrough closes every time window that ends at or before b.
func (w *windower[A]) closeThrough(b int64, closed []*slot[A]) []*slot[A] {
	if b <= w.closedUntil {
		return closed
	}
	w.closedUntil = b
	n := 0
	for n < len(w.open) && w.open[n].end <= b {
		n++
	}
	closed = append(closed, w.open[:n]...)
	w.open = slices.Delete(w.open, 0, n)
	return closed
}

// closeIdle closes the time windows that the low watermark has passed
// since the last event, because a partition was revoked, or that quiet
// partitions have outlived. caughtUp reports the partitions that the source has read to
// their end: while no event arrives from such a partition, its event time
// is presumed to advance with the wall clock from its last arrival (see
// marks.lowest). Other partitions keep their watermarks, so a backlog
// or an outage holds the windows open.
func (w *windower[A]) closeIdle(now int64, caughtUp func(p int) bool, closed []*slot[A]) []*slot[A] {
	if !w.timed() {
		return closed
	}
	if !w.idle {
		caughtUp = nil
	}
	low, ok := w.marks.lowest(now, caughtUp)
	if !ok {
		return closed
	}
	return w.closeThrough(floorTo(low-w.lateness, w.size), closed)
}

// closeAll closes every open window, as at the end of the input.
func (w *windower[A]) closeAll(closed []*slot[A]) []*slot[A] {
	if len(w.open) == 0 {
		return closed
	}
	if w.timed() {
		return w.closeThrough(w.open[len(w.open)-1].end, closed)
	}
	closed = append(closed, w.open...)
	w.open = w.open[:0]
	w.dirty = true
	return closed
}

// moveThrough sets the count windows' through offsets, if a window closed
// since they were last set, from next, the offsets after the last events
// seen: every event before min(next, the first offset held by the open
// window) is in a closed window, since a count window fills in arrival
// order. It reports whether they moved.
func (w *windower[A]) moveThrough(next []int64) bool {
	if w.timed() || !w.dirty {
		return false
	}
	w.dirty = false
	for len(w.through) < len(next) {
		w.through = append(w.through, noOffset)
	}
	for p, off := range next {
		if off == noOffset {
			continue
		}
		for _, s := range w.open {
			if s.holds(p) {
				off = min(off, s.held[p])
			}
		}
		w.through[p] = max(w.through[p], off)
	}
	return true
}

// discard removes the open windows for which drop returns true and
// appends them to out, unevaluated.
func (w *windower[A]) discard(drop func(*slot[A]) bool, out []*slot[A]) []*slot[A] {
	kept := w.open[:0]
	for _, s := range w.open {
		if drop(s) {
			out = append(out, s)
		} else {
			kept = append(kept, s)
		}
	}
	clear(w.open[len(kept):])
	w.open = kept
	return out
}

// get returns an empty window, reusing a released one when possible: a
// drift window's accumulators are large, and reuse keeps their memory.
func (w *windower[A]) get() (*slot[A], error) {
	w.serial++
	if n := len(w.free); n > 0 {
		s := w.free[n-1]
		w.free = w.free[:n-1]
		s.serial = w.serial
		return s, nil
	}
	acc, err := w.newAcc()
	if err != nil {
		return nil, err
	}
	return &slot[A]{acc: acc, serial: w.serial}, nil
}

// release empties a closed or discarded window for reuse.
func (w *windower[A]) release(s *slot[A]) {
	w.resetAcc(s.acc)
	s.events = 0
	s.held = s.held[:0]
	w.free = append(w.free, s)
}

// floorTo rounds t down to a multiple of size, also for negative t.
func floorTo(t, size int64) int64 {
	q := t / size
	if t%size != 0 && t < 0 {
		q--
	}
	return q * size
}
