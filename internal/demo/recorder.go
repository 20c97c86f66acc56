package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Recorder keeps the most recent labelled examples in a ring buffer: the
// "recent labelled data" that retraining reads. Every holdoutEvery-th
// example it receives is held out for evaluation, so the training and
// holdout files it writes never share an example, and an example stays on
// its side as the ring moves.
//
// A Recorder is safe for concurrent use: traffic adds while the demo
// writes files.
type Recorder struct {
	holdoutEvery int

	mu    sync.Mutex
	ring  []recorded
	next  int // where the next example goes
	full  bool
	added int
}

type recorded struct {
	ex      Example
	holdout bool
}

// NewRecorder returns a recorder of the last capacity examples, holding
// out every holdoutEvery-th.
func NewRecorder(capacity, holdoutEvery int) (*Recorder, error) {
	if capacity < 1 || holdoutEvery < 2 {
		return nil, fmt.Errorf("demo: NewRecorder: capacity %d must be positive and holdoutEvery %d at least 2", capacity, holdoutEvery)
	}
	return &Recorder{holdoutEvery: holdoutEvery, ring: make([]recorded, capacity)}, nil
}

// Add records a labelled example, evicting the oldest when full.
func (r *Recorder) Add(e Example) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.added++
	r.ring[r.next] = recorded{ex: e, holdout: r.added%r.holdoutEvery == 0}
	r.next++
	if r.next == len(r.ring) {
		r.next, r.full = 0, true
	}
}

// Len returns the number of examples held.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.full {
		return len(r.ring)
	}
	return r.next
}

// Split returns the examples held, oldest first, divided into those to
// train on and those held out.
func (r *Recorder) Split() (train, holdout []Example) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ordered := r.ring[:r.next]
	if r.full {
		ordered = append(append([]recorded(nil), r.ring[r.next:]...), r.ring[:r.next]...)
	}
	for _, rec := range ordered {
		if rec.holdout {
			holdout = append(holdout, rec.ex)
		} else {
			train = append(train, rec.ex)
		}
	}
	return train, holdout
}

// WriteFiles writes the examples held to two examples files, atomically
// each: those to train on at trainPath (the train step's "data"
// parameter) and those held out at holdoutPath (the evaluate step's
// "holdout"). It creates missing directories and returns how many
// examples went to each.
func (r *Recorder) WriteFiles(trainPath, holdoutPath string) (train, holdout int, err error) {
	tr, ho := r.Split()
	for _, f := range []struct {
		path     string
		examples []Example
	}{{trainPath, tr}, {holdoutPath, ho}} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return 0, 0, fmt.Errorf("write recent examples: %w", err)
		}
		if err := WriteExamples(f.path, f.examples); err != nil {
			return 0, 0, fmt.Errorf("write recent examples: %w", err)
		}
	}
	return len(tr), len(ho), nil
}
