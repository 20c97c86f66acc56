package monitor

import (
	"slices"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift"
)

// Stream names the role of an event in metrics: the Kafka stream it comes
// from, or its kind in a replay.
type Stream string

// The streams.
const (
	StreamPredictions Stream = "predictions"
	StreamFeatures    Stream = "features"
	StreamLabels      Stream = "labels"
)

var streams = [...]Stream{StreamPredictions, StreamFeatures, StreamLabels}

func streamIndex(k event.Kind) int {
	switch k {
	case event.KindFeatures:
		return 1
	case event.KindLabel:
		return 2
	}
	return 0
}

// Outcome is what the monitor did with an event.
type Outcome string

// The event outcomes.
const (
	// Accepted events went into a window, the label join, or both.
	Accepted Outcome = "accepted"
	// Rejected events could not be used: see the rejection reason.
	Rejected Outcome = "rejected"
	// Late events belong to a window that was closed already. They are
	// counted and otherwise ignored, so a published result never changes.
	Late Outcome = "late"
)

var outcomes = [...]Outcome{Accepted, Rejected, Late}

const (
	outcomeAccepted = iota
	outcomeRejected
	outcomeLate
)

// ReasonFutureTimestamp rejects an event whose time is further ahead of
// the clock than Options.MaxFutureSkew: one such event would move the
// watermark so far that every later event would be late.
const ReasonFutureTimestamp event.Reason = "future_timestamp"

// ReasonOther stands for a rejection reason the monitor does not know, so
// that the reason label stays bounded.
const ReasonOther event.Reason = "other"

// Reasons lists every rejection reason the monitor counts: the decoder's,
// then its own.
func Reasons() []event.Reason {
	return append(event.Reasons(), ReasonFutureTimestamp, ReasonOther)
}

// WindowKind names the two kinds of window a model has.
type WindowKind string

// The window kinds.
const (
	// DriftWindow windows hold prediction and feature events, by event
	// time or count, and are judged against the reference profile.
	DriftWindow WindowKind = "drift"
	// QualityWindow windows hold joined (prediction, label) pairs, by the
	// label's event time or by count, and give the quality metrics.
	QualityWindow WindowKind = "quality"
)

var windowKinds = [...]WindowKind{DriftWindow, QualityWindow}

const (
	kindDrift = iota
	kindQuality
)

// WindowOutcome is how a window ended.
type WindowOutcome string

// The window outcomes.
const (
	// WindowEvaluated windows had enough events and were judged.
	WindowEvaluated WindowOutcome = "evaluated"
	// WindowSkipped windows had too few events (window.min_events) or pairs
	// (quality.min_labels) and were published without a decision.
	WindowSkipped WindowOutcome = "skipped"
	// WindowFailed windows could not be evaluated; the error is logged.
	WindowFailed WindowOutcome = "failed"
	// WindowDiscarded windows were dropped unpublished by Revoke, because
	// their events will be read again.
	WindowDiscarded WindowOutcome = "discarded"
)

var windowOutcomes = [...]WindowOutcome{WindowEvaluated, WindowSkipped, WindowFailed, WindowDiscarded}

const (
	windowEvaluated = iota
	windowSkipped
	windowFailed
	windowDiscarded
)

// delayBuckets are the upper bounds of the label delay histogram, in
// seconds: from a second to a week, since labels come from humans and
// batch jobs as well as from systems.
var delayBuckets = []float64{1, 10, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400}

// counts are a model's cumulative counters. The monitor updates its own
// copy on every event and copies it into each snapshot.
type counts struct {
	events       [len(streams)][len(outcomes)]uint64
	rejections   []uint64 // aligned with Reasons()
	join         [numJoinOutcomes]uint64
	windows      [len(windowKinds)][len(windowOutcomes)]uint64
	windowEvents [len(windowKinds)]uint64
	delay        histogram
}

func (c *counts) clone() counts {
	out := *c
	out.rejections = slices.Clone(c.rejections)
	out.delay.buckets = slices.Clone(c.delay.buckets)
	return out
}

// histogram is a fixed-bucket histogram: counts per bucket (not
// cumulative), the last one for values above every bound.
type histogram struct {
	buckets []uint64
	count   uint64
	sum     float64
}

func (h *histogram) observe(v float64) {
	i, _ := slices.BinarySearch(delayBuckets, v)
	h.buckets[i]++
	h.count++
	h.sum += v
}

// Snapshot is what one model's monitor has published: the latest closed
// windows and the counters, as of its last Sync. A Snapshot is immutable,
// and safe to read from any goroutine.
type Snapshot struct {
	Model string
	// Drift is the report of the latest published drift window, nil before
	// the first. A skipped window's report has no features.
	Drift *drift.Report
	// Quality is the latest published quality window, nil before the first
	// or when labels are off.
	Quality *QualityReport
	// Buffered is the number of predictions held by the label join.
	Buffered int
	// Version is the model version the monitor judges events against
	// (see Monitor.Switch); DriftVersion and QualityVersion are the
	// versions of the Drift and Quality windows.
	Version, DriftVersion, QualityVersion string

	versionWindows [len(windowKinds)]uint64

	labels  bool     // the model joins labels
	streams []Stream // the streams the model reads
	counts  counts
}

// VersionWindows returns how many windows of kind k were published since
// the current version took over.
func (s *Snapshot) VersionWindows(k WindowKind) uint64 {
	if i := slices.Index(windowKinds[:], k); i >= 0 {
		return s.versionWindows[i]
	}
	return 0
}

// Events returns how many events of a stream had an outcome.
func (s *Snapshot) Events(st Stream, o Outcome) uint64 {
	i, j := slices.Index(streams[:], st), slices.Index(outcomes[:], o)
	if i < 0 || j < 0 {
		return 0
	}
	return s.counts.events[i][j]
}

// Rejections returns how many events were rejected for reason.
func (s *Snapshot) Rejections(reason event.Reason) uint64 {
	if i := slices.Index(Reasons(), reason); i >= 0 {
		return s.counts.rejections[i]
	}
	return 0
}

// Joins returns how many labels or predictions had a join outcome.
func (s *Snapshot) Joins(o JoinOutcome) uint64 {
	if i := slices.Index(JoinOutcomes(), o); i >= 0 {
		return s.counts.join[i]
	}
	return 0
}

// Windows returns how many windows of a kind ended with an outcome.
func (s *Snapshot) Windows(k WindowKind, o WindowOutcome) uint64 {
	i, j := slices.Index(windowKinds[:], k), slices.Index(windowOutcomes[:], o)
	if i < 0 || j < 0 {
		return 0
	}
	return s.counts.windows[i][j]
}

// WindowEvents returns the events (drift) or pairs (quality) in all the
// published windows of a kind, evaluated or skipped.
func (s *Snapshot) WindowEvents(k WindowKind) uint64 {
	if i := slices.Index(windowKinds[:], k); i >= 0 {
		return s.counts.windowEvents[i]
	}
	return 0
}

// Coverage returns the share of predictions that found their label among
// those whose wait is over (joined or evicted), and false before any.
func (s *Snapshot) Coverage() (float64, bool) {
	j := s.counts.join
	done := j[joinJoined] + j[joinEvictedTTL] + j[joinEvictedCapacity]
	if done == 0 {
		return 0, false
	}
	return float64(j[joinJoined]) / float64(done), true
}
