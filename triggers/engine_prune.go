package triggers

import (
	"time"

	"github.com/driftwatch/driftwatch/store"
)

// prune deletes dedup keys, idempotency keys and decisions not seen for
// the retention, and feature alerts not seen for FeatureAlertTTL.
func (t *txn) prune() error {
	cutoff := t.now.Add(-t.e.retention)
	var stale []string
	collect := func(bucket string, expired func(store.Record) (bool, error)) error {
		stale = stale[:0]
		err := t.tx.ForEach(bucket, func(r store.Record) error {
			old, err := expired(r)
			if old {
				stale = append(stale, r.Key())
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := t.tx.Delete(bucket, k); err != nil {
				return err
			}
		}
		return nil
	}
	lastSeenBefore := func(cut time.Time) func(store.Record) (bool, error) {
		return func(r store.Record) (bool, error) {
			var v struct {
				LastSeen time.Time `json:"last_seen"`
			}
			err := r.Decode(&v)
			return err == nil && v.LastSeen.Before(cut), err
		}
	}
	for bucket, expired := range map[string]func(store.Record) (bool, error){
		bucketKeys:        lastSeenBefore(cutoff),
		bucketIdempotency: lastSeenBefore(cutoff),
		bucketFeatures:    lastSeenBefore(t.now.Add(-FeatureAlertTTL)),
		bucketDecisions: func(r store.Record) (bool, error) {
			var d decisionRecord
			err := r.Decode(&d)
			return err == nil && d.At.Before(cutoff), err
		},
	} {
		if err := collect(bucket, expired); err != nil {
			return err
		}
	}
	return nil
}
