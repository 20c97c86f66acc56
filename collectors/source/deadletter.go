package source

import (
	"context"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/kafkasource"
)

// HeaderEventReason is the dead letter header that holds the event.Reason
// of the rejection, such as missing_field, beside kafkasource.HeaderReason,
// which holds the coarser kafkasource.Reason.
const HeaderEventReason = "driftwatch-event-reason"

// deadLetter queues m for the dead letter topic, with the event reason
// in a header.
func (k *Kafka) deadLetter(m *kafkasource.Message, reason kafkasource.Reason, eventReason event.Reason) {
	if k.opts.DeadLetter == nil {
		return
	}
	dl := *m
	dl.Headers = make([]kafkasource.Header, 0, len(m.Headers)+1)
	for _, h := range m.Headers {
		if h.Key != HeaderEventReason {
			dl.Headers = append(dl.Headers, h)
		}
	}
	dl.Headers = append(dl.Headers, kafkasource.Header{Key: HeaderEventReason, Value: []byte(eventReason)})
	k.dead[reason] = append(k.dead[reason], dl)
}

// sendDeadLetters writes the queued dead letters, one Send per reason. A
// failed Send holds commits of its messages' partitions back at the
// earliest failed offset until the generation ends.
func (k *Kafka) sendDeadLetters(ctx context.Context) {
	for _, reason := range kafkasource.Reasons() {
		msgs := k.dead[reason]
		if len(msgs) == 0 {
			continue
		}
		if err := k.opts.DeadLetter.Send(ctx, reason, msgs...); err != nil {
			k.opts.Metrics.deadLetterErrors.WithLabelValues(k.model).Add(float64(len(msgs)))
			k.log.Error("dead letters not written; holding back commits so that they are read again",
				"reason", string(reason), "messages", len(msgs), "class", string(kafkasource.ClassifyError(err)), "err", err)
			for i := range msgs {
				key := msgs[i].TopicPartition().String()
				if h, ok := k.hold[key]; !ok || msgs[i].Offset < h {
					k.hold[key] = msgs[i].Offset
				}
			}
		} else {
			k.opts.Metrics.deadLetters.WithLabelValues(k.model, string(reason)).Add(float64(len(msgs)))
		}
		clear(msgs)
		k.dead[reason] = msgs[:0]
	}
}

// deadLetterReason maps a rejection to the coarse reason of the dead
// letter header.
func deadLetterReason(r event.Reason) kafkasource.Reason {
	switch r {
	case event.ReasonOversized:
		return kafkasource.ReasonOversized
	case event.ReasonMalformedJSON, event.ReasonMalformedCSV, event.ReasonNotAnObject:
		return kafkasource.ReasonMalformed
	}
	return kafkasource.ReasonInvalid
}
