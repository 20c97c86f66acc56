package quality

import (
	"fmt"
	"math"
)

// MaxClasses bounds the class indices this package accepts, which keeps a
// Confusion at no more than MaxClasses² counts (8 MiB).
const MaxClasses = 1024

// checkPairs reports whether two input slices can be paired up.
func checkPairs(nTrue, nPred int) error {
	if nTrue != nPred {
		return fmt.Errorf("length mismatch: %d true values, %d predictions", nTrue, nPred)
	}
	if nTrue == 0 {
		return fmt.Errorf("%w: no samples", ErrUndefined)
	}
	return nil
}

// checkFinite reports the first value of xs that is NaN or infinite.
func checkFinite(name string, xs []float64) error {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s[%d] is %v: values must be finite", name, i, x)
		}
	}
	return nil
}

// checkProbability reports whether p is a probability.
func checkProbability(p float64) error {
	if !(p >= 0 && p <= 1) {
		return fmt.Errorf("%v is not a probability in [0, 1]", p)
	}
	return nil
}

// checkClass reports whether c is a class index below limit.
func checkClass(c, limit int) error {
	if c < 0 || c >= limit {
		return fmt.Errorf("class %d is outside [0, %d)", c, limit)
	}
	return nil
}

// finite returns x, or an error naming the metric if the computation
// overflowed.
func finite(m Metric, x float64) (float64, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%s: result is %v (inputs too large)", m, x)
	}
	return x, nil
}

// checkKind reports whether m is a known metric computed from want inputs.
func checkKind(m Metric, want Kind) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if m.Kind() != want {
		return fmt.Errorf("%s needs %s inputs, not %s", m, m.Kind(), want)
	}
	return nil
}
