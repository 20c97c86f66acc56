package silence

import (
	"errors"
	"time"
)

// ErrNotFound is wrapped by the errors for a silence that Alertmanager does
// not know.
var ErrNotFound = errors.New("silence not found")

// State is a silence's state, as Alertmanager reports it.
type State string

// The states of a silence.
const (
	// StatePending silences start in the future.
	StatePending State = "pending"
	// StateActive silences mute matching alerts now.
	StateActive State = "active"
	// StateExpired silences have ended, on time or by Expire.
	StateExpired State = "expired"
)

// Silence is a silence as Alertmanager reports it. Alertmanager keeps times
// to the millisecond.
type Silence struct {
	ID        string
	State     State
	Matchers  []Matcher
	StartsAt  time.Time
	EndsAt    time.Time
	UpdatedAt time.Time
	CreatedBy string
	Comment   string
}

// Matcher selects alerts by one label. IsEqual false negates it (!= or !~).
type Matcher struct {
	Name    string
	Value   string
	IsRegex bool
	IsEqual bool
}
