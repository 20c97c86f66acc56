package monitor

// Position is where an event was read from. The monitor treats both parts
// as opaque: Partition names an ordered log (a Kafka source uses
// "topic/partition", a file replay the file's path) and Offset is the
// event's place in it (a Kafka offset, or a line number). Offsets of one
// partition must be delivered in increasing order, except after Revoke or
// a restart, when a partition is read again from its committed offset.
type Position struct {
	Partition string
	Offset    int64
}

// partitions gives each partition key a small index, for the per-window
// offset tables, and remembers the offset after the last event seen in
// each. Indices are never reused for another key.
type partitions struct {
	index map[string]int
	keys  []string
	next  []int64 // offset after the last event seen; noOffset when unknown

	// The last key looked up, because consecutive events usually come from
	// one partition.
	lastKey string
	lastIdx int
}

func newPartitions() *partitions {
	return &partitions{index: map[string]int{}, lastIdx: -1}
}

// see records an event at pos and returns its partition's index.
func (ps *partitions) see(pos Position) int {
	p := ps.lastIdx
	if p < 0 || pos.Partition != ps.lastKey {
		p = ps.register(pos.Partition)
		ps.lastKey, ps.lastIdx = pos.Partition, p
	}
	if n := pos.Offset + 1; n > ps.next[p] {
		ps.next[p] = n
	}
	return p
}

// register returns the index of key, giving it one if it is new.
func (ps *partitions) register(key string) int {
	p, ok := ps.index[key]
	if !ok {
		p = len(ps.keys)
		ps.index[key] = p
		ps.keys = append(ps.keys, key)
		ps.next = append(ps.next, noOffset)
	}
	return p
}

// lookup returns the index of a known key.
func (ps *partitions) lookup(key string) (int, bool) {
	p, ok := ps.index[key]
	return p, ok
}

// forget drops what is known about partition p's position, as when it is
// revoked: it is read again from its committed offset.
func (ps *partitions) forget(p int) {
	ps.next[p] = noOffset
}
