package source

import (
	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/collectors/monitor"
)

// Lag adapts a consumer's partition positions to the monitor's lag
// reporter.
func Lag(c interface {
	Lag() []kafkasource.PartitionLag
}) monitor.LagFunc {
	return func() []monitor.Lag {
		ls := c.Lag()
		out := make([]monitor.Lag, len(ls))
		for i, l := range ls {
			out[i] = monitor.Lag{Topic: l.Topic, Partition: l.Partition, Messages: l.Lag}
		}
		return out
	}
}
