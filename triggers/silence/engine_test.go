package silence_test

import (
	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/silence"
)

// The trigger engine silences a model's alerts through this client.
var _ triggers.Silencer = (*silence.Client)(nil)
