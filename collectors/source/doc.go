// Package source reads a model's events and feeds them to its monitor: a
// file source replays JSON Lines or CSV files, and a Kafka source consumes
// the model's topics as a member of its consumer group.
//
// Both decode every record with package event and hand each decoded event
// to monitor.Monitor.Observe with its position, and each rejected one to
// monitor.Monitor.Reject with its reason; the monitor does the windowing,
// the label join and the counting. Rejections are also logged, at most one
// line per reason every LogEvery, with the number rejected since the last
// line.
//
// # Files
//
// A file source reads the predictions file and, when there is one, the
// labels file together, merged by event time, so that labels meet their
// predictions as they would on a live stream. A record's position is its
// file and its line number. Every event needs a timestamp: a replay has no
// arrival time to fall back on. At the end of the files the source flushes
// the monitor, publishing the last, possibly partial, windows.
//
// # Kafka
//
// A Kafka source is the kafkasource.Handler of the model's consumer. A
// message's position is its topic/partition and offset, and its timestamp
// is the event time of an event that carries none. After each batch, and
// every SyncInterval while the topics are quiet, it syncs the monitor and
// commits, through the generation that delivered the messages, the offsets
// the monitor returns as safe: committed offsets move when windows close,
// never past an event that an open window holds. When the generation ends
// it syncs and commits once more, then revokes every partition from the
// monitor, whose uncommitted state would otherwise be counted twice when
// the partitions are read again.
//
// When a generation starts, the source assigns its partitions to the
// monitor, which holds its time windows open until each has delivered an
// event or is known to be empty. Each sync names the partitions that are
// caught up: fetched within StaleFetch, with nothing left to read. Only
// their event time is presumed to follow the wall clock while they are
// quiet, so a quiet topic still publishes, while during a backlog or after
// an outage, when the events of the paused time are still to come, windows
// wait for them.
//
// Rejected messages go to the dead letter topic, when the model has one,
// before any offset past them is committed. The dead letter's
// kafkasource.HeaderReason is malformed, invalid or oversized; the
// HeaderEventReason header holds the finer event.Reason. A dead letter that
// cannot be written holds its partition's commits back at its offset for
// the rest of the generation, so that it is read, and dead-lettered, again.
// Late events are counted by the monitor and not dead-lettered: after a
// restart they are mostly events of windows already published.
package source
