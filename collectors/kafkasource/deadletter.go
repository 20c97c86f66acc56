package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

// Reason says why a message was dead-lettered. The set is fixed, so that
// the reason header can label metrics and drive replay tooling; error
// details belong in logs.
type Reason string

// The dead letter reasons.
const (
	// ReasonOversized: larger than Config.MaxMessageBytes.
	ReasonOversized Reason = "oversized"
	// ReasonMalformed: the value could not be decoded.
	ReasonMalformed Reason = "malformed"
	// ReasonInvalid: the value decoded but misses required fields or has
	// values of the wrong type.
	ReasonInvalid Reason = "invalid"
)

// Reasons lists every Reason.
func Reasons() []Reason {
	return []Reason{ReasonOversized, ReasonMalformed, ReasonInvalid}
}

var errInvalidReason = errors.New("unknown dead letter reason")

// The headers a dead letter carries besides the original message's own.
const (
	HeaderReason          = "driftwatch-reason"
	HeaderSourceTopic     = "driftwatch-source-topic"
	HeaderSourcePartition = "driftwatch-source-partition"
	HeaderSourceOffset    = "driftwatch-source-offset"
	// HeaderTruncated holds the original size of key plus value, in
	// bytes, when the dead letter carries only a prefix of an oversized
	// message.
	HeaderTruncated = "driftwatch-truncated"
)

// truncatedBytes is how much of an oversized message a dead letter keeps:
// enough to inspect it, small enough for any dead letter topic.
const truncatedBytes = 64 << 10

// DeadLetter writes rejected messages to Config.DeadLetterTopic: the
// original key, value and headers, plus headers that name the reason and
// the source partition and offset. Sends are synchronous and acknowledged
// by all in-sync replicas, so a collector may commit past a message once
// Send has returned nil for it. A DeadLetter is safe for concurrent use.
type DeadLetter struct {
	w         *kafka.Writer
	transport *kafka.Transport
	topic     string
	cut       int
	maxBytes  int
	attempts  int
	log       *slog.Logger
	sent      atomic.Uint64
	failed    atomic.Uint64
}

// NewDeadLetter prepares a dead letter writer. It fails when cfg has no
// dead letter topic. It does not contact Kafka; the topic must exist.
func NewDeadLetter(cfg Config, opts Options) (*DeadLetter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafkasource: invalid config: %w", err)
	}
	if cfg.DeadLetterTopic == "" {
		return nil, errors.New("kafkasource: dead_letter_topic is not set")
	}
	opts = opts.withDefaults(cfg)
	if err := opts.validate(cfg); err != nil {
		return nil, fmt.Errorf("kafkasource: %w", err)
	}
	conn, err := newConnector(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("kafkasource: %w", err)
	}
	info, errLog := kafkaLoggers(opts.Logger)
	tr := conn.transport()
	d := &DeadLetter{
		transport: tr,
		topic:     cfg.DeadLetterTopic,
		cut:       min(truncatedBytes, cfg.MaxMessageBytes),
		maxBytes:  cfg.MaxMessageBytes,
		attempts:  opts.DeadLetterAttempts,
		log:       opts.Logger.With("topic", cfg.DeadLetterTopic),
	}
	d.w = &kafka.Writer{
		Addr:     kafka.TCP(cfg.Brokers...),
		Topic:    cfg.DeadLetterTopic,
		Balancer: &kafka.Hash{},
		// Send retries itself, and only the messages that failed, so the
		// writer's own retries are off.
		MaxAttempts: 1,
		BatchSize:   1000,
		BatchBytes:  int64(max(cfg.MaxMessageBytes, 1<<20) + truncatedBytes),
		// A synchronous write waits for its batch to fill or for this
		// timeout; kafka-go's default of 1s would make every Send slow.
		BatchTimeout: time.Millisecond,
		RequiredAcks: kafka.RequireAll,
		Transport:    tr,
		Logger:       info,
		ErrorLogger:  errLog,
	}
	return d, nil
}

// Send writes msgs to the dead letter topic with the given reason. It
// retries the messages that failed, up to Options.DeadLetterAttempts
// attempts in all, and returns an error if any message was not written.
// ClassifyError turns the error into a metric label.
func (d *DeadLetter) Send(ctx context.Context, reason Reason, msgs ...Message) error {
	if !validReason(reason) {
		return fmt.Errorf("dead letter: %w %q", errInvalidReason, string(reason))
	}
	pending := make([]kafka.Message, len(msgs))
	for i := range msgs {
		pending[i] = d.record(reason, &msgs[i])
	}
	var err error
	for attempt := 1; len(pending) > 0; attempt++ {
		err = d.w.WriteMessages(ctx, pending...)
		if err == nil {
			d.sent.Add(uint64(len(pending)))
			return nil
		}
		failed := pending
		var werrs kafka.WriteErrors
		if errors.As(err, &werrs) && len(werrs) == len(pending) {
			failed = failed[:0:0]
			for i, e := range werrs {
				if e != nil {
					failed = append(failed, pending[i])
				}
			}
			d.sent.Add(uint64(len(pending) - len(failed)))
		}
		pending = failed
		if attempt >= d.attempts || !retriable(ClassifyError(err)) || !sleep(ctx, backoff(attempt)) {
			break
		}
		d.log.Warn("dead letter write failed, retrying", "messages", len(pending),
			"class", string(ClassifyError(err)), "err", err)
	}
	d.failed.Add(uint64(len(pending)))
	return fmt.Errorf("dead letter: writing %d of %d messages to %s: %w", len(pending), len(msgs), d.topic, err)
}

func retriable(c ErrorClass) bool {
	switch c {
	case ClassCanceled, ClassTooLarge, ClassAuth, ClassTLS, ClassInvalid:
		return false
	}
	return true
}

func validReason(r Reason) bool {
	for _, v := range Reasons() {
		if r == v {
			return true
		}
	}
	return false
}

// record builds the dead letter for m.
func (d *DeadLetter) record(reason Reason, m *Message) kafka.Message {
	headers := make([]kafka.Header, 0, len(m.Headers)+5)
	for _, h := range m.Headers {
		if !isOwnHeader(h.Key) {
			headers = append(headers, kafka.Header(h))
		}
	}
	headers = append(headers,
		kafka.Header{Key: HeaderReason, Value: []byte(reason)},
		kafka.Header{Key: HeaderSourceTopic, Value: []byte(m.Topic)},
		kafka.Header{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(m.Partition), 10)},
		kafka.Header{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, m.Offset, 10)},
	)
	key, value := m.Key, m.Value
	if size := len(key) + len(value); size > d.maxBytes {
		key = key[:min(len(key), d.cut)]
		value = value[:min(len(value), d.cut-len(key))]
		headers = append(headers, kafka.Header{Key: HeaderTruncated, Value: strconv.AppendInt(nil, int64(size), 10)})
	}
	return kafka.Message{Key: key, Value: value, Headers: headers}
}

// isOwnHeader reports headers that Send sets, which an earlier dead letter
// may already carry.
func isOwnHeader(k string) bool {
	switch k {
	case HeaderReason, HeaderSourceTopic, HeaderSourcePartition, HeaderSourceOffset, HeaderTruncated:
		return true
	}
	return false
}

// DeadLetterStats are a DeadLetter's cumulative counters.
type DeadLetterStats struct {
	// Sent messages were acknowledged; Failed ones were given up on.
	Sent, Failed uint64
}

// Stats returns the counters.
func (d *DeadLetter) Stats() DeadLetterStats {
	return DeadLetterStats{Sent: d.sent.Load(), Failed: d.failed.Load()}
}

// Close flushes nothing (every Send is synchronous) and releases the
// connections.
func (d *DeadLetter) Close() error {
	err := d.w.Close()
	d.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("kafkasource: closing dead letter writer: %w", err)
	}
	return nil
}
