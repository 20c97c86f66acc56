package drift

import (
	"fmt"
	"math"
	"slices"
)

// Correction names a multiple-testing correction applied to the p-values of
// all features of a model before they are compared with their thresholds.
type Correction string

// The multiple-testing corrections driftwatch implements.
const (
	// CorrectionNone leaves p-values as they are.
	CorrectionNone Correction = "none"
	// CorrectionBonferroni controls the family-wise error rate.
	CorrectionBonferroni Correction = "bonferroni"
	// CorrectionBenjaminiHochberg controls the false discovery rate.
	CorrectionBenjaminiHochberg Correction = "benjamini-hochberg"
)

// Validate reports whether c is a known correction.
func (c Correction) Validate() error {
	switch c {
	case CorrectionNone, CorrectionBonferroni, CorrectionBenjaminiHochberg:
		return nil
	default:
		return fmt.Errorf("unknown correction %q (want none, bonferroni or benjamini-hochberg)", string(c))
	}
}

// Apply returns the adjusted p-values of p under c in a new slice. It panics
// on an unknown correction and, like the corrections themselves, on a
// p-value outside [0, 1].
func (c Correction) Apply(p []float64) []float64 {
	switch c {
	case CorrectionNone:
		checkPValues(p)
		return slices.Clone(p)
	case CorrectionBonferroni:
		return Bonferroni(p)
	case CorrectionBenjaminiHochberg:
		return BenjaminiHochberg(p)
	default:
		panic("drift: Apply: " + c.Validate().Error())
	}
}

// Bonferroni returns min(1, p*m) for each p-value, where m counts the
// p-values that are not NaN. NaN entries (features that could not be tested)
// stay NaN and do not count towards m. It panics on a p-value outside [0, 1].
func Bonferroni(p []float64) []float64 {
	checkPValues(p)
	m := float64(countNotNaN(p))
	adj := make([]float64, len(p))
	for i, v := range p {
		adj[i] = min(1, v*m)
	}
	return adj
}

// BenjaminiHochberg returns the Benjamini-Hochberg adjusted p-values
// (q-values) in input order: the i-th smallest p-value becomes
// min over j >= i of p_(j)*m/j, capped at 1, where m counts the p-values that
// are not NaN. It equals scipy.stats.false_discovery_control(p, method="bh")
// and R's p.adjust(p, "BH"). NaN entries stay NaN and do not count towards m.
// It panics on a p-value outside [0, 1].
func BenjaminiHochberg(p []float64) []float64 {
	checkPValues(p)
	order := make([]int, 0, len(p))
	for i, v := range p {
		if !math.IsNaN(v) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(p[a], p[b]) })
	adj := slices.Clone(p)
	m := float64(len(order))
	running := math.Inf(1)
	for rank := len(order); rank >= 1; rank-- {
		i := order[rank-1]
		running = min(running, p[i]*(m/float64(rank)))
		adj[i] = min(running, 1)
	}
	return adj
}

// checkPValues panics if a p-value is outside [0, 1]; NaN is allowed.
func checkPValues(p []float64) {
	for i, v := range p {
		if v < 0 || v > 1 {
			panic(fmt.Sprintf("drift: p-value %d is %g, outside [0, 1]", i, v))
		}
	}
}

// countNotNaN returns how many entries of x are not NaN.
func countNotNaN(x []float64) int {
	n := 0
	for _, v := range x {
		if !math.IsNaN(v) {
			n++
		}
	}
	return n
}

// cmpFloat orders two non-NaN floats.
func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}
