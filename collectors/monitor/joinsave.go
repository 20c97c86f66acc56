package monitor

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// This file saves and restores the label join, so that predictions that
// wait for their labels survive a restart. See the package documentation
// ("The label join") for when it is saved and how commits wait for it.
//
// The format is binary, since a join holds up to label.max_entries
// predictions (500,000 by default) and is saved every few seconds: JSON
// would cost tens of times more to write and read. All integers are
// varints. A CRC-32C of everything before it ends the file, so a torn or
// corrupted file is an error and never a silently shorter join.
//
//	magic "DWJOIN1\n"
//	model name (length, bytes)
//	join clock (varint), seen (1 byte)
//	classes numbered as they appeared, for a multiclass model that does
//	not declare them: count, then each name (length, bytes) in index order
//	entries, oldest arrival first: count, then each
//	  id (length, bytes), event time (varint), class (varint),
//	  flags (1 byte: 1 score, 2 value, 4 joined, 8 other version),
//	  score and value as IEEE 754 bits (8 bytes each, when flagged)
//	CRC-32C (4 bytes, little endian)

const joinMagic = "DWJOIN1\n"

const (
	joinFlagScore = 1 << iota
	joinFlagValue
	joinFlagJoined
	joinFlagOther
)

// restoredJoin marks a prediction that joined a label outside any open
// quality window: in a window published before the join was saved, or
// not paired at all because another model version made it. No window has
// this serial, so Revoke never lets it wait again.
const restoredJoin = math.MaxUint64

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeJoin appends the saved form of the join to buf. Predictions joined
// into a quality window that is still open are saved as waiting: that
// window's labels are read again after a restart, and join again.
func (m *Monitor) encodeJoin(buf []byte) []byte {
	j := m.join
	open := make(map[uint64]bool, len(m.quality.open))
	for _, s := range m.quality.open {
		open[s.serial] = true
	}
	b := append(buf[:0], joinMagic...)
	b = appendString(b, m.cfg.Name)
	b = binary.AppendVarint(b, j.clock)
	b = append(b, boolByte(j.seen))
	names := m.pairing.openClasses()
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		b = appendString(b, n)
	}
	b = binary.AppendUvarint(b, uint64(j.len()))
	for i := j.head; i < len(j.queue); i++ {
		w := &j.queue[i]
		b = appendString(b, w.id)
		b = binary.AppendVarint(b, w.time)
		b = binary.AppendVarint(b, int64(w.class))
		var flags byte
		if w.hasScore {
			flags |= joinFlagScore
		}
		if w.hasValue {
			flags |= joinFlagValue
		}
		if w.joined != 0 && !open[w.joined] {
			flags |= joinFlagJoined
		}
		if w.other {
			flags |= joinFlagOther
		}
		b = append(b, flags)
		if w.hasScore {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(w.score))
		}
		if w.hasValue {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(w.value))
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeJoin restores the join from its saved form. Predictions beyond
// label.max_entries, which may have shrunk since, are evicted oldest
// first.
func (m *Monitor) decodeJoin(data []byte) error {
	if len(data) < len(joinMagic)+4 || !bytes.HasPrefix(data, []byte(joinMagic)) {
		return errors.New("not a saved label join, or of an unsupported version")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return errors.New("checksum mismatch: the file is damaged")
	}
	r := joinReader{b: body[len(joinMagic):]}
	if model := r.string(); r.err == nil && model != m.cfg.Name {
		return fmt.Errorf("it belongs to model %q, not %q", model, m.cfg.Name)
	}
	clock, seen := r.varint(), r.byte() == 1
	names := make([]string, r.count())
	for i := range names {
		names[i] = r.string()
	}
	n := r.count()
	queue := make([]waiting, 0, n)
	for range n {
		w := waiting{id: r.string(), time: r.varint(), class: int32(r.varint())}
		flags := r.byte()
		if w.hasScore = flags&joinFlagScore != 0; w.hasScore {
			w.score = r.float()
		}
		if w.hasValue = flags&joinFlagValue != 0; w.hasValue {
			w.value = r.float()
		}
		if flags&joinFlagJoined != 0 {
			w.joined = restoredJoin
		}
		w.other = flags&joinFlagOther != 0
		queue = append(queue, w)
	}
	switch {
	case r.err != nil:
		return r.err
	case len(r.b) != 0:
		return fmt.Errorf("%d unexpected bytes after the last prediction", len(r.b))
	}
	if err := m.pairing.restoreClasses(names); err != nil {
		return err
	}
	j := m.join
	j.clock, j.seen = clock, seen
	for _, w := range queue {
		if _, dup := j.index[w.id]; dup {
			return fmt.Errorf("prediction %q is saved twice", w.id)
		}
		for j.len() >= j.max {
			j.pop(joinEvictedCapacity)
		}
		j.index[w.id] = j.base + int64(len(j.queue))
		j.queue = append(j.queue, w)
	}
	return nil
}

// openClasses returns the classes numbered as they appeared, in index
// order, or nil when the classes are declared.
func (p *pairing) openClasses() []string {
	if !p.open {
		return nil
	}
	names := make([]string, len(p.index))
	for name, i := range p.index {
		names[i] = name
	}
	return names
}

// restoreClasses numbers the classes as they were numbered when the join
// was saved, so that the saved predictions' class indices keep their
// meaning.
func (p *pairing) restoreClasses(names []string) error {
	if len(names) == 0 {
		return nil
	}
	if !p.open {
		return errors.New("it numbers classes as they appear, but the model now declares its classes")
	}
	if len(names) > maxOpenClasses {
		return fmt.Errorf("it numbers %d classes, more than %d", len(names), maxOpenClasses)
	}
	for i, name := range names {
		if j, ok := p.index[name]; ok && j != i {
			return fmt.Errorf("class %q has index %d, not %d", name, i, j)
		}
		p.index[name] = i
	}
	if len(p.index) != len(names) {
		return errors.New("its classes do not include the configured positive class at index 0")
	}
	return nil
}

// joinReader reads the saved form; the first error sticks, and later reads
// return zero values.
type joinReader struct {
	b   []byte
	err error
}

func (r *joinReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or malformed %s", what)
	}
	r.b = nil
}

func (r *joinReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *joinReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, which can be no larger than the bytes left: every
// counted item takes at least one byte.
func (r *joinReader) count() int {
	v := r.uvarint()
	if v > uint64(len(r.b)) {
		r.fail("count")
		return 0
	}
	return int(v)
}

func (r *joinReader) byte() byte {
	if len(r.b) < 1 {
		r.fail("flags")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *joinReader) string() string {
	n := r.count()
	if r.err != nil {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *joinReader) float() float64 {
	if len(r.b) < 8 {
		r.fail("number")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// joinSave is when the label join was last saved and what waits for the
// next save.
type joinSave struct {
	every int64 // nanoseconds between saves while predictions arrive
	last  int64 // wall clock of the last save, Unix nanoseconds
	// changed reports that the join changed since the last save, and
	// windowClosed that a quality window closed since.
	changed, windowClosed bool
	// held is, by partition index, the smallest offset of a prediction
	// that entered the join since the last save, or noOffset: commits may
	// not pass it until the join is saved.
	held []int64
	buf  []byte
}

// hold notes that the prediction at offset of partition p entered the
// join.
func (js *joinSave) hold(p int, offset int64) {
	js.changed = true
	for len(js.held) <= p {
		js.held = append(js.held, noOffset)
	}
	if h := js.held[p]; h == noOffset || offset < h {
		js.held[p] = offset
	}
}

// forget drops the hold on partition p, as when it is revoked: its
// offsets are not committed until it is read again.
func (js *joinSave) forget(p int) {
	if p < len(js.held) {
		js.held[p] = noOffset
	}
}

// saveJoin saves the label join if it changed and is due: a quality window
// closed since the last save, the save interval has passed, or force is
// set. A failed save keeps the holds on commits.
func (m *Monitor) saveJoin(ctx context.Context, force bool) error {
	js := &m.joinSave
	if m.join == nil || !js.changed {
		return nil
	}
	now := m.now().UnixNano()
	if !force && !js.windowClosed && now-js.last < js.every {
		return nil
	}
	js.buf = m.encodeJoin(js.buf)
	if err := m.cp.SaveJoin(ctx, m.cfg.Name, js.buf); err != nil {
		return err
	}
	js.last, js.changed, js.windowClosed = now, false, false
	for p := range js.held {
		js.held[p] = noOffset
	}
	return nil
}
