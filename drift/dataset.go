package drift

import (
	"fmt"
)

// DefaultDriftShare is the share of drifted features at which a whole
// dataset counts as drifted when the configuration names no other.
const DefaultDriftShare = 0.5

// DatasetVerdict summarises the per-feature drift flags of one window.
type DatasetVerdict struct {
	// Features is the number of features tested.
	Features int
	// Drifted is the number of features that drifted.
	Drifted int
	// Share is Drifted/Features, or 0 when no feature was tested.
	Share float64
	// Threshold is the share at which the dataset counts as drifted.
	Threshold float64
	// Drift reports whether Share >= Threshold.
	Drift bool
}

// ValidateDriftShare reports whether share can serve as a dataset drift
// threshold: a number in (0, 1].
func ValidateDriftShare(share float64) error {
	if !(share > 0 && share <= 1) {
		return fmt.Errorf("drift share %g is outside (0, 1]", share)
	}
	return nil
}

// Verdict counts the drifted features and flags dataset drift when their
// share reaches threshold (share >= threshold), the convention of
// Evidently's DatasetDriftMetric, whose default threshold is also 0.5. With
// no features there is no drift. Verdict panics when threshold fails
// ValidateDriftShare.
func Verdict(drifted []bool, threshold float64) DatasetVerdict {
	if err := ValidateDriftShare(threshold); err != nil {
		panic("drift: Verdict: " + err.Error())
	}
	v := DatasetVerdict{Features: len(drifted), Threshold: threshold}
	for _, d := range drifted {
		if d {
			v.Drifted++
		}
	}
	if v.Features > 0 {
		v.Share = float64(v.Drifted) / float64(v.Features)
		v.Drift = v.Share >= threshold
	}
	return v
}
