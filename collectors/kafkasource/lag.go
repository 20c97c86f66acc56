package kafkasource

import "time"

// PartitionLag is the consumer's position in one assigned partition.
type PartitionLag struct {
	TopicPartition
	Stream Stream
	// HighWatermark is the partition's end offset at the last fetch.
	HighWatermark int64
	// Delivered is the offset after the last message handed to the handler.
	Delivered int64
	// Committed is the last offset committed in this generation, or the
	// one it started from; -1 when the group has none yet.
	Committed int64
	// Lag is HighWatermark minus Delivered: the messages the handler has
	// yet to see, as of FetchedAt.
	Lag int64
	// FetchedAt is when the high watermark was read.
	FetchedAt time.Time
}

// Lag returns the position in every partition of the current generation
// whose high watermark is known, sorted by topic and partition. It is empty
// between generations. The metrics layer polls it; it is cheap and does not
// contact Kafka, and unlike kafka-go's Reader.Stats it resets nothing.
func (c *Consumer) Lag() []PartitionLag {
	c.mu.Lock()
	gen := c.current
	c.mu.Unlock()
	if gen == nil {
		return nil
	}
	out := make([]PartitionLag, 0, len(gen.Partitions))
	for _, tp := range gen.Partitions {
		p := gen.parts[tp]
		hwm, delivered := p.highWatermark.Load(), p.delivered.Load()
		if hwm < 0 || delivered < 0 {
			continue
		}
		out = append(out, PartitionLag{
			TopicPartition: tp,
			Stream:         p.stream,
			HighWatermark:  hwm,
			Delivered:      delivered,
			Committed:      p.committed.Load(),
			Lag:            max(hwm-delivered, 0),
			FetchedAt:      time.Unix(0, p.fetchedAt.Load()),
		})
	}
	return out
}

// Stats are a consumer's cumulative counters since New. They only grow, so
// they map directly onto Prometheus counters.
type Stats struct {
	// Messages and Bytes (keys plus values) were handed to the handler.
	Messages, Bytes uint64
	// Oversized messages were larger than Config.MaxMessageBytes.
	Oversized uint64
	// Fetches are fetch responses read; FetchErrors failed fetches and
	// connection attempts, each retried.
	Fetches, FetchErrors uint64
	// JoinErrors are failed attempts to join the group.
	JoinErrors uint64
	// Generations counts assignments, one per rebalance.
	Generations uint64
	// Commits and CommitErrors count Generation.Commit calls.
	Commits, CommitErrors uint64
	// SkippedMessages were deleted by retention before they were consumed.
	SkippedMessages uint64
}

// Stats returns the consumer's counters.
func (c *Consumer) Stats() Stats {
	s := &c.stats
	return Stats{
		Messages:        s.messages.Load(),
		Bytes:           s.bytes.Load(),
		Oversized:       s.oversized.Load(),
		Fetches:         s.fetches.Load(),
		FetchErrors:     s.fetchErrors.Load(),
		JoinErrors:      s.joinErrors.Load(),
		Generations:     s.generations.Load(),
		Commits:         s.commits.Load(),
		CommitErrors:    s.commitErrors.Load(),
		SkippedMessages: s.skipped.Load(),
	}
}
