package kafkasource

import (
	"log/slog"
	"slices"
	"time"
)

// testConfig returns a valid configuration with the defaults applied and
// timeouts short enough for tests.
func testConfig(broker, topic, group string) Config {
	var cfg Config
	cfg.SetDefaults()
	cfg.Brokers = []string{broker}
	cfg.Topics.Predictions = topic
	cfg.Group = group
	cfg.SessionTimeout = 6 * time.Second
	cfg.RebalanceTimeout = 10 * time.Second
	return cfg
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func slicesSortTP(tps []TopicPartition) { slices.SortFunc(tps, compareTopicPartitions) }
