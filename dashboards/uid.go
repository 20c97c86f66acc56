package dashboards

import (
	"crypto/sha256"
	"encoding/hex"
)

// FleetUID is the UID of the fleet overview. Alerts link it through
// prometheus.rules.dashboard_url, with the model variable set.
const FleetUID = "driftwatch-fleet"

const (
	// maxUID is the longest UID Grafana accepts.
	maxUID = 40
	// modelUIDPrefix starts every model dashboard's UID.
	modelUIDPrefix = "driftwatch-m-"
	// hashDigits is how many hex digits of a long name's hash its UID
	// keeps.
	hashDigits = 8
)

// ModelUID returns the UID of a model's dashboard: "driftwatch-m-"
// followed by the model name. A name too long for Grafana's 40 characters
// keeps as much of its start as fits before "-" and the first 8 hex digits
// of its SHA-256, so the UID stays the same every time it is generated and
// long names that share a start still get different UIDs. Model names
// hold only lowercase letters, digits and '-', which UIDs allow.
func ModelUID(model string) string {
	uid := modelUIDPrefix + model
	if len(uid) <= maxUID {
		return uid
	}
	sum := sha256.Sum256([]byte(model))
	keep := maxUID - len(modelUIDPrefix) - 1 - hashDigits
	return modelUIDPrefix + model[:keep] + "-" + hex.EncodeToString(sum[:])[:hashDigits]
}
