package monitor

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// StoreOptions are the dependencies of a Store.
type StoreOptions struct {
	// Registerer receives the store's collector. It is required.
	Registerer prometheus.Registerer
}

// Store holds the latest snapshot of every monitored model and exports
// them as Prometheus metrics. Monitors publish into it; scrapes and API
// handlers read from it, from any goroutine. A model that is removed from
// the store disappears from the exposition at the next scrape.
type Store struct {
	mu     sync.RWMutex
	models map[string]*entry
}

// entry is one model's place in the store.
type entry struct {
	snap atomic.Pointer[Snapshot]
	lag  LagFunc
}

// NewStore returns an empty store whose collector is registered with
// opts.Registerer.
func NewStore(opts StoreOptions) (*Store, error) {
	if opts.Registerer == nil {
		return nil, errors.New("monitor: StoreOptions.Registerer is required")
	}
	s := &Store{models: map[string]*entry{}}
	if err := opts.Registerer.Register(newCollector(s)); err != nil {
		return nil, fmt.Errorf("monitor: register metrics: %w", err)
	}
	return s, nil
}

// add makes room for a model's snapshots.
func (s *Store) add(model string, lag LagFunc) (*entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.models[model]; dup {
		return nil, fmt.Errorf("model %q already has a monitor in this store", model)
	}
	e := &entry{lag: lag}
	s.models[model] = e
	return e, nil
}

// remove removes a model if e is still its entry.
func (s *Store) remove(model string, e *entry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.models[model] != e {
		return false
	}
	delete(s.models, model)
	return true
}

// Remove removes a model and its metrics, and reports whether it was
// there. The model's monitor keeps running unseen; Monitor.Close is the
// usual way to remove a model.
func (s *Store) Remove(model string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.models[model]
	delete(s.models, model)
	return ok
}

// Snapshot returns the latest snapshot of a model.
func (s *Store) Snapshot(model string) (*Snapshot, bool) {
	s.mu.RLock()
	e, ok := s.models[model]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	snap := e.snap.Load()
	return snap, snap != nil
}

// Models returns the names of the models in the store, sorted.
func (s *Store) Models() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.models))
}

// entries returns every model's entry, sorted by model.
func (s *Store) entries() []*entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*entry, 0, len(s.models))
	for _, name := range slices.Sorted(maps.Keys(s.models)) {
		out = append(out, s.models[name])
	}
	return out
}
