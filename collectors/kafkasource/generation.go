package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	kafka "github.com/segmentio/kafka-go"
)

// committer commits offsets for one consumer group generation.
// *kafka.Generation implements it; tests substitute a recorder.
type committer interface {
	CommitOffsets(offsets map[string]map[int]int64) error
}

var _ committer = (*kafka.Generation)(nil)

// Generation is the consumer's membership of its group between two
// rebalances, with the partitions assigned to it for that time.
//
// Offsets are committed through the Generation that delivered the messages,
// never through a newer one. Once the generation is over, Commit fails with
// ErrGenerationEnded and sends nothing, so a late commit cannot overwrite the
// progress of the member that owns the partition now. A Generation is safe
// for concurrent use.
type Generation struct {
	// ID is the generation number the group coordinator assigned.
	ID int32
	// MemberID is this consumer's identity in the group.
	MemberID string
	// Partitions are the assigned partitions, sorted by topic and number.
	// The slice must not be modified.
	Partitions []TopicPartition

	committer committer
	parts     map[TopicPartition]*partitionState
	stats     *counters

	// mu serialises commits, so that two commits for one partition reach
	// the broker in the order they were made, and orders them with end.
	mu    sync.Mutex
	ended bool
}

// partitionState is what the consumer knows about one assigned partition.
// Fetchers, the handler loop, Commit and Lag share it through atomics.
type partitionState struct {
	tp     TopicPartition
	stream Stream
	// start is the assignment's offset: the committed offset, or
	// kafka.FirstOffset or kafka.LastOffset when there is none.
	start int64
	// highWatermark is the partition's end offset at the last fetch, or -1.
	highWatermark atomic.Int64
	// delivered is the offset after the last message handed to the
	// handler, or the resolved start offset before the first one; -1 while
	// unknown. Commits may not go beyond it.
	delivered atomic.Int64
	// committed is the last offset committed in this generation, or the
	// one the generation started from; -1 while unknown.
	committed atomic.Int64
	// fetchedAt is the clock's time of the last successful fetch, in Unix
	// nanoseconds, or 0.
	fetchedAt atomic.Int64
}

func newPartitionState(tp TopicPartition, stream Stream, start int64) *partitionState {
	p := &partitionState{tp: tp, stream: stream, start: start}
	p.highWatermark.Store(-1)
	known := int64(-1)
	if start >= 0 {
		known = start
	}
	p.delivered.Store(known)
	p.committed.Store(known)
	return p
}

// resolved records the absolute offset a fetcher starts from, unless
// messages were delivered already.
func (p *partitionState) resolved(offset int64) {
	p.delivered.CompareAndSwap(-1, offset)
}

// Owns reports whether the partition is assigned to this generation.
func (g *Generation) Owns(tp TopicPartition) bool {
	_, ok := g.parts[tp]
	return ok
}

// Commit stores offsets for the group: for each partition, the offset of
// the next message the group should read after a restart or a rebalance.
// That is usually behind the last delivered message, at the first message
// whose effect is not yet durable (such as the first message of a window
// that is still open).
//
// Commit checks every partition before it sends anything: each must be
// assigned to this generation (else ErrNotAssigned) and each offset must be
// between 0 and the offset after the last delivered message (else
// ErrInvalidOffset). After the generation has ended it returns
// ErrGenerationEnded. A failed commit loses nothing: the messages after the
// previous commit are delivered again. The call is bounded by the
// coordinator request timeout, not by ctx, which is only checked on entry.
func (g *Generation) Commit(ctx context.Context, offsets map[TopicPartition]int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if len(offsets) == 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	err := g.commitLocked(offsets)
	if err != nil {
		g.stats.commitErrors.Add(1)
	} else {
		g.stats.commits.Add(1)
	}
	return err
}

func (g *Generation) commitLocked(offsets map[TopicPartition]int64) error {
	if g.ended {
		return fmt.Errorf("commit in generation %d: %w", g.ID, ErrGenerationEnded)
	}
	req := make(map[string]map[int]int64, 3)
	for _, tp := range slices.SortedFunc(maps.Keys(offsets), compareTopicPartitions) {
		off := offsets[tp]
		p := g.parts[tp]
		if p == nil {
			return fmt.Errorf("commit %s in generation %d: %w", tp, g.ID, ErrNotAssigned)
		}
		if d := p.delivered.Load(); off < 0 || off > d {
			return fmt.Errorf("commit %s at offset %d, beyond the delivered offset %d: %w", tp, off, d, ErrInvalidOffset)
		}
		if req[tp.Topic] == nil {
			req[tp.Topic] = map[int]int64{}
		}
		req[tp.Topic][int(tp.Partition)] = off
	}
	if err := g.committer.CommitOffsets(req); err != nil {
		if ClassifyError(err) == ClassGenerationEnded && !errors.Is(err, ErrGenerationEnded) {
			return fmt.Errorf("commit in generation %d: %w: %w", g.ID, ErrGenerationEnded, err)
		}
		return fmt.Errorf("commit in generation %d: %w", g.ID, err)
	}
	for tp, off := range offsets {
		g.parts[tp].committed.Store(off)
	}
	return nil
}

// end marks the generation over. It waits for a commit in flight.
func (g *Generation) end() {
	g.mu.Lock()
	g.ended = true
	g.mu.Unlock()
}

// counters are the consumer's cumulative statistics.
type counters struct {
	messages     atomic.Uint64
	bytes        atomic.Uint64
	oversized    atomic.Uint64
	fetches      atomic.Uint64
	fetchErrors  atomic.Uint64
	joinErrors   atomic.Uint64
	generations  atomic.Uint64
	commits      atomic.Uint64
	commitErrors atomic.Uint64
	skipped      atomic.Uint64
}
