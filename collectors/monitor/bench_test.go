package monitor

import (
	"strconv"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/collectors/event"
)

// BenchmarkObserve measures one prediction event of a model with 12
// numeric and 8 categorical features, windows of a minute and an event
// every millisecond, so the evaluation of each closed window (60,000
// events) is included, spread over its events. With labels, every
// prediction also enters the label join, which copies its ID.
func BenchmarkObserve(b *testing.B) {
	md := model{numeric: 12, categorical: 8}
	p := md.profile(b, 5000, 1)
	for _, bc := range []struct {
		name   string
		labels bool
	}{{"drift", false}, {"drift+labels", true}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := md.config()
			if bc.labels {
				cfg = withLabels(cfg, 30)
				cfg.Label.MaxEntries = 100_000
			}
			far := t0.Add(1000 * time.Hour)
			h := setup(b, cfg, p, Options{Now: func() time.Time { return far }})
			g := newGen(md, 2, nil)
			evs := make([]*event.Event, 4096)
			for i := range evs {
				evs[i] = g.prediction("", t0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				ev := evs[i%len(evs)]
				ev.Time = t0.Add(time.Duration(i) * time.Millisecond)
				ev.ID = strconv.AppendInt(ev.ID[:0], int64(i), 10)
				h.Observe(ev, Position{Partition: "churn-predictions/0", Offset: int64(i)})
			}
		})
	}
}
