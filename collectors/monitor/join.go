package monitor

// JoinOutcome is what became of a label event, or of a prediction that
// waited for its label. The values are metric label values.
type JoinOutcome string

// The join outcomes.
const (
	// JoinJoined: a label found the prediction with its ID.
	JoinJoined JoinOutcome = "joined"
	// JoinDuplicate: a label came for a prediction that had its label
	// already. It is ignored.
	JoinDuplicate JoinOutcome = "duplicate"
	// JoinUnmatched: a label found no prediction, because none with its ID
	// was seen, or it was evicted, or it waited in a process that has
	// restarted since.
	JoinUnmatched JoinOutcome = "unmatched"
	// JoinEvictedTTL: a prediction waited longer than label.ttl, by event
	// time, and was dropped without a label.
	JoinEvictedTTL JoinOutcome = "evicted_ttl"
	// JoinEvictedCapacity: a prediction was dropped without a label to
	// make room, because label.max_entries predictions were waiting.
	JoinEvictedCapacity JoinOutcome = "evicted_capacity"
	// JoinOtherVersion: a label found its prediction, but the prediction
	// was made by another model version than the one monitored now (see
	// Monitor.Switch), so the pair is left out of the quality windows.
	JoinOtherVersion JoinOutcome = "other_version"
)

// JoinOutcomes lists every join outcome.
func JoinOutcomes() []JoinOutcome {
	return []JoinOutcome{JoinJoined, JoinDuplicate, JoinUnmatched, JoinEvictedTTL, JoinEvictedCapacity, JoinOtherVersion}
}

const (
	joinJoined = iota
	joinDuplicate
	joinUnmatched
	joinEvictedTTL
	joinEvictedCapacity
	joinOtherVersion
	numJoinOutcomes
)

// waiting is a prediction held for its label: what the quality metrics
// need of it.
type waiting struct {
	id       string
	time     int64 // event time, Unix nanoseconds
	class    int32 // predicted class index, -1 when unknown
	hasScore bool
	hasValue bool
	score    float64
	value    float64
	// other reports a prediction made by another model version than the
	// current one: its label is not paired for the quality windows.
	other bool
	// joined is the serial of the quality window its label went into, 0
	// while it waits. A joined prediction stays until it expires, so that
	// a second label for it is recognised as a duplicate.
	joined uint64
}

// joiner holds predictions until their labels arrive: a queue in arrival
// order, bounded by a TTL on event time and by a number of entries, and an
// index by ID. The clock is the largest event time seen by the join, of a
// prediction or a label; entries leave from the head of the queue, oldest
// arrival first, so a prediction that arrived out of order may outlive its
// TTL until the entries before it have gone.
type joiner struct {
	ttl   int64
	max   int
	queue []waiting
	head  int
	base  int64            // absolute position of queue[0]
	index map[string]int64 // ID -> absolute position
	clock int64
	seen  bool
	count *[numJoinOutcomes]uint64
}

func newJoiner(ttl int64, maxEntries int, count *[numJoinOutcomes]uint64) *joiner {
	return &joiner{ttl: ttl, max: maxEntries, index: map[string]int64{}, count: count}
}

// len returns the number of predictions held, joined or not.
func (j *joiner) len() int { return len(j.queue) - j.head }

// add holds a prediction and reports whether it now waits. A second
// prediction with an ID already held is ignored: the first one keeps its
// place.
func (j *joiner) add(id []byte, w waiting) bool {
	j.advance(w.time)
	if _, dup := j.index[string(id)]; dup {
		return false
	}
	if w.time < j.clock-j.ttl {
		j.count[joinEvictedTTL]++ // expired on arrival
		return false
	}
	for j.len() >= j.max {
		j.pop(joinEvictedCapacity)
	}
	w.id = string(id)
	j.index[w.id] = j.base + int64(len(j.queue))
	j.queue = append(j.queue, w)
	return true
}

// match finds the prediction a label at event time t belongs to. It
// returns the prediction when the label joins it, and the outcome.
func (j *joiner) match(id []byte, t int64) (*waiting, int) {
	j.advance(t)
	pos, ok := j.index[string(id)]
	if !ok {
		return nil, joinUnmatched
	}
	w := &j.queue[pos-j.base]
	if w.joined != 0 {
		return nil, joinDuplicate
	}
	return w, joinJoined
}

// unjoin makes the predictions joined into the quality window serial wait
// again, because that window was discarded and its labels will be read
// again.
func (j *joiner) unjoin(serial uint64) {
	for i := j.head; i < len(j.queue); i++ {
		if j.queue[i].joined == serial {
			j.queue[i].joined = 0
		}
	}
}

// advance moves the clock to t and expires what waited longer than the
// TTL.
func (j *joiner) advance(t int64) {
	if j.seen && t <= j.clock {
		return
	}
	j.seen, j.clock = true, t
	for j.len() > 0 && j.queue[j.head].time < j.clock-j.ttl {
		j.pop(joinEvictedTTL)
	}
}

// pop drops the head of the queue, counting it as evicted with reason if
// it never joined.
func (j *joiner) pop(reason int) {
	w := &j.queue[j.head]
	if w.joined == 0 {
		j.count[reason]++
	}
	delete(j.index, w.id)
	*w = waiting{}
	j.head++
	if j.head >= 1024 && j.head*2 >= len(j.queue) {
		n := copy(j.queue, j.queue[j.head:])
		clear(j.queue[n:])
		j.queue = j.queue[:n]
		j.base += int64(j.head)
		j.head = 0
	}
}
