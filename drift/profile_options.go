package drift

import (
	"errors"
	"fmt"
)

// Defaults and limits of ProfileOptions. docs/profiles.md explains each
// choice.
const (
	// DefaultBins is the number of quantile bins of a numeric feature.
	DefaultBins = 10
	// MaxBins bounds Bins so a profile stays small and bins stay populated.
	MaxBins = 1000
	// DefaultSampleSize is the size of a numeric feature's stored sample.
	DefaultSampleSize = 10_000
	// DefaultTopK is the number of categories kept per categorical feature.
	DefaultTopK = 50
	// DefaultQuantileSampleSize is the number of finite values per numeric
	// feature kept while building, over which quantiles are exact.
	DefaultQuantileSampleSize = 1_000_000
	// DefaultMaxDistinct is the number of distinct values per categorical
	// feature counted exactly while building.
	DefaultMaxDistinct = 100_000
)

// ProfileOptions are the settings a profile is built with. They are stored
// in the profile. A zero field takes its default, except Seed, for which
// zero is a seed like any other.
type ProfileOptions struct {
	// Bins is the number of equal-frequency bins per numeric feature
	// before duplicate edges collapse (default 10, at most 1000).
	Bins int `json:"bins"`
	// SampleSize bounds the sorted sample stored per numeric feature
	// (default 10,000).
	SampleSize int `json:"sample_size"`
	// TopK bounds the categories stored per categorical feature; the rest
	// go to Other (default 50).
	TopK int `json:"top_k"`
	// Seed seeds every random choice made while building.
	Seed uint64 `json:"seed"`
	// QuantileSampleSize bounds the finite values kept per numeric feature
	// while building. Up to it, edges and counts are exact; beyond it they
	// come from a uniform sample of this size (default 1,000,000). It must
	// be at least SampleSize.
	QuantileSampleSize int `json:"quantile_sample_size"`
	// MaxDistinct bounds the distinct values counted per categorical
	// feature while building; values first seen later count in Other
	// (default 100,000). It must be at least TopK.
	MaxDistinct int `json:"max_distinct"`
}

// WithDefaults returns o with every zero field set to its default.
func (o ProfileOptions) WithDefaults() ProfileOptions {
	setDefault(&o.Bins, DefaultBins)
	setDefault(&o.SampleSize, DefaultSampleSize)
	setDefault(&o.TopK, DefaultTopK)
	setDefault(&o.QuantileSampleSize, DefaultQuantileSampleSize)
	setDefault(&o.MaxDistinct, DefaultMaxDistinct)
	return o
}

func setDefault(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

// Validate reports every problem with o at once. It expects defaults to
// have been applied.
func (o ProfileOptions) Validate() error {
	return errors.Join(o.problems("options")...)
}

func (o ProfileOptions) problems(path string) []error {
	var errs []error
	if o.Bins < 1 || o.Bins > MaxBins {
		errs = append(errs, fmt.Errorf("%s.bins: %d is out of range [1, %d]", path, o.Bins, MaxBins))
	}
	if o.SampleSize < 1 {
		errs = append(errs, fmt.Errorf("%s.sample_size: %d must be positive", path, o.SampleSize))
	}
	if o.TopK < 1 {
		errs = append(errs, fmt.Errorf("%s.top_k: %d must be positive", path, o.TopK))
	}
	if o.QuantileSampleSize < o.SampleSize {
		errs = append(errs, fmt.Errorf("%s.quantile_sample_size: %d must be at least sample_size (%d)", path, o.QuantileSampleSize, o.SampleSize))
	}
	if o.MaxDistinct < o.TopK {
		errs = append(errs, fmt.Errorf("%s.max_distinct: %d must be at least top_k (%d)", path, o.MaxDistinct, o.TopK))
	}
	return errs
}
