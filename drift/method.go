package drift

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Method names a drift test: a hypothesis test judged by its p-value or a
// distance judged by its size.
type Method string

// The drift methods driftwatch implements. docs/statistics.md gives the
// formula, the reference implementation and the default threshold of each.
const (
	// MethodKS is the two-sample Kolmogorov-Smirnov test on raw numeric values.
	MethodKS Method = "ks"
	// MethodChiSquare is the chi-square test of homogeneity on category counts.
	MethodChiSquare Method = "chisquare"
	// MethodPSI is the population stability index over bins or categories.
	MethodPSI Method = "psi"
	// MethodJensenShannon is the Jensen-Shannon distance (base 2) over bins
	// or categories.
	MethodJensenShannon Method = "jensenshannon"
	// MethodHellinger is the Hellinger distance over bins or categories.
	MethodHellinger Method = "hellinger"
	// MethodWasserstein is the first Wasserstein distance divided by the
	// reference standard deviation (see NormalizedWasserstein).
	MethodWasserstein Method = "wasserstein"
	// MethodLInfinity is the largest absolute difference between category
	// shares.
	MethodLInfinity Method = "l_infinity"
	// MethodCramerVonMises is the two-sample Cramér-von Mises test on raw
	// numeric values.
	MethodCramerVonMises Method = "cramervonmises"
	// MethodZTest is the two-proportion z-test for binary features.
	MethodZTest Method = "ztest"
	// MethodMissingShare is the two-proportion z-test on the share of missing
	// values (see MissingShare).
	MethodMissingShare Method = "missing_share"
)

// Methods returns every known Method, in the order error messages list them.
func Methods() []Method {
	return []Method{
		MethodKS, MethodChiSquare, MethodPSI, MethodJensenShannon, MethodHellinger,
		MethodWasserstein, MethodLInfinity, MethodCramerVonMises, MethodZTest,
		MethodMissingShare,
	}
}

// TestResult is the outcome of a hypothesis test: the test statistic and its
// p-value. A NaN in both fields means the test could not be computed for the
// given input; each test documents when that happens.
type TestResult struct {
	Statistic float64
	PValue    float64
}

// Validate reports whether m is one of the known methods.
func (m Method) Validate() error {
	known := Methods()
	names := make([]string, len(known))
	for i, k := range known {
		if m == k {
			return nil
		}
		names[i] = string(k)
	}
	return fmt.Errorf("unknown method %q (want one of %s)", string(m), strings.Join(names, ", "))
}

// UsesPValue reports whether m is a hypothesis test, which flags drift when
// its p-value falls below the threshold. The other methods are distances,
// which flag drift when the statistic reaches the threshold.
func (m Method) UsesPValue() bool {
	switch m {
	case MethodKS, MethodChiSquare, MethodCramerVonMises, MethodZTest, MethodMissingShare:
		return true
	default:
		return false
	}
}

// DefaultThreshold returns the threshold used when a model's configuration
// names none. Tests use the significance level 0.05. The distances use 0.1:
// for PSI that is the common "moderate shift" line (0.25 is the usual "major
// shift" line); for Jensen-Shannon, Hellinger and normalised Wasserstein it
// is Evidently's default, and L-infinity follows them. It returns NaN for an
// unknown method.
func (m Method) DefaultThreshold() float64 {
	switch m {
	case MethodKS, MethodChiSquare, MethodCramerVonMises, MethodZTest, MethodMissingShare:
		return 0.05
	case MethodPSI, MethodJensenShannon, MethodHellinger, MethodWasserstein, MethodLInfinity:
		return 0.1
	default:
		return math.NaN()
	}
}

// Supports reports whether m can compare features of type t. KS, Cramér-von
// Mises and Wasserstein need ordered numeric values. Chi-square, L-infinity
// and the z-test need categories; the z-test further needs a binary feature
// (at most two categories), which the caller checks. PSI, Jensen-Shannon and
// Hellinger work on bin counts of numeric features and on category counts
// alike, and the missing-value share applies to every feature.
func (m Method) Supports(t FeatureType) bool {
	switch m {
	case MethodKS, MethodCramerVonMises, MethodWasserstein:
		return t == Numeric
	case MethodChiSquare, MethodLInfinity, MethodZTest:
		return t == Categorical
	case MethodPSI, MethodJensenShannon, MethodHellinger, MethodMissingShare:
		return t == Numeric || t == Categorical
	default:
		return false
	}
}

// smallReference is the largest reference size for which DefaultMethod picks
// a hypothesis test; larger references make every test significant for
// negligible shifts, so distances take over.
const smallReference = 1000

// DefaultMethod picks the method for a feature whose configuration names
// none, following Evidently's sample-size rule. For numeric features it picks
// Kolmogorov-Smirnov when the reference holds at most 1000 rows and the
// normalised Wasserstein distance otherwise. For categorical features with at
// most 1000 reference rows it picks the z-test for binary features (at most
// two categories) and chi-square otherwise; larger references get the
// Jensen-Shannon distance. Unlike Evidently it does not treat numeric
// features with few distinct values as categorical. It returns the empty
// Method, which fails Validate, for an unknown feature type.
func DefaultMethod(t FeatureType, referenceRows int, categories int) Method {
	small := referenceRows <= smallReference
	switch {
	case t == Numeric && small:
		return MethodKS
	case t == Numeric:
		return MethodWasserstein
	case t == Categorical && small && categories <= 2:
		return MethodZTest
	case t == Categorical && small:
		return MethodChiSquare
	case t == Categorical:
		return MethodJensenShannon
	default:
		return ""
	}
}

// Drifted applies m's decision rule: a test drifts when pValue < threshold,
// a distance drifts when statistic >= threshold (Evidently's convention;
// NannyML uses a strict >). A NaN statistic or p-value never drifts. Drifted
// panics on an unknown method, because callers validate methods when they
// load their configuration.
func Drifted(m Method, statistic, pValue, threshold float64) bool {
	if err := m.Validate(); err != nil {
		panic("drift: Drifted: " + err.Error())
	}
	if m.UsesPValue() {
		return pValue < threshold
	}
	return statistic >= threshold
}

// MethodError reports a method that cannot compare a feature; callers
// treat it as a usage error.
type MethodError struct {
	Feature string
	Msg     string
}

// Error returns the message, naming the feature.
func (e *MethodError) Error() string { return fmt.Sprintf("feature %q: %s", e.Feature, e.Msg) }

// SelectMethod picks a feature's method: the first of requested that
// applies to the feature, or DefaultMethod when requested is empty. A
// method applies when it supports the feature's type; the z-test further
// needs at most two categories. It returns a *MethodError when none of
// requested applies.
func SelectMethod(name string, requested []Method, t FeatureType, referenceCount int64, categories int) (Method, error) {
	if len(requested) == 0 {
		return DefaultMethod(t, int(referenceCount), categories), nil
	}
	for _, m := range requested {
		if m.Supports(t) && (m != MethodZTest || categories <= 2) {
			return m, nil
		}
	}
	names := make([]string, len(requested))
	for i, m := range requested {
		names[i] = string(m)
	}
	msg := fmt.Sprintf("method %s does not apply to a %s feature", strings.Join(names, ","), t)
	if t == Categorical && slices.Contains(requested, MethodZTest) {
		msg = fmt.Sprintf("method %s does not apply to a categorical feature with %d categories (ztest needs at most 2)", strings.Join(names, ","), categories)
	}
	return "", &MethodError{Feature: name, Msg: msg}
}
