// Package monitor keeps the monitoring state of one model: it cuts the
// model's decoded events into windows, judges each closed window against
// the model's reference profile, joins delayed labels to their predictions
// for the quality metrics, and publishes immutable snapshots that a Store
// exports as Prometheus metrics.
//
// It reads nothing and commits nothing. A source (Kafka, or a replay file)
// decodes events with package event and hands each one to Observe with its
// Position; the monitor tells the source which offsets are safe to commit.
// The statistics are package drift's and drift/quality's; alerting on the
// metrics is left to triggers.
//
// # Events
//
// Prediction events and features events go into drift windows: the
// feature values (unless the model has a separate features topic, when
// they come from features events only) and the prediction. A prediction
// with an ID also waits in the label join. Label events join their
// prediction by ID. An event whose time is more than Options.MaxFutureSkew
// ahead of the clock is rejected, so that one bad timestamp cannot close
// every window.
//
// # Windows
//
// With window.size set, windows tumble by event time: an event at time t
// belongs to [floor(t/size)*size, +size), counted from the Unix epoch.
// Each partition has a watermark, the largest event time it delivered on
// time, and the low watermark is the smallest among the live partitions:
// those assigned with Assign or seen since the monitor started, and not
// revoked since. A live partition without an event holds the low
// watermark back. A window [start, end) closes at the first of:
//
//   - an event raises the low watermark to end + allowed_lateness or
//     beyond;
//   - Sync runs at wall-clock time now and the low watermark, with the
//     watermark of each partition that Sync names caught up projected to
//     watermark + (now - arrival), reaches end + allowed_lateness, where
//     arrival is the wall-clock time of the partition's last event on
//     time; a caught-up partition without an event holds nothing back.
//     The source has read a caught-up partition to its end, so while it is
//     quiet its event time is presumed to advance with the wall clock: on
//     a live stream a window closes about allowed_lateness after its end,
//     and a quiet stream still publishes. Options.DisableIdleClose turns
//     the projection off for replays;
//   - Flush.
//
// A low watermark rather than the largest event time of all partitions
// keeps a partition that is read behind the others, as a consumer does
// after a restart or a rebalance, from making its events late.
//
// Windows close in order, and the end of the latest closed window is the
// closed-until mark: an event before it is late. Late events are counted
// and otherwise ignored, so a published result never changes. At most
// Options.MaxOpenWindows windows are open at once; an event that needs one
// more closes the oldest early, and an event older than every open window
// is then late. Without that bound, allowed_lateness of many window sizes
// would hold that many windows, each the size of a reference sample per
// feature.
//
// With window.count set, one window is open and closes when it holds count
// events, in arrival order. Event times do not matter and nothing is late.
//
// A window with fewer than window.min_events events is published as
// skipped: its counts, but no drift decision.
//
// # Labels and quality
//
// Predictions with an ID wait for their labels in a buffer bounded by
// label.ttl, on
// the event-time clock of the join (the largest prediction or label time),
// and by label.max_entries, oldest arrival evicted first. A joined
// prediction stays until it expires, so that a second label for it counts
// as a duplicate. Labels without a waiting prediction count as unmatched.
//
// Joined pairs go into quality windows keyed by the label's event time,
// with the drift windows' size or count, lateness and rules. Labels arrive
// hours or days after their predictions, long after the predictions' drift
// windows closed, so pairs cannot wait in those; keying by label time also
// makes quality windows close in step with the label stream, the way drift
// windows close with the prediction stream. A quality window with fewer
// than quality.min_labels pairs is skipped, and a metric that is undefined
// on its pairs (quality.ErrUndefined) has no value, which is not an alert.
// A multiclass model that does not declare its classes has them numbered
// as they appear, up to 128; pairs with a later class are left out of the
// label metrics.
//
// # Publishing, commits and restarts
//
// Delivery is at least once: after a restart or a rebalance, a partition
// is read again from its last committed offset. The monitor keeps two
// promises across that, for every event: none is lost, and none is
// counted twice in a published window.
//
// Observe never blocks: windows that an event closes are evaluated at once
// and wait unpublished. Sync, which the source calls before every commit
// and every few seconds while idle, then
//
//  1. saves the checkpoint through the Checkpointer, if it moved: how far
//     the closed drift and quality windows reach (the closed-until mark of
//     time windows; offsets for count windows, below);
//  2. publishes the windows closed since the last Sync;
//  3. returns, per partition, the offset that is safe to commit: the
//     smallest offset of an event held in an open window, or the offset
//     after the last event seen when no open window holds one.
//
// So the checkpoint is durable before the commit offsets advance, and a
// window is published only once its close is durable. If the process dies
// before a Sync completes, nothing of what happened since the previous one
// was published or committed, and it happens again. If it dies after,
// the source re-reads each partition from a committed offset at or before
// the first event of every open window, so no event of an open window is
// lost; events that it re-reads from windows already published are before
// the loaded closed-until mark and are counted as late, not counted again.
// Events are re-read, not lost, when a commit fails.
//
// Count windows have no closed-until mark: nothing is late by time.
// Their events fill windows in arrival order, so on each partition every
// event of a published window came before every event of the open one, and
// the offsets Sync returns are past every published event: once they are
// committed, a restart re-reads exactly the unpublished events. But the
// commit may fail, or the process may die before it; so that a re-read
// from an older commit does not count published windows twice, the
// checkpoint of count windows holds those offsets, per partition and
// stream, whenever a window was published since the last save, and events
// before them are late. Time windows cannot use offsets: with events out
// of order, an event of a published window may follow an event of an open
// window in its partition.
//
// Revoke forgets the revoked partitions and discards, unpublished, every
// open window holding one of their events: those events will be read again
// from the committed offset, by this monitor or by the partitions' new
// owner, and keeping them would count them twice. Their offsets are not
// returned by later Syncs until the partitions are read again. A discarded
// window may hold events of other partitions too; Revoke revokes those as
// well and returns them, since their events would be lost otherwise. A
// Kafka rebalance revokes every partition, and then Revoke returns nothing.
// A source calls Sync and commits before Revoke, so that the partitions'
// new owner starts as late as possible.
//
// The guarantee holds for one monitor and its own checkpoint, which covers
// restarts, and rebalances that give the partitions back to the same
// process. With a model's partitions spread over several replicas, each
// replica windows only its share, and a replica that takes over a
// partition does not know the previous owner's checkpoint: events between
// the committed offset and the previous owner's last one may be counted by
// both.
//
// # The label join across restarts
//
// Predictions wait for their labels for up to label.ttl, far longer than
// a drift window stays open, so the offsets of waiting predictions are
// committed long before their labels come. The Checkpointer therefore
// also saves the join itself (SaveJoin): on a quality window close, and
// otherwise at most every Options.JoinSaveInterval while predictions
// arrive. Until a prediction that entered the join is saved, Sync holds
// its partition's safe offset at it, so a restart reads it again. A
// prediction read again joins the restored buffer even when its drift
// window was published (it is counted late there), and one already
// waiting is ignored. Predictions joined into a quality window that was
// still open are saved as waiting, since that window's labels are read
// again. The cost is a commit delay of up to JoinSaveInterval and a save
// of the whole buffer (about 40 bytes per prediction) at that pace.
//
// A saved join that cannot be read (damaged, of another model or format)
// stops the monitor with an error rather than starting empty: delete the
// file to accept the loss.
//
// # End of input and shutdown
//
// Flush closes and publishes every open window, partial ones included:
// at the end of a replay file no more events will come, so a partial
// window is all there is. A live source that stops does not Flush: it
// Syncs, commits, and exits. Its open windows are dropped unpublished, and
// since their events were not committed, the next run reads them again and
// completes the windows. Publishing them instead would publish partial
// windows and turn the rest of their events into late events after the
// restart.
//
// # Metrics
//
// Monitors publish snapshots into a Store, and the Store's collector
// exports every model's latest snapshot; docs/metrics.md lists the
// metrics. A model whose monitor is closed disappears from the exposition.
package monitor
