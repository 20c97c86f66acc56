package source

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/monitor"
)

// DefaultLogEvery is how often a source logs the rejections of one reason
// at most.
const DefaultLogEvery = 10 * time.Second

// rejectLog logs rejected events without flooding the log: the first
// rejection of a reason at once, then at most one line per reason every
// interval, with the number rejected since the previous line and the
// latest example. Rejections keep their full count in the monitor's
// metrics.
type rejectLog struct {
	log      *slog.Logger
	every    time.Duration
	now      func() time.Time
	byReason map[event.Reason]*rejectCount
}

type rejectCount struct {
	unlogged int
	last     time.Time
	logged   bool
	example  string
	pos      monitor.Position
}

func newRejectLog(log *slog.Logger, every time.Duration, now func() time.Time) *rejectLog {
	return &rejectLog{log: log, every: every, now: now, byReason: map[event.Reason]*rejectCount{}}
}

// add records one rejection and logs it if the reason is due.
func (r *rejectLog) add(reason event.Reason, err error, pos monitor.Position) {
	c := r.byReason[reason]
	if c == nil {
		c = &rejectCount{}
		r.byReason[reason] = c
	}
	c.unlogged++
	c.example, c.pos = errText(err), pos
	if now := r.now(); !c.logged || now.Sub(c.last) >= r.every {
		r.emit(reason, c)
		c.last, c.logged = now, true
	}
}

// flush logs the rejections not logged yet, as a source stops.
func (r *rejectLog) flush() {
	for _, reason := range slices.Sorted(maps.Keys(r.byReason)) {
		if c := r.byReason[reason]; c.unlogged > 0 {
			r.emit(reason, c)
		}
	}
}

func (r *rejectLog) emit(reason event.Reason, c *rejectCount) {
	r.log.LogAttrs(context.Background(), slog.LevelWarn, "events rejected",
		slog.String("reason", string(reason)), slog.Int("count", c.unlogged),
		slog.String("partition", c.pos.Partition), slog.Int64("offset", c.pos.Offset),
		slog.String("example", c.example))
	c.unlogged = 0
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
