// Package kafkasource reads a model's prediction, feature and label topics
// from Kafka as a member of the model's consumer group, and writes rejected
// messages to a dead letter topic.
//
// It is the only package that imports kafka-go. It owns the connection
// settings (brokers, topics, group, TLS and SASL), the group membership and
// the fetching. Decoding, windowing, and deciding when an offset may be
// committed are left to the collectors that use it.
//
// # Delivery guarantee
//
// Delivery is at least once. The consumer never commits on its own: an
// offset is stored only when the handler calls Generation.Commit. After a
// restart or a rebalance, each partition is read again from its last
// committed offset, so every message after that offset is delivered again.
// Nothing before it is. A collector gets at-least-once processing with no
// double counting by keeping three rules:
//
//  1. Commit an offset only once every message before it has a durable
//     effect (a published window, a checkpoint, a dead letter). For a window
//     that is still open, commit the offset of its first message, which is
//     behind the last delivered one; Commit accepts any offset up to the
//     one after the last delivered message.
//  2. Commit through the Generation that delivered the messages. Once that
//     generation has ended, Commit returns ErrGenerationEnded and sends
//     nothing, so a late commit cannot move a partition that another member
//     owns by now. Commit also refuses partitions the generation does not
//     own (ErrNotAssigned).
//  3. In Revoked, drop all state built from messages after the last commit
//     of the revoked partitions, because they will be delivered again. A
//     final commit from inside Revoked is still valid: the group waits for
//     it.
//
// Every rebalance revokes all partitions and assigns them afresh, even the
// ones a member keeps (kafka-go implements only the eager protocol), so the
// uncommitted tail of every partition is delivered again after each
// rebalance.
//
// # Design
//
// kafka-go offers two ways to consume as a group. Its Reader with a GroupID
// hides the group: it does not report assignments or revocations, and it
// commits only offsets of fetched messages, through a stash that keeps the
// highest offset per partition. Neither fits rule 1 or 3. The package
// therefore uses the lower-level ConsumerGroup: ConsumerGroup.Next returns
// each kafka.Generation with its assignments and committed offsets, and
// Generation.CommitOffsets commits any offset, tagged with the generation
// ID and member ID, which the coordinator checks (IllegalGeneration,
// UnknownMemberId). Each generation runs inside Generation.Start, so kafka-go
// waits for Revoked and its commits before it rejoins the group.
//
// Each assigned partition is read by its own fetcher over a kafka.Conn to
// the partition leader, with batched fetches (FetchOptions). Whole fetch
// responses become batches of Messages, queued for the handler, so there is
// no per-message channel hand-off; the high watermark of each fetch gives
// the lag. kafka-go's partition Reader would add that hand-off, and its
// Stats resets on every call. A fetcher survives broker restarts and leader
// moves by reconnecting with backoff, and resolves offsets outside the log
// as Kafka does (see Config.StartOffset).
//
// Oversized messages (Config.MaxMessageBytes) are delivered whole with
// Message.Oversized set, so the handler can dead-letter them and commit past
// them; the broker returns a record batch larger than the fetch size rather
// than stall the partition.
//
// Lag and Stats are cheap snapshots for the metrics layer, which owns the
// Prometheus registry; this package registers no metrics. ClassifyError maps
// errors to a fixed set of label values.
package kafkasource
