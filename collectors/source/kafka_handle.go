package source

import (
	"context"
	"errors"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/collectors/monitor"
)

// Handle decodes a batch, feeds the monitor, dead-letters the rejected
// messages, syncs, and commits when offsets moved and the commit interval
// has passed. It returns nil: a rejected message or a failed commit is
// counted and logged, and a failed sync is retried with the next batch.
func (k *Kafka) Handle(ctx context.Context, msgs []kafkasource.Message) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range msgs {
		k.handle(&msgs[i])
	}
	k.sendDeadLetters(ctx)
	k.syncAndCommit(ctx, false)
	return nil
}

// handle applies one message.
func (k *Kafka) handle(m *kafkasource.Message) {
	pos := monitor.Position{Partition: k.key(m), Offset: m.Offset}
	kind, err := event.KindOf(m.Stream)
	if err == nil {
		if m.Oversized {
			err = event.Oversized(len(m.Key)+len(m.Value), k.maxSize)
		} else {
			err = k.dec.DecodeJSON(&k.ev, kind, m.Value, m.Time)
		}
	}
	if err != nil {
		reason := event.ReasonOf(err)
		if reason == "" {
			reason = monitor.ReasonOther
		}
		k.opts.Monitor.Reject(kind, reason, pos)
		k.rejects.add(reason, err, pos)
		k.deadLetter(m, deadLetterReason(reason), reason)
		return
	}
	if o, reason := k.opts.Monitor.ObserveReason(&k.ev, pos); o == monitor.Rejected {
		// The monitor has counted the rejection; log and dead-letter it
		// under the same reason.
		k.rejects.add(reason, monitorRejection(reason), pos)
		k.deadLetter(m, deadLetterReason(reason), reason)
	}
}

// monitorRejection explains a rejection by the monitor of a decoded event.
func monitorRejection(r event.Reason) error {
	if r == monitor.ReasonFutureTimestamp {
		return errors.New("event time is too far ahead of the clock")
	}
	return errors.New("the monitor could not place the event in a window")
}

// key returns the position key of m's partition.
func (k *Kafka) key(m *kafkasource.Message) string {
	if tp := m.TopicPartition(); tp != k.lastTP || k.lastKey == "" {
		k.lastTP, k.lastKey = tp, tp.String()
	}
	return k.lastKey
}
