package demo

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// Server holds the model the demo serves. Scoring and Swap may run from
// any goroutines at once: every prediction uses one model whole, the one
// before a Swap or the one after.
type Server struct {
	name    string
	current atomic.Pointer[Model]
}

// NewServer returns a server of m, whose name every later model must
// share.
func NewServer(m *Model) (*Server, error) {
	if m == nil {
		return nil, errors.New("demo: NewServer: model is required")
	}
	s := &Server{name: m.Name}
	s.current.Store(m)
	return s, nil
}

// Model returns the model being served.
func (s *Server) Model() *Model { return s.current.Load() }

// Swap loads the artifact at path and serves it from the next prediction
// on; it is what the demo's deploy step invokes. It returns the model now
// served. An artifact that does not load, or of another model, leaves the
// current model in place.
func (s *Server) Swap(path string) (*Model, error) {
	m, err := ReadModel(path)
	if err != nil {
		return nil, fmt.Errorf("swap: %w", err)
	}
	if m.Name != s.name {
		return nil, fmt.Errorf("swap: %s holds model %q, the server serves %q", path, m.Name, s.name)
	}
	s.current.Store(m)
	return m, nil
}
